"""A petition's transitions and the beat job that opens and closes petitions
at their times (actions.lifecycle)."""

import threading
from datetime import datetime, timedelta

import pytest
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone

from actions import lifecycle
from actions.followups.models import FollowUp
from actions.followups.tests.factories import make_recipient, make_scheduled
from actions.models import Petition, PetitionCounter
from actions.tasks import run_petition_schedule
from actions.tests.factories import make_petition, make_staff
from staff.audit import SYSTEM_USERNAME, TRANSITION, logged

pytestmark = pytest.mark.django_db

State = Petition.State


def _hours(n: float) -> datetime:
    return timezone.now() + timedelta(hours=n)


def _transitions(petition: Petition) -> list[dict]:
    entries = LogEntry.objects.filter(object_id=str(petition.pk)).order_by("pk")
    return [moved for entry in entries if (moved := logged(entry, TRANSITION))]


@pytest.fixture
def campaigner():
    return make_staff("campaigner")


@pytest.fixture
def scheduled(statement):
    return make_petition(statement, state=State.SCHEDULED, opens_at=_hours(1))


# the one definition of "open"


def test_a_scheduled_petition_takes_signatures_from_its_opening_time(statement):
    due = make_petition(statement, state=State.SCHEDULED, opens_at=_hours(-1))
    later = make_petition(statement, state=State.SCHEDULED, opens_at=_hours(1))

    assert due.is_open
    assert not later.is_open
    assert later.opens_later
    assert list(Petition.objects.open()) == [due]


# transitions


def test_opening_a_scheduled_petition_now_stamps_it_and_moves_its_opening_time(
    scheduled, campaigner
):
    lifecycle.make_transition(petition=scheduled, name="open", user_id=campaigner.pk)

    scheduled.refresh_from_db()
    assert scheduled.state == State.OPEN
    assert scheduled.opened_at is not None
    assert scheduled.opens_at == scheduled.opened_at
    assert scheduled.is_open
    assert _transitions(scheduled) == [
        {"name": "open", "from": "scheduled", "to": "open"}
    ]


def test_a_petition_whose_closing_time_passed_cannot_be_opened(statement, campaigner):
    petition = make_petition(
        statement, state=State.SCHEDULED, opens_at=_hours(-2), closes_at=_hours(-1)
    )

    with pytest.raises(lifecycle.TransitionRefused, match="closing time has passed"):
        lifecycle.make_transition(petition=petition, name="open", user_id=campaigner.pk)

    petition.refresh_from_db()
    assert (petition.state, petition.opened_at) == (State.SCHEDULED, None)


def test_closing_stamps_the_time_and_logs_who_closed_it(petition, campaigner):
    lifecycle.make_transition(petition=petition, name="close", user_id=campaigner.pk)

    petition.refresh_from_db()
    assert petition.state == State.CLOSED
    assert petition.closed_at is not None
    entry = LogEntry.objects.get()
    assert entry.user == campaigner
    assert logged(entry, TRANSITION) == {
        "name": "close",
        "from": "open",
        "to": "closed",
    }


def test_marking_delivered_starts_the_delivered_follow_ups(
    petition, campaigner, mailoutbox, django_capture_on_commit_callbacks
):
    reader = make_recipient(petition)
    delivered = make_scheduled(petition, trigger=FollowUp.Trigger.DELIVERED)
    petition.close()

    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.make_transition(
            petition=petition, name="deliver", user_id=campaigner.pk
        )

    petition.refresh_from_db()
    assert petition.state == State.DELIVERED
    assert petition.delivered_at is not None
    assert [message.to for message in mailoutbox] == [[reader.email]]
    delivered.refresh_from_db()
    assert delivered.state == FollowUp.State.SENT


def test_closing_starts_the_closed_follow_ups(
    petition, campaigner, mailoutbox, django_capture_on_commit_callbacks
):
    reader = make_recipient(petition)
    closed = make_scheduled(petition, trigger=FollowUp.Trigger.CLOSED)

    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.make_transition(
            petition=petition, name="close", user_id=campaigner.pk
        )

    assert [message.to for message in mailoutbox] == [[reader.email]]
    closed.refresh_from_db()
    assert closed.state == FollowUp.State.SENT


