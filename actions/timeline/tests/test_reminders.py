"""Reminder follow-ups 30, 60 and 90 days after delivery, started by the
follow-ups' beat job."""

from datetime import timedelta

import pytest
from django.utils import timezone

from actions.followups.models import FollowUp, FollowUpDelivery
from actions.followups.services import run_follow_ups
from actions.followups.tests.factories import make_recipient, make_scheduled
from actions.models import Petition
from actions.tests.factories import make_petition

pytestmark = pytest.mark.django_db


def _delivered(days_ago: float) -> Petition:
    return make_petition(
        state=Petition.State.DELIVERED,
        delivered_at=timezone.now() - timedelta(days=days_ago),
    )


@pytest.mark.parametrize("days", [30, 60, 90])
def test_a_reminder_starts_its_number_of_days_after_delivery(days):
    petition = _delivered(days + 0.01)
    make_recipient(petition)
    reminder = make_scheduled(petition, trigger=f"delivered_{days}")

    run_follow_ups()

    reminder.refresh_from_db()
    assert reminder.state != FollowUp.State.SCHEDULED
    assert FollowUpDelivery.objects.filter(follow_up=reminder).count() == 1


@pytest.mark.parametrize("days", [30, 60, 90])
def test_a_reminder_waits_until_its_day(days):
    petition = _delivered(days - 0.01)
    make_recipient(petition)
    reminder = make_scheduled(petition, trigger=f"delivered_{days}")

    run_follow_ups()

    reminder.refresh_from_db()
    assert reminder.state == FollowUp.State.SCHEDULED
    assert not FollowUpDelivery.objects.exists()


def test_a_reminder_of_an_undelivered_petition_waits(petition):
    make_recipient(petition)
    reminder = make_scheduled(petition, trigger="delivered_30")

    run_follow_ups()

    reminder.refresh_from_db()
    assert reminder.state == FollowUp.State.SCHEDULED
