import pytest
from django.utils import timezone

from actions.followups.models import FollowUp
from actions.followups.tasks import (
    run_follow_ups,
    send_follow_up_batch,
    start_follow_up,
)
from actions.followups.tests.factories import (
    make_follow_up,
    make_recipient,
    make_scheduled,
)

pytestmark = pytest.mark.django_db


def test_start_follow_up_twice_sends_once(
    petition, mailoutbox, django_capture_on_commit_callbacks
):
    reader = make_recipient(petition)
    follow_up = make_scheduled(petition)

    with django_capture_on_commit_callbacks(execute=True):
        start_follow_up(follow_up.pk)
        start_follow_up(follow_up.pk)

    assert [m.to for m in mailoutbox] == [[reader.email]]


def test_start_follow_up_of_a_draft_or_missing_one_does_nothing(petition, mailoutbox):
    make_recipient(petition)
    draft = make_follow_up(petition)

    assert start_follow_up(draft.pk) == 0
    assert start_follow_up(987654) == 0
    assert mailoutbox == []


def test_a_batch_of_a_cancelled_follow_up_sends_nothing(petition, mailoutbox):
    make_recipient(petition)
    follow_up = make_follow_up(
        petition,
        state=FollowUp.State.CANCELLED,
        scheduled_at=timezone.now(),
        cancelled_at=timezone.now(),
    )

    assert send_follow_up_batch(follow_up.pk) == 0
    assert mailoutbox == []


def test_the_beat_job_starts_what_is_due(
    petition, mailoutbox, django_capture_on_commit_callbacks
):
    reader = make_recipient(petition)
    make_scheduled(petition)

    with django_capture_on_commit_callbacks(execute=True):
        run_follow_ups()

    assert [m.to for m in mailoutbox] == [[reader.email]]
