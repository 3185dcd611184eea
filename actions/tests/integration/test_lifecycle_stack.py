"""Petitions open and close at their times through the real stack: Celery
beat runs the petition schedule (every second here), a worker runs it on
PostgreSQL, and each change is logged as the system user."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.utils import timezone

from actions.models import Petition
from actions.tests.factories import make_petition
from actions.tests.integration.stack import wait_until
from staff.audit import SYSTEM_USERNAME, TRANSITION, logged

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

State = Petition.State


def _state(petition: Petition) -> str:
    return Petition.objects.get(pk=petition.pk).state


def test_beat_closes_a_petition_whose_time_passed_and_opens_a_scheduled_one(stack):
    now = timezone.now()
    closing = make_petition(
        opens_at=now - timedelta(hours=1), closes_at=now + timedelta(seconds=2)
    )
    opening = make_petition(state=State.SCHEDULED, opens_at=now + timedelta(seconds=2))
    later = make_petition(state=State.SCHEDULED, opens_at=now + timedelta(hours=1))

    wait_until(
        lambda: (_state(closing), _state(opening)) == (State.CLOSED, State.OPEN),
        timeout=30,
        interval=0.5,
        message=lambda: f"beat to move the petitions\n{stack.logs()}",
    )

    closing.refresh_from_db()
    opening.refresh_from_db()
    assert closing.closed_at == closing.closes_at
    assert opening.opened_at == opening.opens_at
    assert _state(later) == State.SCHEDULED
    entries = LogEntry.objects.select_related("user").order_by("pk")
    moves = {
        (entry.object_id, logged(entry, TRANSITION)["name"], entry.user.username)
        for entry in entries
        if logged(entry, TRANSITION)
    }
    assert moves == {
        (str(closing.pk), "close", SYSTEM_USERNAME),
        (str(opening.pk), "open", SYSTEM_USERNAME),
    }
