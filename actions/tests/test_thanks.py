"""The thanks page: "you among them" only for the person who confirmed, and
what to do next for anyone."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from actions.core.tokens import make_confirmation_token, make_thanks_token
from actions.models import Petition, Signature
from actions.services import confirm_signature
from actions.tests.factories import make_petition, make_signature
from statements.models import Statement
from statements.tests.factories import make_statement, make_topic

pytestmark = pytest.mark.django_db

YOU = "you among them"


def _thanks(client, petition: Petition, token: str | None = None) -> str:
    kwargs = {"slug": petition.slug} | ({"token": token} if token else {})
    response = client.get(reverse("actions:thanks", kwargs=kwargs))
    assert response.status_code == 200
    return response.content.decode()


def _confirmed(petition: Petition) -> Signature:
    signature = make_signature(petition)
    confirm_signature(signature=signature)
    return signature


def test_confirming_leads_to_the_thanks_page_that_says_you_signed(
    client, petition, django_capture_on_commit_callbacks
):
    _confirmed(petition)  # someone else
    signature = make_signature(petition)
    token = make_confirmation_token(signature.pk)
    confirm = reverse("actions:confirm", args=[petition.slug, token])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(confirm)

    page = client.get(response["Location"])
    assert page.status_code == 200
    content = page.content.decode()
    assert "Thank you: your signature counts" in content
    assert f"2 people have signed “{petition.title}”, {YOU}." in content
    assert page["Cache-Control"].startswith("max-age=0")
    assert "private" in page["Cache-Control"]


def test_without_a_token_the_page_does_not_say_you_signed(client, petition):
    _confirmed(petition)
    _confirmed(petition)

    content = _thanks(client, petition)

    assert YOU not in content
    assert "Thank you" not in content
    assert f"2 people have signed “{petition.title}”." in content
    assert f"{petition.get_absolute_url()}?source=thanks" in content  # "Sign it"


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(lambda s: "not-a-token", id="garbage"),
        pytest.param(lambda s: make_thanks_token(s.pk)[:-2] + "xx", id="tampered"),
        pytest.param(lambda s: make_confirmation_token(s.pk), id="other purpose"),
        pytest.param(lambda s: make_thanks_token(s.pk + 1000), id="no signature"),
    ],
)
def test_a_bad_token_shows_the_page_for_anyone(client, petition, token):
    signature = _confirmed(petition)

    content = _thanks(client, petition, token(signature))

    assert YOU not in content
    assert "1 person has signed" in content


def test_an_expired_token_shows_the_page_for_anyone(client, petition, settings):
    token = make_thanks_token(_confirmed(petition).pk)
    settings.THANKS_LINK_MAX_AGE = -1

    assert YOU not in _thanks(client, petition, token)


def test_a_token_of_another_petitions_signer_does_not_say_you_signed(client, statement):
    petition, other = make_petition(statement), make_petition(statement)
    token = make_thanks_token(_confirmed(other).pk)

    assert YOU not in _thanks(client, petition, token)


@pytest.mark.parametrize(
    "fields",
    [
        {},  # pending: confirming refused it (a suspect, say)
        {"state": Signature.State.INVALIDATED, "invalidated_at": timezone.now()},
    ],
)
def test_a_signature_that_does_not_count_is_not_thanked(client, petition, fields):
    signature = make_signature(petition, **fields)

    assert YOU not in _thanks(client, petition, make_thanks_token(signature.pk))


def test_the_thanks_page_changes_nothing_and_sets_no_cookie(client, petition):
    signature = _confirmed(petition)
    before = list(Signature.objects.values())

    response = client.get(
        reverse("actions:thanks", args=[petition.slug, make_thanks_token(signature.pk)])
    )

    assert response.status_code == 200
    assert list(response.cookies) == []
    assert list(Signature.objects.values()) == before
    assert client.post(response.wsgi_request.path).status_code == 405


def test_the_thanks_page_offers_the_statements_other_open_petitions(client, statement):
    petition = make_petition(statement, title="Cancel the visit")
    other = make_petition(statement, title="Refer it to the court")
    make_petition(statement, title="A closed one", state=Petition.State.CLOSED)
    make_petition(statement, title="Not yet", opens_at=timezone.now() + timedelta(1))

    content = _thanks(client, petition)

    assert "More from this statement" in content
    assert f"{other.get_absolute_url()}?source=thanks-statement" in content
    assert "Refer it to the court" in content
    assert "A closed one" not in content
    assert "Not yet" not in content
    assert f"{petition.get_absolute_url()}?source=thanks-statement" not in content


def test_the_thanks_page_offers_open_petitions_on_the_same_topics(client, statement):
    topic, other_topic = make_topic(), make_topic()
    statement.topics.add(topic, other_topic)
    petition = make_petition(statement)
    related = make_statement(title="Arms embargo now")
    related.topics.add(topic, other_topic)
    wanted = make_petition(related, title="Impose an arms embargo")
    unrelated = make_petition(make_statement(), title="Another country")
    draft = make_statement(state=Statement.State.DRAFT, publish_at=None)
    draft.topics.add(topic)
    make_petition(draft, title="Not public yet")

    content = _thanks(client, petition)

    assert "On the same topics" in content
    assert f"{wanted.get_absolute_url()}?source=thanks-topic" in content
    assert content.count("Impose an arms embargo") == 1  # two topics shared, once
    assert "Arms embargo now" in content
    assert unrelated.title not in content
    assert "Not public yet" not in content


def test_a_lone_petition_offers_sharing_only(client, petition):
    content = _thanks(client, petition)

    assert "More from this statement" not in content
    assert "On the same topics" not in content
    share = petition.statement.get_absolute_url()
    assert f"{share}?source=share-link" in content
    for channel in ["email", "whatsapp", "bluesky", "facebook"]:
        assert f"%3Fsource%3Dshare-{channel}" in content
