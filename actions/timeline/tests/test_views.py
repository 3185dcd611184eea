"""The public timeline on the statement page and the page of open clocks."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from actions.models import Petition, PetitionCounter
from actions.tests.factories import make_petition, make_signature, make_target
from actions.timeline.tests.factories import make_delivery, make_response
from statements.models import Statement
from statements.tests.factories import make_statement

pytestmark = pytest.mark.django_db


def _ago(days: float):
    return timezone.now() - timedelta(days=days, hours=1)


def test_the_statement_page_shows_the_delivery_and_the_running_clock(client):
    petition = make_petition(
        state=Petition.State.DELIVERED, target=make_target(name="The Minister")
    )
    make_delivery(petition, delivered_at=_ago(12), to_whom="her office", how="by hand")

    page = client.get(petition.statement.get_absolute_url())

    assert "to her office, by hand." in page.text
    assert "12 days since delivery to The Minister; no answer yet." in page.text


def test_one_day_is_singular(client):
    petition = make_petition(target=make_target(name="The Minister"))
    make_delivery(petition, delivered_at=_ago(1))

    page = client.get(petition.statement.get_absolute_url())

    assert "1 day since delivery to The Minister; no answer yet." in page.text


def test_a_response_shows_how_long_the_answer_took_and_stops_the_clock(client):
    petition = make_petition()
    make_delivery(petition, delivered_at=timezone.now() - timedelta(days=40))
    make_response(
        petition,
        received_at=timezone.now() - timedelta(days=7),
        summary="We refuse.",
        link="https://example.org/answer",
    )

    page = client.get(petition.statement.get_absolute_url())

    assert "33 days after delivery" in page.text
    assert "We refuse." in page.text
    assert 'href="https://example.org/answer"' in page.text
    assert "no answer yet" not in page.text


def test_unpublished_entries_never_show_on_the_page(client):
    petition = make_petition()
    make_delivery(petition, to_whom="a secret office", published_at=None)
    other = make_petition(statement=petition.statement)
    make_delivery(other)
    make_response(other, summary="Not yet public.", published_at=None)

    page = client.get(petition.statement.get_absolute_url())

    assert "a secret office" not in page.text
    assert "Not yet public." not in page.text
    assert page.text.count("no answer yet") == 1


def test_the_open_clocks_page_lists_the_longest_waiting_first(client):
    for days, name in [(5, "Shortest"), (90, "Longest"), (30, "Middle")]:
        petition = make_petition(target=make_target(name=name))
        make_delivery(petition, delivered_at=_ago(days))
    answered = make_petition(target=make_target(name="Answered"))
    make_delivery(answered, delivered_at=_ago(200))
    make_response(answered)
    hidden = make_petition(target=make_target(name="Hidden"))
    make_delivery(hidden, published_at=None)

    page = client.get(reverse("actions:open_clocks"))

    text = page.text
    assert text.index("Longest") < text.index("Middle") < text.index("Shortest")
    assert "90 days since delivery to Longest" in text
    assert "Answered" not in text and "Hidden" not in text
    assert not page.cookies


def test_the_open_clocks_page_says_when_everyone_answered(client):
    page = client.get(reverse("actions:open_clocks"))

    assert "Every target has answered." in page.text


def test_an_open_petition_shows_when_it_opened_and_closes(client):
    closes = timezone.now() + timedelta(days=30)
    petition = make_petition(closes_at=closes)

    page = client.get(petition.statement.get_absolute_url())

    assert "Opened on" in page.text
    assert f"Closes on {closes:%b}" in page.text


def test_a_closed_petition_shows_its_final_count(client):
    petition = make_petition(state=Petition.State.CLOSED, closed_at=timezone.now())
    make_signature(petition, state="confirmed")
    PetitionCounter.objects.create(petition=petition, shard=0, confirmed=1)

    page = client.get(petition.statement.get_absolute_url())

    assert "with 1 signature." in page.text


def test_a_clock_of_a_draft_statement_is_not_listed(client):
    petition = make_petition(statement=make_statement(state=Statement.State.DRAFT))
    make_delivery(petition, delivered_at=_ago(3))

    page = client.get(reverse("actions:open_clocks"))

    assert petition.title not in page.text
