"""Recording the timeline in the admin: a delivery goes with the "deliver"
transition; bad input is refused with a clear message."""

from datetime import UTC, datetime

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from actions.followups.models import FollowUp
from actions.followups.tests.factories import make_scheduled
from actions.models import Petition
from actions.tests.factories import make_petition, make_staff
from actions.timeline.models import Delivery, Response
from staff.audit import TRANSITION, logged
from staff.tests.otp import log_in_verified

pytestmark = pytest.mark.django_db

WHEN = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def _time(name: str, value: datetime) -> dict[str, str]:
    local = timezone.localtime(value)
    return {
        f"{name}_0": local.strftime("%Y-%m-%d"),
        f"{name}_1": local.strftime("%H:%M:%S"),
    }


def _delivery(petition: Petition) -> dict[str, str]:
    return {"petition": petition.pk, "to_whom": "The Minister", "how": "by hand"} | (
        _time("delivered_at", WHEN)
    )


def test_recording_a_delivery_marks_the_closed_petition_delivered(admin_client):
    petition = make_petition(state=Petition.State.CLOSED)

    response = admin_client.post(
        reverse("admin:timeline_delivery_add"), _delivery(petition)
    )

    assert response.status_code == 302
    petition.refresh_from_db()
    assert petition.state == Petition.State.DELIVERED
    assert petition.delivered_at == WHEN
    entries = LogEntry.objects.filter(object_id=str(petition.pk))
    assert sum(1 for entry in entries if logged(entry, TRANSITION)) == 1


def test_a_petition_that_takes_signatures_cannot_be_delivered(admin_client, petition):
    response = admin_client.post(
        reverse("admin:timeline_delivery_add"), _delivery(petition)
    )

    assert response.status_code == 200
    assert "still takes signatures: close it first" in response.text
    assert not Delivery.objects.exists()


def test_a_response_without_a_date_is_refused_with_a_clear_message(admin_client):
    petition = make_petition(state=Petition.State.DELIVERED)

    response = admin_client.post(
        reverse("admin:timeline_response_add"),
        {"petition": petition.pk, "summary": "No.", "link": "https://example.org/a"},
    )

    assert response.status_code == 200
    assert "A response needs the date it was received." in response.text
    assert not Response.objects.exists()


def test_a_response_needs_its_full_text_or_a_link(admin_client):
    petition = make_petition(state=Petition.State.DELIVERED)
    data = {"petition": petition.pk, "summary": "No."} | _time("received_at", WHEN)

    response = admin_client.post(reverse("admin:timeline_response_add"), data)

    assert "Give the response&#x27;s full text or a link to it." in response.text
    assert not Response.objects.exists()


def test_a_response_is_recorded(admin_client):
    petition = make_petition(state=Petition.State.DELIVERED)
    data = {"petition": petition.pk, "summary": "No.", "full_text": "No, never."}

    admin_client.post(
        reverse("admin:timeline_response_add"), data | _time("received_at", WHEN)
    )

    assert Response.objects.get().received_at == WHEN


def test_a_campaigner_records_a_delivery(client):
    campaigner = make_staff("campaigner", roles=("Campaigners",))
    log_in_verified(client, campaigner)
    petition = make_petition(state=Petition.State.CLOSED)

    response = client.post(reverse("admin:timeline_delivery_add"), _delivery(petition))

    assert response.status_code == 302
    assert Delivery.objects.filter(petition=petition).exists()
    for name in ["response", "outcome"]:
        assert client.get(reverse(f"admin:timeline_{name}_add")).status_code == 200


def test_a_response_cancels_the_reminders_not_yet_sent(admin_client):
    petition = make_petition(state=Petition.State.DELIVERED, delivered_at=WHEN)
    reminder = make_scheduled(petition, trigger="delivered_30", subject="Still no?")
    delivered = make_scheduled(petition, trigger="delivered")
    data = {"petition": petition.pk, "summary": "No.", "full_text": "No, never."}

    response = admin_client.post(
        reverse("admin:timeline_response_add"),
        data | _time("received_at", WHEN),
        follow=True,
    )

    reminder.refresh_from_db()
    delivered.refresh_from_db()
    assert reminder.state == FollowUp.State.CANCELLED
    assert delivered.state == FollowUp.State.SCHEDULED
    assert "The reminder “Still no?” was cancelled: the target answered." in (
        response.content.decode()
    )
