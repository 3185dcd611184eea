"""Many supporters at once, some typing the same address differently."""

import pytest
from django.conf import settings
from django.urls import reverse

from actions.models import Signature
from actions.outbox.models import OutboundEmail
from actions.tests.factories import make_petition, stamp_for
from actions.tests.integration.stack import post_all_at_once, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ADDRESSES = [f"crowd{n}@example.org" for n in range(20)]
VARIANTS_PER_ADDRESS = 10


def case_variants(address: str, count: int) -> list[str]:
    """The address as typed, then with one more letter in capitals each time."""
    letters = [i for i, char in enumerate(address) if char.isalpha()]
    return [address] + [
        address[:i] + address[i].upper() + address[i + 1 :]
        for i in letters[: count - 1]
    ]


def test_concurrent_signings_keep_one_signature_per_address(stack, mailbox, sign_data):
    petition = make_petition()
    sign_path = reverse("actions:sign", kwargs={"slug": petition.slug})
    # Interleaved, so the variants of each address race one another.
    emails = [
        variant
        for round_ in zip(
            *(case_variants(a, VARIANTS_PER_ADDRESS) for a in ADDRESSES), strict=True
        )
        for variant in round_
    ]
    assert len(set(emails)) == 200
    # Each from a device of its own: one device is rate limited sooner (see
    # test_abuse_stack).
    statuses = post_all_at_once(
        stack,
        sign_path,
        [sign_data | {"started": stamp_for(petition), "email": e} for e in emails],
        network="10.1",
    )

    assert statuses == {302: len(emails)}
    signatures = Signature.objects.filter(petition=petition)
    assert sorted(signatures.values_list("canonical_email", flat=True)) == sorted(
        ADDRESSES
    )
    # Each address's owner gets its confirmation again, up to the cap, however
    # many requests raced: the workers queue the repeats after the responses
    # (actions.services.sign_again).
    cap = settings.MAX_EMAILS_PER_SIGNATURE
    emails = OutboundEmail.objects.filter(signature__petition=petition)
    wait_until(
        lambda: emails.count() >= cap * len(ADDRESSES),
        timeout=60,
        interval=0.5,
        message=lambda: f"{cap} emails queued for each of {ADDRESSES}",
    )
    assert set(signatures.values_list("emails_queued", flat=True)) == {cap}
    assert OutboundEmail.objects.filter(signature__petition=petition).count() == (
        cap * len(ADDRESSES)
    )
    stored = set(signatures.values_list("email", flat=True))
    wait_until(
        lambda: sum(mailbox.count_by_recipient(stored).values()) >= cap * len(stored),
        timeout=60,
        interval=0.5,
        message=lambda: f"{cap} emails to each of {stored}\n{stack.logs()}",
    )
    assert mailbox.count_by_recipient(stored) == {a.lower(): cap for a in stored}
