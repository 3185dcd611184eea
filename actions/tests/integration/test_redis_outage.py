"""Nothing lost and nothing slow when Redis fails under a signing load: killed
and restarted empty, then paused (connections accepted, nothing answered).
Signings made during either fault are acknowledged as usual and about as fast,
and each gets exactly one confirmation email once Redis is back.

The stack here runs on a Redis server of the test's own, never the shared one.
"""

import time

import pytest
from django.conf import settings
from django.urls import reverse

from actions.models import Signature
from actions.outbox.models import OutboundEmail
from actions.tests.factories import make_petition, stamp_for
from actions.tests.integration.load import SigningLoad, acknowledged, p99
from actions.tests.integration.stack import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# A modest load: about 30 signings a second from 3 clients, each signing a
# new address as a client of its own (so no rate limit is reached).
FAULT_SECONDS = 3
P99_LIMIT = 1.0


def test_signing_stays_fast_and_loses_nothing_when_redis_is_killed_or_paused(
    outage_stack, private_redis, mailbox, sign_data
):
    petition = make_petition()
    sign_path = reverse("actions:sign", kwargs={"slug": petition.slug})
    check_email_path = reverse("actions:check_email", kwargs={"slug": petition.slug})
    load = SigningLoad(
        port=outage_stack.port,
        path=sign_path,
        form=sign_data | {"started": stamp_for(petition)},
        prefix="fault",
        clients=3,
        rate=30,
        forwarded_for=True,
    )

    # Between the faults, and after them, each web process's circuit breaker
    # has time to try Redis again and close.
    recovery = settings.REDIS_BREAKER_SECONDS + 1
    load.start()
    try:
        time.sleep(2)
        killed = time.monotonic()
        private_redis.kill()
        gone = time.monotonic()
        time.sleep(FAULT_SECONDS)
        while_gone = {
            a.address for a in load.attempts() if gone <= a.started and a.acknowledged
        }
        emailed_while_gone = mailbox.count_by_recipient(while_gone)
        private_redis.start()  # empty: the queued tasks are gone
        restarted = time.monotonic()
        time.sleep(recovery)
        paused = time.monotonic()
        private_redis.pause()
        time.sleep(FAULT_SECONDS)
        private_redis.resume()
        resumed = time.monotonic()
        time.sleep(recovery)
    finally:
        attempts = load.stop()

    during = {"killed": (killed, restarted), "paused": (paused, resumed)}
    taken = acknowledged(attempts)
    p99s = {fault: p99(attempts, *times) for fault, times in during.items()}
    print(
        f"{len(attempts)} signings; "
        + ", ".join(
            f"{fault}: p99 {seconds:.3f} s"
            for fault, seconds in p99s.items()
            if seconds
        )
    )

    assert {(a.status, a.location) for a in attempts} == {(302, check_email_path)}
    assert None not in p99s.values(), "no signing during a fault"
    assert not emailed_while_gone  # the broker was gone: sent after restart
    assert (
        set(Signature.objects.filter(petition=petition).values_list("email", flat=True))
        == taken
    )
    for fault, seconds in p99s.items():
        assert seconds is not None and seconds < P99_LIMIT, f"p99 while {fault}"
    wait_until(
        lambda: set(mailbox.count_by_recipient(taken)) == taken,
        timeout=120,
        interval=0.5,
        message=lambda: (
            f"{len(taken)} emails, got "
            f"{len(mailbox.count_by_recipient(taken))}\n" + outage_stack.logs()
        ),
    )
    print(f"All emails arrived {time.monotonic() - resumed:.1f} s after the pause")
    time.sleep(4)  # a few more sweeps, which must not send anything again
    received = mailbox.count_by_recipient(taken)
    assert set(received.values()) == {1}, received.most_common(5)
    assert set(
        OutboundEmail.objects.filter(signature__petition=petition).values_list(
            "state", flat=True
        )
    ) == {OutboundEmail.State.SENT}
    web_log = outage_stack.log("web")
    assert "its calls are skipped" in web_log  # the circuit breaker opened
    assert "answers again" in web_log  # and closed
