"""The data link, the data copy and erasure, as services."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.test import override_settings
from django.utils import timezone

from actions.followups import services as followups
from actions.followups import withdrawals
from actions.followups.models import FollowUpDelivery, Withdrawal
from actions.followups.tests.factories import make_recipient, make_scheduled
from actions.models import Signature
from actions.outbox.models import OutboundEmail
from actions.outbox.services import NOT_SENT, queue_email
from actions.privacy import services
from actions.privacy.models import Erasure
from actions.services import confirm_signature
from actions.suppressions.models import Suppression
from actions.suppressions.services import suppress
from actions.tests.factories import make_petition, make_signature

pytestmark = pytest.mark.django_db

DATA_LINK = OutboundEmail.Kind.DATA_REQUEST


def _links_to(address: str) -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(kind=DATA_LINK, to_email=address))


# The link


def test_a_link_goes_to_the_address_last_signed_with(petition, mailoutbox):
    make_signature(petition, email="Ada@Example.org")
    make_signature(make_petition(), email="ada@example.org")

    with override_settings(DATA_LINKS_PER_DAY=3):
        services.send_data_link(email="ADA@example.org")

    [outbound] = _links_to("ada@example.org")
    assert outbound.state == OutboundEmail.State.QUEUED


def test_an_address_that_signed_nothing_gets_nothing(petition):
    make_signature(petition, email="ada@example.org")

    assert services.send_data_link(email="grace@example.org") is None
    assert not OutboundEmail.objects.exists()


@override_settings(DATA_LINKS_PER_DAY=3)
def test_an_address_gets_at_most_the_daily_cap_of_links(petition):
    make_signature(petition, email="ada@example.org")

    sent = [services.send_data_link(email="ada@example.org") for _ in range(5)]

    assert [outbound is not None for outbound in sent] == [True] * 3 + [False] * 2
    assert len(_links_to("ada@example.org")) == 3


@override_settings(DATA_LINKS_PER_DAY=1)
def test_the_cap_counts_the_last_24_hours(petition):
    make_signature(petition, email="ada@example.org")
    services.send_data_link(email="ada@example.org")
    OutboundEmail.objects.update(created_at=timezone.now() - timedelta(hours=25))

    assert services.send_data_link(email="ada@example.org") is not None
    assert services.send_data_link(email="ada@example.org") is None


def test_the_link_email_carries_a_link_to_the_copy(
    petition, mailoutbox, django_capture_on_commit_callbacks
):
    signature = make_signature(petition, email="ada@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        services.request_data_link(email="ada@example.org")

    [email] = mailoutbox
    assert email.to == ["ada@example.org"]
    assert email.subject == "Your data at Campaign"
    link = next(line for line in email.body.splitlines() if "/your-data/" in line)
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert services.signature_from_data_token(token) == signature


def test_no_link_for_an_erased_address(petition):
    signature = make_signature(petition, email="ada@example.org")
    services.erase(signature=signature)

    assert services.send_data_link(email="ada@example.org") is None


# The copy


def test_the_copy_holds_every_signature_consent_and_email_of_the_address(petition):
    other = make_petition(title="Stop the arms sales")
    first = make_recipient(petition, email="Ada@example.org", first_name="Ada")
    second = make_signature(other, email="ada@example.org", source="radio")
    make_signature(petition, email="grace@example.org")
    queue_email(kind="confirm", to_email=first.email, signature=first)
    queue_email(kind="already_signed", to_email=second.email, signature=second)
    follow_up = make_scheduled(petition, subject="News for {{ first_name }}")
    followups.queue_deliveries(
        follow_up=follow_up, signatures=Signature.objects.filter(pk=first.pk)
    )
    withdrawals.withdraw(signature=first, everything=True, method="preferences")

    copy = services.data_copy(second)

    assert copy["email"] == "ada@example.org"
    assert [s["petition"] for s in copy["signatures"]] == [
        petition.title,
        "Stop the arms sales",
    ]
    assert copy["signatures"][1]["source"] == "radio"
    assert [e["subject"] for e in copy["emails"]] == [
        f"Please confirm your signature: {petition.title}",
        "You have already signed: Stop the arms sales",
        "News for Ada",
    ]
    [withdrawal] = copy["consent_records"]
    assert (withdrawal["given"], withdrawal["all_petitions"]) == (False, True)
    assert copy["withdrawals"][0]["all_petitions"] is True


# Erasure


def _supporter(petition):
    """A confirmed, counted signature that asked for updates, and another."""
    signature = make_signature(
        petition,
        email="Ada@Example.org",
        wants_updates=True,
        client_hash="c0ffee" * 10 + "abcd",
    )
    confirm_signature(signature=signature)
    other = make_signature(make_petition(), email="ada@example.org")
    return signature, other


def test_erasure_removes_the_person_and_keeps_the_counts(petition):
    signature, other = _supporter(petition)
    count = petition.confirmed_count()
    assert count == 1

    erased = services.erase(signature=signature)

    assert erased == 2
    for row in Signature.objects.filter(pk__in=[signature.pk, other.pk]):
        assert (row.first_name, row.last_name, row.client_hash) == ("", "", "")
        assert "@" not in row.email and "@" not in row.canonical_email
        assert row.anonymised_at is not None
        assert row.country == "KH"
    assert Signature.objects.get(pk=signature.pk).state == "confirmed"
    assert petition.confirmed_count() == count
    [record] = Erasure.objects.all()
    assert (record.reason, record.signatures) == ("request", 2)


def test_erasing_twice_does_nothing_the_second_time(petition):
    signature, _ = _supporter(petition)

    assert services.erase(signature=signature) == 2
    assert services.erase(signature=signature) == 0
    assert Erasure.objects.count() == 1


def test_erasure_cancels_unsent_emails_and_forgets_the_address_everywhere(petition):
    signature, other = _supporter(petition)
    queued = queue_email(kind="confirm", to_email=other.email, signature=other)
    sent = queue_email(kind="confirm", to_email=signature.email, signature=signature)
    OutboundEmail.objects.filter(pk=sent.pk).update(
        state="sent", sent_at=timezone.now(), last_error="452 <Ada@Example.org>"
    )
    follow_up = make_scheduled(petition)
    followups.queue_deliveries(
        follow_up=follow_up, signatures=followups.recipients(follow_up)
    )
    withdrawals.withdraw(signature=other, everything=False, method="link")
    withdrawals.withdraw(signature=signature, everything=True, method="link")
    suppress(
        email="ada@example.org",
        reason="bounced",
        provider="mailgun",
        event_id="ev-1",
        description="550 <ada@example.org> unknown",
    )

    services.erase(signature=signature)

    queued.refresh_from_db()
    assert (queued.state, queued.to_email) == ("failed", "erased")
    assert queued.last_error == NOT_SENT
    assert OutboundEmail.objects.get(pk=sent.pk).last_error == ""
    assert FollowUpDelivery.objects.get().state == FollowUpDelivery.State.CANCELLED
    assert not Withdrawal.objects.filter(canonical_email__contains="@").exists()
    assert Withdrawal.objects.count() == 2
    suppression = Suppression.objects.get()
    assert "@" not in suppression.canonical_email
    assert suppression.description == ""


def test_an_erased_signature_gets_no_more_follow_ups(petition):
    signature = make_recipient(petition)
    follow_up = make_scheduled(petition)

    services.erase(signature=signature)

    assert not followups.recipients(follow_up).exists()


def test_the_database_refuses_a_half_anonymised_signature(petition):
    signature = make_signature(petition)

    with pytest.raises(IntegrityError), transaction.atomic():
        Signature.objects.filter(pk=signature.pk).update(
            anonymised_at=timezone.now(), first_name=""
        )
