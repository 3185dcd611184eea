import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from actions.models import Petition, PetitionCounter, Signature
from actions.tests.factories import make_petition, make_target
from statements.models import Statement
from statements.tests.factories import make_quote, make_statement, make_topic

pytestmark = pytest.mark.django_db

HOME = reverse("statements:home")


def _detail(statement: Statement) -> str:
    return reverse("statements:statement_detail", kwargs={"slug": statement.slug})


def _titles(response) -> list[str]:
    return [s.title for s in response.context["page_obj"]]


def test_home_lists_published_statements_newest_first(client):
    now = timezone.now()
    make_statement(title="Older", publish_at=now - timedelta(days=2))
    make_statement(title="Newer", publish_at=now - timedelta(days=1))

    response = client.get(HOME)

    assert response.status_code == 200
    assert _titles(response) == ["Newer", "Older"]


def test_home_paginates_ten_statements_a_page(client):
    now = timezone.now()
    for n in range(12):
        make_statement(title=f"Item {n:02}", publish_at=now - timedelta(hours=n + 1))

    first = client.get(HOME)
    second = client.get(HOME, {"page": 2})

    assert len(_titles(first)) == 10
    assert _titles(second) == ["Item 10", "Item 11"]
    assert 'rel="next"' in first.text


@pytest.mark.parametrize("page", ["abc", "999", "-1", "0"])
def test_home_falls_back_gracefully_on_a_bad_page_number(client, page):
    make_statement(title="Only one")

    response = client.get(HOME, {"page": page})

    assert response.status_code == 200
    assert _titles(response) == ["Only one"]


def test_drafts_and_future_statements_are_hidden(client):
    draft = make_statement(title="Draft", state=Statement.State.DRAFT)
    future = make_statement(
        title="Future",
        state=Statement.State.SCHEDULED,
        publish_at=timezone.now() + timedelta(hours=1),
    )
    topic = make_topic()
    draft.topics.add(topic)
    future.topics.add(topic)

    assert client.get(_detail(draft)).status_code == 404
    assert client.get(_detail(future)).status_code == 404
    assert _titles(client.get(HOME)) == []
    assert _titles(client.get(topic.get_absolute_url())) == []


def test_scheduled_statement_appears_once_its_time_has_come(client):
    due = make_statement(
        title="Due now",
        state=Statement.State.SCHEDULED,
        publish_at=timezone.now() - timedelta(minutes=1),
    )

    assert client.get(_detail(due)).status_code == 200
    assert _titles(client.get(HOME)) == ["Due now"]


def test_archived_statement_page_opens_but_is_not_listed(client):
    archived = make_statement(state=Statement.State.ARCHIVED)

    assert client.get(_detail(archived)).status_code == 200
    assert _titles(client.get(HOME)) == []


def test_topic_page_lists_only_that_topics_published_statements(client):
    topic = make_topic(name="Myanmar")
    tagged = make_statement(title="Tagged")
    tagged.topics.add(topic)
    make_statement(title="Untagged")

    response = client.get(topic.get_absolute_url())

    assert response.status_code == 200
    assert "Myanmar" in response.text
    assert _titles(response) == ["Tagged"]


def test_unknown_topic_is_404(client):
    url = reverse("statements:topic_detail", kwargs={"slug": "nowhere"})

    assert client.get(url).status_code == 404


def test_statement_page_shows_its_parts(client):
    statement = make_statement(
        title="Cancel the visit",
        standfirst="The prime minister should stay home.",
        body="The **visit** must not go ahead.\n\n<script>alert(1)</script>",
        background="The chair *rotates* every year.",
    )
    statement.topics.add(make_topic(name="Cambodia"))
    make_quote(statement, speaker="A. Director", role="Research", text="Stay home.")
    make_quote(statement, speaker="B. Speaker", text="Pulled out.", is_pull_quote=True)

    response = client.get(_detail(statement))

    assert response.status_code == 200
    for text in [
        "Cancel the visit",
        "The prime minister should stay home.",
        "<strong>visit</strong>",
        "A. Director, Research",
        "Stay home.",
        "Background",
        "<em>rotates</em>",
        "Cambodia",
    ]:
        assert text in response.text
    assert 'class="pull-quote"' in response.text
    assert "Pulled out." in response.text
    assert "<script>alert" not in response.text


def test_statement_page_shows_each_petition_with_target_demand_count_and_form(client):
    statement = make_statement()
    un = make_target(name="UN Security Council", description="Fifteen members")
    first = make_petition(statement, demand="Cancel the visit.", goal=10_000)
    second = make_petition(statement, target=un, demand="Refer to the ICC.")
    PetitionCounter.objects.create(petition=second, shard=3, confirmed=1234)

    response = client.get(_detail(statement))

    for petition in (first, second):
        assert petition.target.name in response.text
        assert petition.demand in response.text
        assert reverse("actions:sign", kwargs={"slug": petition.slug}) in response.text
    assert "1,234" in response.text
    assert "10,000" in response.text
    assert response.text.count('class="sign-form"') == 2


