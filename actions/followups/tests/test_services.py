from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone

from actions.followups import services, withdrawals
from actions.followups.models import FollowUp, FollowUpDelivery, Withdrawal
from actions.followups.tests.factories import (
    make_follow_up,
    make_recipient,
    make_scheduled,
)
from actions.models import PetitionCounter, Signature
from actions.suppressions.models import Suppression
from actions.suppressions.services import suppress
from actions.tests.factories import make_petition, make_signature

pytestmark = pytest.mark.django_db

Delivery = FollowUpDelivery.State


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    """Run the beat job as a worker does: its on-commit work included."""

    def run() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            services.run_follow_ups()

    return run


def _recipients(follow_up: FollowUp) -> set[int]:
    return set(services.recipients(follow_up).values_list("pk", flat=True))


def _delivered_to(mailoutbox) -> list[str]:
    return sorted(address for message in mailoutbox for address in message.to)


# recipients


def test_only_confirmed_signers_who_asked_for_updates_are_recipients(petition):
    wanted = make_recipient(petition)
    make_recipient(petition, state=Signature.State.PENDING)
    make_recipient(petition, wants_updates=False)
    make_recipient(
        petition,
        state=Signature.State.INVALIDATED,
        invalidated_at=timezone.now(),
    )
    make_recipient(make_petition())  # another petition's signer

    assert _recipients(make_follow_up(petition)) == {wanted.pk}


def test_withdrawn_addresses_are_not_recipients_in_any_spelling(petition):
    stays = make_recipient(petition)
    left = make_recipient(petition, email="Ada.Lovelace@gmail.com")
    Withdrawal.objects.create(
        canonical_email="adalovelace@gmail.com",
        petition=petition,
        method=Withdrawal.Method.LINK,
    )

    assert _recipients(make_follow_up(petition)) == {stays.pk}
    assert left.pk not in _recipients(make_follow_up(petition))


def test_addresses_that_bounced_or_complained_are_not_recipients(petition):
    stays = make_recipient(petition)
    make_recipient(petition, email="Ada.Lovelace@gmail.com")
    suppress(
        email="adalovelace+x@gmail.com",
        reason=Suppression.Reason.BOUNCED,
        provider="mailgun",
        event_id="event-1",
    )

    assert _recipients(make_follow_up(petition)) == {stays.pk}


def test_withdrawing_from_one_petition_leaves_the_others(petition):
    other = make_petition()
    here = make_recipient(petition, email="ada@example.org")
    there = make_recipient(other, email="ada@example.org")

    withdrawals.withdraw(signature=here, everything=False, method="link")

    assert _recipients(make_follow_up(petition)) == set()
    assert _recipients(make_follow_up(other)) == {there.pk}


def test_withdrawing_from_everything_covers_signatures_made_until_then(petition):
    earlier = make_recipient(petition, email="ada@example.org")
    withdrawals.withdraw(signature=earlier, everything=True, method="preferences")
    later_petition = make_petition()
    # A new signature with the box ticked is fresh consent.
    later = make_recipient(
        later_petition,
        email="ada@example.org",
        created_at=timezone.now() + timedelta(seconds=1),
    )

    assert _recipients(make_follow_up(petition)) == set()
    assert _recipients(make_follow_up(later_petition)) == {later.pk}


# starting


def test_a_follow_up_sent_now_reaches_each_recipient_once(
    petition, mailoutbox, django_capture_on_commit_callbacks
):
    readers = [make_recipient(petition) for _ in range(3)]
    make_recipient(petition, wants_updates=False)
    follow_up = make_follow_up(petition)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.schedule(follow_up=follow_up)
    services.start(follow_up.pk)  # again: nothing more

    assert _delivered_to(mailoutbox) == sorted(r.email for r in readers)
    follow_up.refresh_from_db()
    assert follow_up.state == FollowUp.State.SENT
    assert follow_up.sending_at is not None and follow_up.sent_at is not None
    assert set(follow_up.deliveries.values_list("state", flat=True)) == {Delivery.SENT}


def test_scheduling_twice_is_refused(petition, django_capture_on_commit_callbacks):
    follow_up = make_follow_up(petition)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.schedule(follow_up=follow_up)
        assert not services.schedule(follow_up=follow_up)


