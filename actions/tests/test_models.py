from datetime import datetime, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.test import override_settings
from django.utils import timezone

from actions.models import Petition, Signature
from actions.outbox.models import OutboundEmail
from actions.tests.factories import make_petition, make_signature

pytestmark = pytest.mark.django_db


def _hours(n: int) -> datetime:
    return timezone.now() + timedelta(hours=n)


# Petition.is_open and Petition.objects.open()


def test_an_open_petition_without_a_close_time_is_open(petition):
    assert petition.is_open
    assert list(Petition.objects.open()) == [petition]


@pytest.mark.parametrize(
    "fields",
    [
        {"state": Petition.State.CLOSED},
        {"state": Petition.State.DELIVERED},
        {"state": Petition.State.WON},
        {"opens_at": _hours(-2), "closes_at": _hours(-1)},
        {"opens_at": _hours(1)},
    ],
    ids=["closed", "delivered", "won", "past-closes-at", "future-opens-at"],
)
def test_a_petition_is_not_open(statement, fields):
    petition = make_petition(statement, **fields)

    assert not petition.is_open
    assert not Petition.objects.open().exists()


def test_a_petition_closing_later_is_open(statement):
    petition = make_petition(statement, opens_at=_hours(-1), closes_at=_hours(1))

    assert petition.is_open
    assert list(Petition.objects.open()) == [petition]


# state transitions


def test_closing_an_open_petition_stamps_closed_at(petition):
    assert petition.close() is True

    petition.refresh_from_db()
    assert petition.state == Petition.State.CLOSED
    assert petition.closed_at is not None


def test_closing_twice_is_refused_and_keeps_the_first_time(petition):
    petition.close()
    closed_at = Petition.objects.get().closed_at

    assert petition.close() is False
    assert Petition.objects.get().closed_at == closed_at


def test_an_open_petition_cannot_be_delivered(petition):
    assert petition.mark_delivered() is False

    petition.refresh_from_db()
    assert petition.state == Petition.State.OPEN
    assert petition.delivered_at is None


def test_a_closed_petition_can_be_delivered(petition):
    petition.close()

    assert petition.mark_delivered() is True

    petition.refresh_from_db()
    assert petition.state == Petition.State.DELIVERED
    assert petition.delivered_at is not None
    assert petition.mark_delivered() is False


def test_a_delivered_petition_can_be_won(petition):
    petition.close()
    petition.mark_delivered()

    assert petition.mark_won() is True

    petition.refresh_from_db()
    assert petition.state == Petition.State.WON
    assert petition.won_at is not None
    assert petition.delivered_at is not None


def test_winning_an_open_petition_closes_it_first(petition):
    assert petition.mark_won() is True

    petition.refresh_from_db()
    assert petition.state == Petition.State.WON
    assert petition.closed_at is not None
    assert petition.won_at is not None


def test_a_won_petition_stays_won(petition):
    petition.mark_won()
    won_at = Petition.objects.get().won_at

    assert petition.mark_won() is False
    assert petition.close() is False
    assert petition.mark_delivered() is False
    petition.refresh_from_db()
    assert petition.state == Petition.State.WON
    assert petition.won_at == won_at


def test_a_transition_does_not_trust_a_stale_instance(petition):
    stale = Petition.objects.get(pk=petition.pk)
    petition.close()
    petition.mark_delivered()

    assert stale.close() is False
    assert Petition.objects.get().state == Petition.State.DELIVERED


# Signature


def test_confirming_a_signature_is_repeat_safe(petition):
    signature = make_signature(petition)

    assert signature.confirm() is True
    assert signature.confirm() is False

    signature.refresh_from_db()
    assert signature.state == Signature.State.CONFIRMED
    assert signature.confirmed_at is not None


def test_full_name_joins_first_and_last_name(petition):
    signature = make_signature(petition, first_name="Ada", last_name="Lovelace")

    assert signature.full_name == "Ada Lovelace"


@override_settings(MAX_EMAILS_PER_SIGNATURE=2)
def test_reserve_email_stops_at_the_cap(petition):
    signature = make_signature(petition)

    assert [signature.reserve_email() for _ in range(3)] == [True, True, False]
    signature.refresh_from_db()
    assert signature.emails_queued == 2


def test_one_signature_per_canonical_email_per_petition(petition):
    make_signature(petition, email="ada.lovelace@gmail.com")

    with pytest.raises(IntegrityError), transaction.atomic():
        make_signature(petition, email="AdaLovelace+x@googlemail.com")

    assert Signature.objects.count() == 1


def test_the_same_address_may_sign_different_petitions(statement):
    first, second = make_petition(statement), make_petition(statement)

    make_signature(first, email="ada@example.org")
    make_signature(second, email="ada@example.org")

    assert Signature.objects.count() == 2


# check constraints


def test_a_petition_goal_must_be_positive(statement):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_petition(statement, goal=0)


def test_a_petition_must_close_after_it_opens(statement):
    opens_at = _hours(1)

    with pytest.raises(IntegrityError), transaction.atomic():
        make_petition(statement, opens_at=opens_at, closes_at=opens_at)


def test_a_confirmed_signature_needs_a_confirmation_time(petition):
    with pytest.raises(IntegrityError), transaction.atomic():
        Signature.objects.create(
            petition=petition,
            first_name="Ada",
            last_name="Lovelace",
            email="ada@example.org",
            canonical_email="ada@example.org",
            country="KH",
            state=Signature.State.CONFIRMED,
        )


def test_an_invalidated_signature_needs_an_invalidation_time(petition):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_signature(petition, state=Signature.State.INVALIDATED)


def test_a_sent_email_needs_a_sent_time():
    with pytest.raises(IntegrityError), transaction.atomic():
        OutboundEmail.objects.create(
            kind=OutboundEmail.Kind.CONFIRM,
            to_email="ada@example.org",
            state=OutboundEmail.State.SENT,
        )
