"""Nothing lost when Redis goes down: signings made during the outage are
acknowledged as usual, and each gets its confirmation email once it is back.

The stack here runs on a Redis server of the test's own, never the shared one.
"""

import time

import pytest
from django.urls import reverse

from actions.models import Signature
from actions.outbox.models import OutboundEmail
from actions.tests.factories import make_petition, stamp_for
from actions.tests.integration.stack import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SIGNINGS = 100


def test_signatures_made_while_redis_is_down_get_one_email_each_once_it_is_back(
    outage_stack, private_redis, mailbox, sign_data
):
    petition = make_petition()
    sign_path = reverse("actions:sign", kwargs={"slug": petition.slug})
    check_email_path = reverse("actions:check_email", kwargs={"slug": petition.slug})
    addresses = {f"outage{n}@example.org" for n in range(SIGNINGS)}

    private_redis.stop()
    started = time.monotonic()
    responses = [
        outage_stack.post(
            sign_path, sign_data | {"started": stamp_for(petition), "email": address}
        )
        for address in sorted(addresses)
    ]
    signing_took = time.monotonic() - started
    time.sleep(3)  # the sweeper's turn comes and goes with the broker still down
    assert not mailbox.count_by_recipient(addresses)
    private_redis.start()
    restarted = time.monotonic()

    assert {(r.status, r.location) for r in responses} == {(302, check_email_path)}
    assert Signature.objects.filter(petition=petition).count() == SIGNINGS
    wait_until(
        lambda: set(mailbox.count_by_recipient(addresses)) == addresses,
        timeout=120,
        interval=0.5,
        message=lambda: (
            f"{SIGNINGS} emails, got {len(mailbox.count_by_recipient(addresses))}\n"
            + outage_stack.logs()
        ),
    )
    print(f"All emails arrived {time.monotonic() - restarted:.1f} s after Redis")
    time.sleep(4)  # a few more sweeps, which must not send anything again
    received = mailbox.count_by_recipient(addresses)
    assert set(received.values()) == {1}, received.most_common(5)
    assert set(
        OutboundEmail.objects.filter(signature__petition=petition).values_list(
            "state", flat=True
        )
    ) == {OutboundEmail.State.SENT}
    # The broker is not waited for: signing stays fast during the outage.
    assert signing_took < 30, f"{SIGNINGS} signings took {signing_took:.0f} s"
