"""The public JSON API as a partner's site sees it: statements in the asked
language, counts, pagination, errors as JSON, CORS, the cache."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actions.models import Petition
from actions.services import confirm_signature
from actions.tests.factories import make_petition, make_signature
from statements.models import Statement
from statements.tests.factories import make_quote, make_statement, make_topic

pytestmark = pytest.mark.django_db

LIST = "/api/v1/statements/"


def _detail(slug: str) -> str:
    return reverse("api:statement_detail", args=[slug])


def test_the_api_lives_outside_the_language_prefix():
    assert reverse("api:statement_list") == LIST
    assert _detail("x") == "/api/v1/statements/x/"
    assert reverse("api:openapi") == "/api/v1/openapi.json"


def test_the_list_shows_published_statements_newest_first(client):
    now = timezone.now()
    older = make_statement(publish_at=now - timedelta(days=2))
    newer = make_statement(publish_at=now - timedelta(days=1))
    make_statement(state=Statement.State.DRAFT, publish_at=None)
    make_statement(state=Statement.State.SCHEDULED, publish_at=now + timedelta(1))
    make_statement(state=Statement.State.ARCHIVED)

    body = client.get(LIST).json()

    assert [s["slug"] for s in body["results"]] == [newer.slug, older.slug]
    assert body["count"] == 2
    assert (body["page"], body["pages"], body["page_size"]) == (1, 1, 20)
    assert body["language"] == "en"
    first = body["results"][0]
    assert first["title"] == newer.title
    assert first["standfirst"] == newer.standfirst
    assert first["url"] == "http://testserver" + newer.get_absolute_url()
    assert first["languages"] == ["en"]


def test_a_statement_lists_its_calls_to_action_with_confirmed_counts(client):
    petition = make_petition(goal=500)
    confirm_signature(signature=make_signature(petition))
    confirm_signature(signature=make_signature(petition))
    make_signature(petition)  # pending: not counted
    topic = make_topic(name="Cambodia", slug="cambodia")
    petition.statement.topics.add(topic)

    (result,) = client.get(LIST).json()["results"]

    assert result["topics"] == [
        {
            "slug": "cambodia",
            "name": "Cambodia",
            "kind": "country",
            "url": "http://testserver/topics/cambodia/",
        }
    ]
    assert result["calls_to_action"] == [
        {
            "slug": petition.slug,
            "kind": "petition",
            "title": petition.title,
            "demand": petition.demand,
            "target": {
                "name": petition.target.name,
                "description": petition.target.description,
            },
            "state": "open",
            "is_open": True,
            "count": 2,
            "goal": 500,
            "url": f"http://testserver/petitions/{petition.slug}/",
        }
    ]


def test_lang_gives_that_language_s_texts_and_links(client):
    statement = make_statement(
        title="Cancel the visit", title_fr="Annulez la visite", body_fr="Le **corps**."
    )
    make_petition(statement, title_fr="Signez")

    body = client.get(LIST + "?lang=fr").json()
    detail = client.get(_detail(statement.slug) + "?lang=fr")

    (result,) = body["results"]
    assert body["language"] == "fr"
    assert result["title"] == "Annulez la visite"
    assert result["standfirst"] == statement.standfirst  # not translated: original
    assert result["url"] == f"http://testserver/fr/statements/{statement.slug}/"
    assert result["languages"] == ["en", "fr"]
    assert result["calls_to_action"][0]["title"] == "Signez"
    assert result["calls_to_action"][0]["url"].startswith("http://testserver/fr/")
    assert detail.json()["body"] == "<p>Le <strong>corps</strong>.</p>"
    assert detail["Content-Language"] == "fr"


def test_a_topic_filters_the_list(client):
    topic = make_topic()
    inside = make_statement()
    inside.topics.add(topic)
    make_statement()

    body = client.get(LIST + f"?topic={topic.slug}").json()

    assert [s["slug"] for s in body["results"]] == [inside.slug]


def test_the_list_is_paginated_with_links_to_the_next_and_previous_pages(client):
    for _ in range(5):
        make_statement()

    first = client.get(LIST + "?page_size=2&lang=es").json()
    last = client.get(LIST + "?page_size=2&lang=es&page=3").json()

    assert (first["count"], first["pages"], len(first["results"])) == (5, 3, 2)
    assert first["previous"] is None
    assert (
        first["next"]
        == "http://testserver/api/v1/statements/?page_size=2&lang=es&page=2"
    )
    assert len(last["results"]) == 1
    assert last["next"] is None
    assert last["previous"].endswith("page=2")


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("page=abc", "page"),
        ("page=0", "page"),
        ("page_size=0", "page_size"),
        ("page_size=1000", "page_size"),
        ("page_size=-1", "page_size"),
        ("lang=xx", "lang"),
        ("topic=no-such-topic", "topic"),
        ("topic=not%20a%20slug", "topic"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(client, query, named):
    make_statement()

    response = client.get(f"{LIST}?{query}")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"].startswith(f"{named}: ")
    assert response["Access-Control-Allow-Origin"] == "*"


def test_a_page_past_the_last_is_a_404(client):
    make_statement()

    response = client.get(LIST + "?page=2")

    assert response.status_code == 404
    assert "error" in response.json()


def test_the_detail_has_the_body_as_safe_html_the_background_and_quotes(client):
    statement = make_statement(
        body="**Now**.\n\n<script>alert(1)</script>", background="Some *context*."
    )
    make_quote(statement, speaker="A. Defender", text="Act.", is_pull_quote=True)

    body = client.get(_detail(statement.slug)).json()

    assert body["slug"] == statement.slug
    assert body["language"] == "en"
    assert "<strong>Now</strong>" in body["body"]
    assert "<script" not in body["body"]
    assert body["background"] == "<p>Some <em>context</em>.</p>"
    assert body["quotes"] == [
        {
            "speaker": "A. Defender",
            "role": "Director",
            "text": "Act.",
            "is_pull_quote": True,
        }
    ]


@pytest.mark.parametrize("state", ["draft", "scheduled"])
def test_an_unpublished_or_unknown_statement_is_a_json_404(client, state):
    statement = make_statement(
        state=state,
        publish_at=None if state == "draft" else timezone.now() + timedelta(days=1),
    )

    for slug in [statement.slug, "no-such-statement", "not a slug"]:
        response = client.get(_detail(slug))
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert "error" in response.json()


def test_a_bad_lang_on_the_detail_is_a_400(client, statement):
    response = client.get(_detail(statement.slug) + "?lang=de")

    assert response.status_code == 400
    assert response.json()["error"].startswith("lang: ")


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_only_reading_methods_are_allowed(client, statement, method):
    for url in [LIST, _detail(statement.slug), reverse("api:openapi")]:
        response = getattr(client, method)(url)

        assert response.status_code == 405
        assert response["Allow"] == "GET, HEAD, OPTIONS"
        assert "error" in response.json()


def test_head_is_answered(client, statement):
    response = client.head(LIST)

    assert response.status_code == 200
    assert response.content == b""


def test_any_site_may_read_it_and_no_cookie_is_set(client, statement):
    response = client.get(LIST, headers={"Origin": "https://partner.example"})
    preflight = client.options(
        _detail(statement.slug),
        headers={
            "Origin": "https://partner.example",
            "Access-Control-Request-Method": "GET",
        },
    )

    assert response["Access-Control-Allow-Origin"] == "*"
    assert not response.cookies
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == "*"
    assert preflight["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"
    assert not preflight.cookies


def _statements_with_actions(n: int) -> None:
    for _ in range(n):
        statement = make_statement()
        statement.topics.add(make_topic(), make_topic())
        make_petition(statement)
        make_petition(statement)


def test_the_list_costs_the_same_few_queries_whatever_the_number_of_statements(
    client, django_assert_num_queries
):
    _statements_with_actions(1)
    # count, page, topics, calls to action with targets, counters
    with django_assert_num_queries(5):
        client.get(LIST)

    _statements_with_actions(9)
    with django_assert_num_queries(5):
        client.get(LIST + "?lang=fr")  # another address: not from the cache


def test_the_detail_costs_a_few_queries(client, django_assert_num_queries):
    _statements_with_actions(1)
    statement = Statement.objects.get()
    make_quote(statement)
    make_quote(statement)

    # statement, topics, calls to action with targets, quotes, counters
    with django_assert_num_queries(5):
        client.get(_detail(statement.slug))


def test_a_second_request_is_served_from_the_cache(client, django_assert_num_queries):
    _statements_with_actions(2)
    first = client.get(LIST + "?page_size=1")

    with django_assert_num_queries(0):
        second = client.get(LIST + "?page_size=1")

    assert second.content == first.content
    assert second["Access-Control-Allow-Origin"] == "*"
    assert "public" in second["Cache-Control"]
    assert "max-age=5" in second["Cache-Control"]


def test_a_letter_action_is_listed_as_one(client, statement):
    make_petition(statement, kind=Petition.Kind.LETTER)

    (result,) = client.get(LIST).json()["results"]

    assert result["calls_to_action"][0]["kind"] == "letter"


@given(
    query=st.dictionaries(
        st.sampled_from(["page", "page_size", "lang", "topic", "other"]),
        st.text(max_size=12),
        max_size=4,
    )
)
@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_no_query_string_gets_a_500(client, statement, query):
    response = client.get(LIST, query)

    assert response.status_code in {200, 400, 404}
    assert isinstance(response.json(), dict)