def test_the_schedule_closing_a_petition_starts_its_closed_follow_ups(
    statement, mailoutbox, django_capture_on_commit_callbacks
):
    petition = make_petition(statement, closes_at=_hours(1))
    reader = make_recipient(petition)
    make_scheduled(petition, trigger=FollowUp.Trigger.CLOSED)

    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.run_petition_schedule(now=_hours(2))

    assert [message.to for message in mailoutbox] == [[reader.email]]


def test_winning_an_open_petition_starts_its_closed_and_won_follow_ups(
    petition, campaigner, mailoutbox, django_capture_on_commit_callbacks
):
    reader = make_recipient(petition)
    make_scheduled(petition, trigger=FollowUp.Trigger.CLOSED, subject="Closed")
    make_scheduled(petition, trigger=FollowUp.Trigger.WON, subject="Won")

    lines = lifecycle.describe(petition, lifecycle.TRANSITIONS["win"])
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.make_transition(petition=petition, name="win", user_id=campaigner.pk)

    assert lines[-2:] == [
        "It starts the follow-up “Closed”.",
        "It starts the follow-up “Won”.",
    ]
    assert sorted(message.subject for message in mailoutbox) == ["Closed", "Won"]
    assert {tuple(message.to) for message in mailoutbox} == {(reader.email,)}


def test_closing_is_described_with_the_follow_ups_it_starts(petition):
    make_scheduled(petition, trigger=FollowUp.Trigger.CLOSED, subject="It closed")

    lines = lifecycle.describe(petition, lifecycle.TRANSITIONS["close"])

    assert lines[-1] == "It starts the follow-up “It closed”."


def test_winning_an_open_petition_closes_it_too(petition, campaigner):
    lifecycle.make_transition(petition=petition, name="win", user_id=campaigner.pk)

    petition.refresh_from_db()
    assert petition.state == State.WON
    assert petition.closed_at is not None
    assert petition.won_at == petition.closed_at


@pytest.mark.parametrize(
    ("state", "name"),
    [
        (State.OPEN, "open"),
        (State.OPEN, "deliver"),
        (State.SCHEDULED, "deliver"),
        (State.SCHEDULED, "win"),
        (State.CLOSED, "close"),
        (State.DELIVERED, "close"),
        (State.WON, "win"),
        (State.WON, "deliver"),
    ],
)
def test_a_transition_not_allowed_from_the_state_is_refused_and_changes_nothing(
    statement, campaigner, state, name
):
    petition = make_petition(statement, state=state)

    with pytest.raises(lifecycle.TransitionRefused, match=str(petition)):
        lifecycle.make_transition(petition=petition, name=name, user_id=campaigner.pk)

    petition.refresh_from_db()
    assert petition.state == state
    assert (petition.closed_at, petition.delivered_at, petition.won_at) == (
        None,
        None,
        None,
    )
    assert not LogEntry.objects.exists()


def test_the_transitions_offered_are_those_the_state_allows(statement):
    names = {
        state: [
            t.name for t in lifecycle.allowed(make_petition(statement, state=state))
        ]
        for state in State
    }

    assert names == {
        State.SCHEDULED: ["open", "close"],
        State.OPEN: ["close", "win"],
        State.CLOSED: ["deliver", "win"],
        State.DELIVERED: ["win"],
        State.WON: [],
    }


def test_pressing_close_twice_on_stale_copies_closes_once_with_one_audit_entry(
    petition, campaigner
):
    other_copy = Petition.objects.get(pk=petition.pk)
    lifecycle.make_transition(petition=petition, name="close", user_id=campaigner.pk)

    with pytest.raises(lifecycle.TransitionRefused):
        lifecycle.make_transition(
            petition=other_copy, name="close", user_id=campaigner.pk
        )

    assert len(_transitions(petition)) == 1


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite has no concurrent writers"
)
@pytest.mark.django_db(transaction=True)
def test_two_campaigners_closing_at_the_same_instant_leave_one_audit_entry(statement):
    petition = make_petition(statement)
    users = [make_staff("first"), make_staff("second")]
    start, outcomes = threading.Barrier(2), []

    def press(user: User) -> None:
        copy = Petition.objects.get(pk=petition.pk)
        start.wait(timeout=10)
        try:
            lifecycle.make_transition(petition=copy, name="close", user_id=user.pk)
            outcomes.append("closed")
        except lifecycle.TransitionRefused:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=press, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["closed", "refused"]
    assert len(_transitions(petition)) == 1


