"""Petition states in the admin: read-only fields, transition buttons and list
actions behind a confirmation page, refusals, and the times' checks."""

from datetime import datetime, timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from actions.followups.models import FollowUp
from actions.followups.tests.factories import make_scheduled
from actions.models import Petition, PetitionCounter
from actions.tests.factories import make_petition, petition_change_data
from staff.audit import TRANSITION, logged

pytestmark = pytest.mark.django_db

State = Petition.State
PETITIONS = reverse("admin:actions_petition_changelist")


def _hours(n: float) -> datetime:
    return timezone.now() + timedelta(hours=n)


def _change_url(petition: Petition) -> str:
    return reverse("admin:actions_petition_change", args=[petition.pk])


def _transition_url(petition: Petition, name: str) -> str:
    return reverse("admin:actions_petition_transition", args=[petition.pk, name])


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def _audited(petition: Petition) -> int:
    entries = LogEntry.objects.filter(object_id=str(petition.pk))
    return sum(1 for entry in entries if logged(entry, TRANSITION))


def _times(petition: Petition, **times: datetime) -> dict[str, str]:
    fields = {}
    for name, value in times.items():
        local = timezone.localtime(value)
        fields[f"{name}_0"] = local.strftime("%Y-%m-%d")
        fields[f"{name}_1"] = local.strftime("%H:%M:%S")
    return petition_change_data(petition, **fields)


# the state is read-only


def test_the_state_cannot_be_changed_in_the_petition_form(admin_client, petition):
    page = admin_client.get(_change_url(petition))
    assert 'name="state"' not in page.text

    response = admin_client.post(
        _change_url(petition), petition_change_data(petition, state="won")
    )

    assert response.status_code == 302
    petition.refresh_from_db()
    assert petition.state == State.OPEN


def test_the_state_cannot_be_changed_in_the_statement_inline(admin_client, petition):
    url = reverse("admin:statements_statement_change", args=[petition.statement_id])

    page = admin_client.get(url)

    assert page.status_code == 200
    assert 'name="petitions-0-title_en"' in page.text
    assert 'name="petitions-0-state"' not in page.text


# buttons and confirmation pages


def test_the_petition_page_offers_the_transitions_its_state_allows(
    admin_client, petition
):
    page = admin_client.get(_change_url(petition))

    assert _transition_url(petition, "close") in page.text
    assert _transition_url(petition, "win") in page.text
    assert _transition_url(petition, "open") not in page.text
    assert _transition_url(petition, "deliver") not in page.text


def test_the_close_confirmation_says_the_count_and_changes_nothing(
    admin_client, petition
):
    PetitionCounter.objects.create(petition=petition, shard=0, confirmed=12345)

    page = admin_client.get(_transition_url(petition, "close"))

    assert page.status_code == 200
    assert "This closes the petition at 12,345 signatures" in page.text
    assert 'value="Yes: Close"' in page.text
    assert Petition.objects.get().state == State.OPEN


def test_the_deliver_confirmation_names_the_follow_up_it_starts(admin_client, petition):
    petition.close()
    make_scheduled(petition, trigger=FollowUp.Trigger.DELIVERED, subject="We did it")

    page = admin_client.get(_transition_url(petition, "deliver"))

    assert "It starts the follow-up “We did it”." in page.text


def test_confirming_closes_the_petition_and_logs_it(admin_client, petition, admin_user):
    response = admin_client.post(_transition_url(petition, "close"), follow=True)

    assert response.redirect_chain[-1][0] == _change_url(petition)
    assert "1 petition is now closed." in _messages(response)
    petition.refresh_from_db()
    assert petition.state == State.CLOSED
    assert petition.closed_at is not None
    assert LogEntry.objects.get(object_id=str(petition.pk)).user == admin_user


