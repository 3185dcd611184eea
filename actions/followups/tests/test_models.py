import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from actions.followups.models import FollowUp, FollowUpDelivery, Withdrawal
from actions.followups.tests.factories import make_follow_up, make_recipient

pytestmark = pytest.mark.django_db


def test_a_signature_gets_one_delivery_per_follow_up_by_constraint(petition):
    follow_up, reader = make_follow_up(petition), make_recipient(petition)
    FollowUpDelivery.objects.create(follow_up=follow_up, signature=reader)

    with pytest.raises(IntegrityError), transaction.atomic():
        FollowUpDelivery.objects.create(follow_up=follow_up, signature=reader)


def test_a_sent_delivery_has_its_time_by_constraint(petition):
    with pytest.raises(IntegrityError), transaction.atomic():
        FollowUpDelivery.objects.create(
            follow_up=make_follow_up(petition),
            signature=make_recipient(petition),
            state=FollowUpDelivery.State.SENT,
        )


@pytest.mark.parametrize(
    "fields",
    [
        {"trigger": FollowUp.Trigger.AT},
        {"trigger": FollowUp.Trigger.AFTER_CONFIRMATION},
        {"trigger": FollowUp.Trigger.AFTER_CONFIRMATION, "days_after": 0},
        {"state": FollowUp.State.SCHEDULED},
        {"state": FollowUp.State.SENT, "scheduled_at": timezone.now()},
        {"state": FollowUp.State.CANCELLED},
    ],
)
def test_inconsistent_follow_ups_are_refused_by_the_database(petition, fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_follow_up(petition, **fields)


def test_one_withdrawal_per_address_and_scope_by_constraint(petition):
    for _ in range(2):
        Withdrawal.objects.create(
            canonical_email="ada@example.org", petition=petition, method="link"
        )
        with pytest.raises(IntegrityError), transaction.atomic():
            Withdrawal.objects.create(
                canonical_email="ada@example.org", petition=petition, method="link"
            )
        petition = None  # then the same for "all petitions"


def test_scheduling_and_cancelling_are_one_way_and_stamped(petition):
    follow_up = make_follow_up(petition)

    assert follow_up.schedule() and not follow_up.schedule()
    assert follow_up.scheduled_at is not None
    assert follow_up.cancel() and not follow_up.cancel()
    follow_up.refresh_from_db()
    assert follow_up.state == FollowUp.State.CANCELLED
    assert follow_up.cancelled_at is not None
    assert not follow_up.is_editable