def test_queueing_deliveries_twice_adds_no_second_row(petition):
    make_recipient(petition)
    make_recipient(petition)
    follow_up = make_follow_up(petition)

    first = services.queue_deliveries(
        follow_up=follow_up, signatures=services.recipients(follow_up)
    )
    second = services.queue_deliveries(
        follow_up=follow_up, signatures=services.recipients(follow_up)
    )

    assert (first, second) == (2, 0)
    assert follow_up.deliveries.count() == 2


def test_a_follow_up_at_a_time_waits_for_it(petition, mailoutbox, sweep):
    reader = make_recipient(petition)
    later = timezone.now() + timedelta(hours=1)
    follow_up = make_scheduled(petition, trigger=FollowUp.Trigger.AT, send_at=later)

    sweep()
    assert mailoutbox == []

    FollowUp.objects.filter(pk=follow_up.pk).update(send_at=timezone.now())
    sweep()
    assert _delivered_to(mailoutbox) == [reader.email]


def test_the_goal_follow_up_fires_when_the_count_reaches_the_goal(mailoutbox, sweep):
    petition = make_petition(goal=2)
    readers = [make_recipient(petition), make_recipient(petition)]
    make_scheduled(petition, trigger=FollowUp.Trigger.GOAL_REACHED)
    PetitionCounter.objects.create(petition=petition, shard=0, confirmed=1)

    sweep()
    assert mailoutbox == []

    PetitionCounter.objects.filter(petition=petition).update(confirmed=2)
    sweep()
    assert _delivered_to(mailoutbox) == sorted(r.email for r in readers)
    assert "<strong>2</strong> people signed" in mailoutbox[0].alternatives[0][0]


def test_marking_a_petition_delivered_starts_its_delivered_follow_up(
    petition, mailoutbox, django_capture_on_commit_callbacks
):
    reader = make_recipient(petition)
    delivered = make_scheduled(petition, trigger=FollowUp.Trigger.DELIVERED)
    make_scheduled(petition, trigger=FollowUp.Trigger.GOAL_REACHED)
    petition.close()

    with django_capture_on_commit_callbacks(execute=True):
        assert services.mark_petition_delivered(petition=petition)

    assert _delivered_to(mailoutbox) == [reader.email]
    delivered.refresh_from_db()
    assert delivered.state == FollowUp.State.SENT


def test_a_days_after_follow_up_reaches_each_signer_on_their_day(
    petition, mailoutbox, sweep
):
    now = timezone.now()
    follow_up = make_scheduled(
        petition, trigger=FollowUp.Trigger.AFTER_CONFIRMATION, days_after=3
    )
    FollowUp.objects.filter(pk=follow_up.pk).update(
        scheduled_at=now - timedelta(days=1)
    )
    due = make_recipient(petition, confirmed_at=now - timedelta(days=3, minutes=1))
    not_yet = make_recipient(petition, confirmed_at=now - timedelta(days=2))
    # Their third day was before the follow-up existed: not mailed late.
    make_recipient(petition, confirmed_at=now - timedelta(days=10))

    sweep()
    assert _delivered_to(mailoutbox) == [due.email]

    # A day later, told by moving every time a day back: their day has come.
    for model, pk, field in [
        (FollowUp, follow_up.pk, "queued_until"),
        (Signature, not_yet.pk, "confirmed_at"),
    ]:
        model.objects.filter(pk=pk).update(**{field: F(field) - timedelta(days=1)})
    sweep()
    sweep()
    assert _delivered_to(mailoutbox) == sorted([due.email, not_yet.email])
    follow_up.refresh_from_db()
    assert follow_up.state == FollowUp.State.SENDING  # it goes on until cancelled


def test_cancelling_stops_the_emails_not_yet_sent(petition, mailoutbox, sweep):
    make_recipient(petition)
    follow_up = make_scheduled(petition, trigger=FollowUp.Trigger.GOAL_REACHED)
    FollowUp.objects.filter(pk=follow_up.pk).update(state=FollowUp.State.SENDING)
    services.queue_deliveries(
        follow_up=follow_up, signatures=services.recipients(follow_up)
    )

    assert services.cancel(follow_up=follow_up)
    assert not services.cancel(follow_up=follow_up)
    sweep()

    assert mailoutbox == []
    assert set(follow_up.deliveries.values_list("state", flat=True)) == {
        Delivery.CANCELLED
    }


