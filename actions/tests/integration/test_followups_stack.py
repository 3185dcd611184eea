"""Follow-ups through the real stack: beat starts them, the bulk worker's two
processes send them in batches to an SMTP server, PostgreSQL and Redis."""

import os
import signal
import time
from collections import Counter
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from actions.core.tokens import make_unsubscribe_token
from actions.followups import withdrawals
from actions.followups.models import FollowUp, FollowUpDelivery, Withdrawal
from actions.models import Signature
from actions.suppressions.models import Suppression
from actions.suppressions.services import suppress
from actions.tests.factories import make_petition, stamp_for
from actions.tests.integration.stack import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

Delivery = FollowUpDelivery.State


def _signers(petition, prefix: str, count: int, **fields) -> list[Signature]:
    now = timezone.now()
    defaults = {
        "state": Signature.State.CONFIRMED,
        "confirmed_at": now,
        "wants_updates": True,
        "consent_version": "v1",
    }
    signatures = [
        Signature(
            petition=petition,
            first_name=f"Reader{n}",
            last_name="Stack",
            email=f"{prefix}{n}@example.org",
            canonical_email=f"{prefix}{n}@example.org",
            country="KH",
            **defaults | fields,
        )
        for n in range(count)
    ]
    return Signature.objects.bulk_create(signatures)


def _scheduled(petition) -> FollowUp:
    """A follow-up to send now; the stack's beat starts it within a second."""
    return FollowUp.objects.create(
        petition=petition,
        subject="News for {{ first_name }}",
        body="Dear {{ first_name }},\n\n{{ signature_count }} people signed.",
        state=FollowUp.State.SCHEDULED,
        scheduled_at=timezone.now(),
    )


def _received(mailbox, signatures: list[Signature]) -> Counter:
    return mailbox.count_by_recipient({s.email for s in signatures})


def _wait_for_all(stack, mailbox, signatures, *, timeout: float) -> None:
    wait_until(
        lambda: len(_received(mailbox, signatures)) == len(signatures),
        timeout=timeout,
        interval=0.5,
        message=lambda: (
            f"{len(signatures)} follow-ups, got {len(_received(mailbox, signatures))}"
            f"\n{stack.logs()}"
        ),
    )


def test_a_follow_up_reaches_each_consenting_signer_once_though_a_worker_dies(
    stack, mailbox, sign_data
):
    petition = make_petition(goal=5000)
    wanted = _signers(petition, "fu-once-", 1000)
    left_out = [
        *_signers(petition, "fu-pending-", 10, state="pending", confirmed_at=None),
        *_signers(petition, "fu-silent-", 10, wants_updates=False),
        *_signers(petition, "fu-left-", 10),
        *_signers(petition, "fu-left-all-", 10),
        *_signers(petition, "fu-bounced-", 10),
    ]
    for signature in left_out[20:30]:
        withdrawals.withdraw(signature=signature, everything=False, method="link")
    for signature in left_out[30:40]:
        withdrawals.withdraw(signature=signature, everything=True, method="link")
    for n, signature in enumerate(left_out[40:]):  # hard bounces or complaints
        suppress(
            email=signature.email,
            reason=Suppression.Reason.BOUNCED
            if n % 2
            else Suppression.Reason.COMPLAINED,
            provider="mailgun",
            event_id=f"fu-bounced-{n}",
        )
    follow_up = _scheduled(petition)

    wait_until(
        lambda: len(_received(mailbox, wanted)) >= 250,
        timeout=60,
        interval=0.1,
        message=lambda: f"the follow-up under way\n{stack.logs()}",
    )
    victim = stack.children("bulk")[0]
    os.kill(victim, signal.SIGKILL)
    # A confirmation queued in the middle of the follow-up does not wait for it.
    other = make_petition()
    sign_path = reverse("actions:sign", kwargs={"slug": other.slug})
    signed = stack.post(
        sign_path,
        sign_data | {"email": "fu-confirm@example.org", "started": stamp_for(other)},
    )
    signed_at = time.monotonic()
    mailbox.wait_for("fu-confirm@example.org", timeout=10)
    confirmation_took = time.monotonic() - signed_at

    wait_until(
        lambda: FollowUp.objects.get(pk=follow_up.pk).state == FollowUp.State.SENT,
        timeout=150,
        interval=0.5,
        message=lambda: f"the follow-up marked sent\n{stack.logs()}",
    )
    time.sleep(4)  # more sweeps and stale-claim recoveries: nothing may come twice

    received = _received(mailbox, wanted)
    duplicates = sum(n - 1 for n in received.values())
    missing = len(wanted) - len(received)
    print(
        f"Duplicates: {duplicates}; missing: {missing}; "
        f"confirmation after {confirmation_took:.2f} s"
    )
    assert duplicates == 0, received.most_common(5)
    assert missing == 0, f"{missing} signers got nothing"
    states = FollowUpDelivery.objects.filter(follow_up=follow_up).values_list(
        "state", flat=True
    )
    assert set(states) == {Delivery.SENT}
    assert not _received(mailbox, left_out)
    assert signed.status == 302
    assert confirmation_took < 2, f"confirmation took {confirmation_took:.2f} s"
    # The process died with a batch in hand, not between two.
    assert "WorkerLostError" in stack.log("bulk")
    states = Counter(follow_up.deliveries.values_list("state", flat=True))
    assert states == {Delivery.SENT: 1000}
    message = mailbox.messages_to(wanted[0].email)[0]
    assert message["Subject"] == "News for Reader0"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Unsubscribe"].startswith(f"<{stack.url}/unsubscribe/")


def test_a_one_click_unsubscribe_stops_a_follow_up_under_way(stack, mailbox):
    petition = make_petition()
    signers = _signers(petition, "fu-stop-", 600)
    last = signers[-1]  # batches go in order: the last is sent last
    _scheduled(petition)
    wait_until(
        lambda: _received(mailbox, signers),
        timeout=60,
        interval=0.05,
        message=lambda: f"the follow-up under way\n{stack.logs()}",
    )

    token = make_unsubscribe_token(last.pk)
    path = urlsplit(reverse("actions:unsubscribe", kwargs={"token": token})).path
    response = stack.post(path, {"List-Unsubscribe": "One-Click"})

    assert response.status == 200
    delivery = FollowUpDelivery.objects.get(signature=last)
    assert delivery.state == Delivery.CANCELLED, "the unsubscribe came too late"
    others = signers[:-1]
    _wait_for_all(stack, mailbox, others, timeout=60)
    time.sleep(2)
    assert not mailbox.messages_to(last.email)
    assert set(_received(mailbox, others).values()) == {1}
    withdrawal = Withdrawal.objects.get(canonical_email=last.canonical_email)
    assert withdrawal.method == Withdrawal.Method.ONE_CLICK
    assert withdrawal.petition == petition