def test_a_refused_transition_says_why_and_changes_nothing(admin_client, petition):
    page = admin_client.get(_transition_url(petition, "deliver"))
    assert "only a closed petition can be marked delivered" in page.text
    assert 'value="Yes: Mark delivered"' not in page.text

    response = admin_client.post(_transition_url(petition, "deliver"), follow=True)

    assert any("only a closed petition" in m for m in _messages(response))
    petition.refresh_from_db()
    assert (petition.state, petition.delivered_at) == (State.OPEN, None)
    assert _audited(petition) == 0


def test_two_presses_of_close_leave_one_transition_and_one_audit_entry(
    admin_client, petition
):
    admin_client.get(_transition_url(petition, "close"))  # both pages open
    first = admin_client.post(_transition_url(petition, "close"), follow=True)
    second = admin_client.post(_transition_url(petition, "close"), follow=True)

    assert "1 petition is now closed." in _messages(first)
    assert any("is closed" in m for m in _messages(second))
    assert _audited(petition) == 1


def test_an_unknown_transition_is_not_found(admin_client, petition):
    assert admin_client.get(_transition_url(petition, "reopen")).status_code == 404


# list actions


def test_a_list_action_asks_before_it_moves_anything(admin_client, statement):
    first, second = make_petition(statement), make_petition(statement)
    selected = {"action": "close_selected", "_selected_action": [first.pk, second.pk]}

    page = admin_client.post(PETITIONS, selected)

    assert page.status_code == 200
    assert page.text.count("This closes the petition at 0 signatures") == 2
    assert set(Petition.objects.values_list("state", flat=True)) == {State.OPEN}

    response = admin_client.post(PETITIONS, selected | {"confirmed": "yes"})

    assert response.status_code == 302
    assert set(Petition.objects.values_list("state", flat=True)) == {State.CLOSED}
    assert "2 petitions are now closed." in _messages(admin_client.get(PETITIONS))


def test_a_list_action_refuses_the_petitions_whose_state_does_not_allow_it(
    admin_client, statement
):
    closed, still_open = make_petition(statement), make_petition(statement)
    closed.close()
    selected = {
        "action": "deliver_selected",
        "_selected_action": [closed.pk, still_open.pk],
    }

    page = admin_client.post(PETITIONS, selected)
    assert "only a closed petition can be marked delivered" in page.text

    admin_client.post(PETITIONS, selected | {"confirmed": "yes"})

    closed.refresh_from_db()
    still_open.refresh_from_db()
    assert closed.state == State.DELIVERED
    assert (still_open.state, still_open.delivered_at) == (State.OPEN, None)
    messages = _messages(admin_client.get(PETITIONS))
    assert "1 petition is now delivered." in messages
    assert any(str(still_open) in m and "is open" in m for m in messages)


# times


def test_a_closing_time_before_the_opening_time_is_refused(admin_client, petition):
    data = _times(petition, opens_at=_hours(-2), closes_at=_hours(-3))

    response = admin_client.post(_change_url(petition), data)

    assert response.status_code == 200
    assert "A petition must close after it opens" in response.text
    petition.refresh_from_db()
    assert petition.closes_at is None


def test_an_open_petition_cannot_move_its_opening_time_into_the_future(
    admin_client, petition
):
    response = admin_client.post(
        _change_url(petition), _times(petition, opens_at=_hours(2))
    )

    assert response.status_code == 200
    assert "its opening time cannot move into the future" in response.text
    assert Petition.objects.get().state == State.OPEN


def test_a_petition_added_with_a_future_opening_time_is_scheduled(
    admin_client, petition
):
    data = _times(petition, opens_at=_hours(24)) | {
        "title_en": "Refer the situation to the ICC",
        "slug": "refer-to-the-icc",
        "abuse_settings-0-petition": "",
    }

    response = admin_client.post(reverse("admin:actions_petition_add"), data)

    assert response.status_code == 302
    added = Petition.objects.get(slug="refer-to-the-icc")
    assert added.state == State.SCHEDULED
    assert added.opens_later