# the sweeper


def test_deliveries_a_dead_worker_held_are_sent_again(
    petition, mailoutbox, settings, sweep
):
    settings.FOLLOW_UP_STALE_SENDING_AFTER = 60
    reader = make_recipient(petition)
    follow_up = make_follow_up(
        petition,
        state=FollowUp.State.SENDING,
        scheduled_at=timezone.now(),
        batch_claimed_at=timezone.now() - timedelta(minutes=5),
    )
    FollowUpDelivery.objects.create(
        follow_up=follow_up,
        signature=reader,
        state=Delivery.SENDING,
        attempts=1,
        sending_at=timezone.now() - timedelta(minutes=5),
    )

    sweep()

    assert _delivered_to(mailoutbox) == [reader.email]
    delivery = follow_up.deliveries.get()
    assert (delivery.state, delivery.attempts) == (Delivery.SENT, 2)


def test_a_recently_claimed_delivery_is_left_to_its_worker(
    petition, mailoutbox, settings, sweep
):
    settings.FOLLOW_UP_STALE_SENDING_AFTER = 60
    follow_up = make_follow_up(
        petition,
        state=FollowUp.State.SENDING,
        scheduled_at=timezone.now(),
        batch_claimed_at=timezone.now(),
    )
    FollowUpDelivery.objects.create(
        follow_up=follow_up,
        signature=make_recipient(petition),
        state=Delivery.SENDING,
        sending_at=timezone.now(),
    )

    sweep()

    assert mailoutbox == []
    assert follow_up.deliveries.get().state == Delivery.SENDING


# withdrawing


def test_withdrawing_cancels_queued_deliveries_and_is_repeat_safe(petition):
    reader = make_recipient(petition)
    other = make_recipient(petition)
    follow_up = make_scheduled(petition)
    services.queue_deliveries(
        follow_up=follow_up, signatures=services.recipients(follow_up)
    )

    first = withdrawals.withdraw(signature=reader, everything=False, method="one_click")
    second = withdrawals.withdraw(signature=reader, everything=False, method="link")

    assert first == second
    assert Withdrawal.objects.count() == 1
    states = dict(follow_up.deliveries.values_list("signature", "state"))
    assert states == {reader.pk: Delivery.CANCELLED, other.pk: Delivery.QUEUED}
    cancelled = follow_up.deliveries.get(signature=reader)
    assert cancelled.cancelled_at is not None


def test_withdrawing_from_everything_again_moves_its_time_forward(petition):
    reader = make_recipient(petition)
    first = withdrawals.withdraw(signature=reader, everything=True, method="link")

    again = withdrawals.withdraw(signature=reader, everything=True, method="link")

    assert again.pk == first.pk
    again.refresh_from_db()
    assert again.withdrawn_at > first.withdrawn_at


def test_subscriptions_say_what_the_address_still_gets(petition):
    reader = make_recipient(petition)
    assert withdrawals.subscriptions(reader) == {
        "consented": True,
        "petition": True,
        "withdrawn_all": False,
    }
    withdrawals.withdraw(signature=reader, everything=True, method="link")
    assert withdrawals.subscriptions(reader) == {
        "consented": True,
        "petition": False,
        "withdrawn_all": True,
    }
    silent = make_signature(petition, state=Signature.State.CONFIRMED)
    assert withdrawals.subscriptions(silent)["consented"] is False


# progress


def test_progress_counts_deliveries_per_state_for_many_follow_ups(petition):
    first, second = make_scheduled(petition), make_scheduled(petition)
    for state in [Delivery.SENT, Delivery.SENT, Delivery.FAILED]:
        FollowUpDelivery.objects.create(
            follow_up=first,
            signature=make_recipient(petition),
            state=state,
            sent_at=timezone.now() if state == Delivery.SENT else None,
        )

    assert services.progress([first.pk, second.pk]) == {
        first.pk: {Delivery.SENT: 2, Delivery.FAILED: 1},
        second.pk: {},
    }