def test_statement_page_has_open_graph_and_twitter_cards(client):
    statement = make_statement(title="Cancel the visit", standfirst="Stay home.")
    url = settings.SITE_URL + statement.get_absolute_url()

    html = client.get(_detail(statement)).text

    assert '<meta property="og:title" content="Cancel the visit">' in html
    assert '<meta property="og:description" content="Stay home.">' in html
    assert f'<meta property="og:url" content="{url}">' in html
    assert '<meta name="twitter:card" content="summary_large_image">' in html
    assert '<meta name="twitter:title" content="Cancel the visit">' in html
    assert '<meta name="twitter:description" content="Stay home.">' in html


def test_source_from_the_link_lands_in_the_hidden_form_field(client, petition):
    response = client.get(_detail(petition.statement), {"source": "twitter"})

    assert 'type="hidden" name="source" value="twitter"' in response.text


def test_statement_page_sets_no_cookie_and_may_be_cached_publicly(client, petition):
    response = client.get(_detail(petition.statement))

    assert response.cookies == {}
    assert "public" in response["Cache-Control"]


def test_closed_petition_shows_final_count_and_no_form(client, petition):
    PetitionCounter.objects.create(petition=petition, shard=0, confirmed=8412)
    petition.close()

    response = client.get(_detail(petition.statement))

    assert petition.state == Petition.State.CLOSED
    assert "8,412" in response.text
    assert "closed and no longer takes signatures" in response.text
    assert 'class="sign-form"' not in response.text


def test_link_checkers_and_cdns_can_ask_for_headers_only(client):
    statement = make_statement()

    response = client.head(statement.get_absolute_url())

    assert response.status_code == 200
    assert response.content == b""


def test_a_statement_not_yet_translated_shows_the_original_and_says_so(client):
    statement = make_statement(title="Cancel the visit", body="The body.")

    page = client.get("/fr" + statement.get_absolute_url()).content.decode()

    assert "Cancel the visit" in page
    assert 'class="alert alert-info not-translated"' in page
    assert '<div class="body" lang="en">' in page


def test_a_translated_statement_is_read_in_its_language_without_a_note(client):
    statement = make_statement(title="Cancel the visit", body="The body.")
    statement.title_fr, statement.body_fr = "Annulez la visite", "Le texte."
    statement.save()
    url = statement.get_absolute_url()

    page = client.get("/fr" + url).content.decode()
    english = client.get(url).content.decode()

    assert "Annulez la visite" in page and "Le texte." in page
    assert "not-translated" not in page
    assert '<div class="body">' in page
    assert '<html lang="fr" dir="ltr">' in page
    assert "Cancel the visit" in english and "not-translated" not in english


def test_an_unknown_language_prefix_is_a_404_in_the_original_language(client):
    statement = make_statement()

    response = client.get("/de" + statement.get_absolute_url())

    assert response.status_code == 404
    assert '<html lang="en" dir="ltr">' in response.content.decode()


def test_an_arabic_page_is_right_to_left_with_alternates_for_each_language(client):
    statement = make_statement()

    page = client.get("/ar" + statement.get_absolute_url()).content.decode()

    assert '<html lang="ar" dir="rtl">' in page
    for code in ("en", "fr", "es", "ar", "my"):
        assert f'hreflang="{code}"' in page
    assert 'hreflang="x-default"' in page


@pytest.mark.parametrize(
    ("query", "recorded"),
    [
        ({"utm_source": "newsletter", "utm_medium": "email"}, "utm.newsletter.email"),
        ({"source": "share-x", "utm_source": "newsletter"}, "share-x"),
    ],
)
def test_signing_from_the_statement_page_records_where_the_visitor_came_from(
    client, petition, sign_data, query, recorded
):
    page = client.get(_detail(petition.statement), query).text
    source = re.search(r'name="source" value="([^"]*)"', page).group(1)

    client.post(
        reverse("actions:sign", args=[petition.slug]), sign_data | {"source": source}
    )

    assert Signature.objects.get().source == recorded


def test_the_top_of_a_statement_links_to_each_open_form(client):
    statement = make_statement()
    first = make_petition(statement, title="Cancel the visit")
    second = make_petition(statement, title="Refer to the court")
    make_petition(statement, title="Closed one", state=Petition.State.CLOSED)

    text = client.get(_detail(statement)).text

    top = text[: text.index('class="standfirst"')]
    for petition in (first, second):
        anchor = f'href="#petition-{petition.slug}-form"'
        assert anchor in top
        assert f'id="petition-{petition.slug}-form"' in text
    assert top.count('class="btn btn-primary" href="#petition-') == 2


def test_a_statement_with_nothing_open_has_no_link_to_a_form(client):
    statement = make_statement()
    make_petition(statement, state=Petition.State.CLOSED)

    assert 'class="act-now"' not in client.get(_detail(statement)).text


def test_counts_and_dates_are_written_in_the_pages_language(client):
    statement = make_statement(publish_at=timezone.now() - timedelta(days=1))
    petition = make_petition(statement, goal=50000)
    PetitionCounter.objects.create(petition=petition, shard=0, confirmed=12345)

    with translation.override("my"):
        burmese = client.get(_detail(statement)).text
    with translation.override("fr"):
        french = client.get(_detail(statement)).text

    assert "၁၂,၃၄၅</strong>" in burmese
    assert "၅၀,၀၀၀" in burmese
    assert "12\xa0345</strong>" in french
    assert "50\xa0000" in french
