"""A campaign's outcome: won (with the win transition), lost or no answer;
the home page lists campaigns by outcome."""

import pytest
from django.urls import reverse

from actions.models import Petition
from actions.tests.factories import make_petition
from actions.timeline.models import Outcome
from actions.timeline.tests.factories import make_outcome
from statements.tests.factories import make_statement

pytestmark = pytest.mark.django_db

ADD = reverse("admin:timeline_outcome_add")


def _home(client, outcome: str) -> str:
    return client.get(reverse("statements:home"), {"outcome": outcome}).text


def test_a_won_outcome_in_the_admin_marks_the_petition_won(admin_client):
    petition = make_petition(state=Petition.State.DELIVERED)
    data = {"petition": petition.pk, "result": "won"}
    data |= {"decided_at_0": "2026-12-01", "decided_at_1": "10:00:00"}

    response = admin_client.post(ADD, data)

    assert response.status_code == 302
    petition.refresh_from_db()
    assert petition.state == Petition.State.WON
    assert Outcome.objects.get().result == Outcome.Result.WON


def test_a_lost_outcome_leaves_the_state_alone(admin_client):
    petition = make_petition(state=Petition.State.DELIVERED)
    data = {"petition": petition.pk, "result": "lost"}
    data |= {"decided_at_0": "2026-12-01", "decided_at_1": "10:00:00"}

    admin_client.post(ADD, data)

    petition.refresh_from_db()
    assert petition.state == Petition.State.DELIVERED
    assert Outcome.objects.get().result == Outcome.Result.LOST


def test_a_scheduled_petition_cannot_be_won(admin_client):
    petition = make_petition(state=Petition.State.SCHEDULED)
    data = {"petition": petition.pk, "result": "won"}
    data |= {"decided_at_0": "2026-12-01", "decided_at_1": "10:00:00"}

    response = admin_client.post(ADD, data)

    assert "A petition that has not opened cannot be won." in response.text
    assert not Outcome.objects.exists()


def test_the_home_page_lists_campaigns_by_published_outcome(client):
    lost = make_statement(title="Lost campaign")
    make_outcome(make_petition(lost), result="lost")
    hidden = make_statement(title="Unpublished outcome")
    make_outcome(make_petition(hidden), result="lost", published_at=None)
    won = make_statement(title="Won campaign")
    make_petition(won, state=Petition.State.WON)  # by the transition alone

    assert "Lost campaign" in _home(client, "lost")
    assert "Unpublished outcome" not in _home(client, "lost")
    assert "Won campaign" not in _home(client, "lost")
    assert "Won campaign" in _home(client, "won")
    assert "Lost campaign" not in _home(client, "won")
    assert "Lost campaign" not in _home(client, "no_answer")
    assert "Unpublished outcome" in _home(client, "bogus")  # every statement


def test_the_timeline_shows_a_published_outcome(client):
    petition = make_petition(state=Petition.State.DELIVERED)
    make_outcome(petition, result="no_answer")

    page = client.get(petition.statement.get_absolute_url())

    assert "No answer." in page.text