# what the confirmation page says


def test_closing_is_described_with_the_real_count(petition):
    PetitionCounter.objects.create(petition=petition, shard=0, confirmed=12345)

    lines = lifecycle.describe(petition, lifecycle.TRANSITIONS["close"])

    assert lines == [
        "This closes the petition at 12,345 signatures: it takes no more.",
        "No follow-up is scheduled to start with it.",
    ]


def test_delivering_is_described_with_the_follow_ups_it_starts(petition):
    petition.close()
    make_scheduled(petition, trigger=FollowUp.Trigger.DELIVERED, subject="Delivered")
    make_scheduled(petition, trigger=FollowUp.Trigger.GOAL_REACHED, subject="Goal")

    lines = lifecycle.describe(petition, lifecycle.TRANSITIONS["deliver"])

    assert lines == [
        "This marks the petition delivered, at 0 signatures.",
        "It starts the follow-up “Delivered”.",
    ]


# the beat job


def test_the_schedule_opens_a_petition_at_its_opening_time(scheduled):
    opens_at = scheduled.opens_at

    assert lifecycle.run_petition_schedule(now=_hours(2)) == 1

    scheduled.refresh_from_db()
    assert scheduled.state == State.OPEN
    assert scheduled.opened_at == opens_at
    assert scheduled.opens_at == opens_at


def test_the_schedule_closes_a_petition_at_its_closing_time_as_the_system_user(
    statement,
):
    petition = make_petition(statement, closes_at=_hours(1))

    assert lifecycle.run_petition_schedule(now=_hours(2)) == 1

    petition.refresh_from_db()
    assert petition.state == State.CLOSED
    assert petition.closed_at == petition.closes_at
    system = LogEntry.objects.get().user
    assert system.username == SYSTEM_USERNAME
    assert not system.is_active
    assert not system.has_usable_password()


def test_the_schedule_opens_then_closes_a_petition_whose_times_both_passed(
    statement,
):
    petition = make_petition(
        statement, state=State.SCHEDULED, opens_at=_hours(1), closes_at=_hours(2)
    )

    assert lifecycle.run_petition_schedule(now=_hours(3)) == 2

    petition.refresh_from_db()
    assert petition.state == State.CLOSED
    assert [t["name"] for t in _transitions(petition)] == ["open", "close"]


def test_the_schedule_leaves_petitions_whose_time_has_not_come(scheduled, statement):
    petition = make_petition(statement, closes_at=_hours(3))

    assert lifecycle.run_petition_schedule(now=_hours(0.5)) == 0

    assert Petition.objects.get(pk=scheduled.pk).state == State.SCHEDULED
    assert Petition.objects.get(pk=petition.pk).state == State.OPEN
    assert not LogEntry.objects.exists()


def test_the_schedule_run_twice_moves_each_petition_once(statement):
    make_petition(statement, opens_at=_hours(-2), closes_at=_hours(-1))

    assert run_petition_schedule() == 1
    assert run_petition_schedule() == 0

    assert LogEntry.objects.count() == 1
    assert User.objects.filter(username=SYSTEM_USERNAME).count() == 1


def test_the_schedule_opens_and_closes_a_petition_whose_times_passed_long_ago(
    statement,
):
    petition = make_petition(
        statement, state=State.SCHEDULED, opens_at=_hours(-2), closes_at=_hours(-1)
    )

    assert run_petition_schedule() == 2

    petition.refresh_from_db()
    assert (petition.state, petition.opened_at) == (State.CLOSED, petition.opens_at)
    assert petition.closed_at == petition.closes_at


def test_beat_runs_the_petition_schedule_every_minute_by_default():
    entry = settings.CELERY_BEAT_SCHEDULE["run-petition-schedule"]

    assert entry["task"] == "actions.tasks.run_petition_schedule"
    assert entry["schedule"] == settings.PETITION_SCHEDULE_INTERVAL == 60
