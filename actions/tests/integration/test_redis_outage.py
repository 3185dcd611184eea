"""Nothing lost and nothing slow when Redis fails under a signing load: killed
and restarted empty, then paused (connections accepted, nothing answered).
Signings made during either fault are acknowledged as usual and about as fast,
and each gets exactly one confirmation email once Redis is back.

The stack here runs on a Redis server of the test's own, never the shared one.
"""

import itertools
import math
import threading
import time
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.urls import reverse

from actions.models import Signature
from actions.outbox.models import OutboundEmail
from actions.tests.factories import make_petition, stamp_for
from actions.tests.integration.stack import Stack, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# A modest load: SIGNERS threads, each signing a new address every
# SIGNING_INTERVAL seconds (about 30 a second in all).
SIGNERS = 3
SIGNING_INTERVAL = 0.1
FAULT_SECONDS = 3
P99_LIMIT = 1.0


@dataclass(frozen=True)
class Signing:
    email: str
    started: float
    took: float
    answer: tuple[int, str]


class SigningLoad:
    """Threads signing one petition until stopped, each signing a new
    address as a client of its own (so no rate limit is reached)."""

    def __init__(self, stack: Stack, path: str, form: dict[str, str]) -> None:
        self._stack, self._path, self._form = stack, path, form
        self._numbers = itertools.count()
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._sign) for _ in range(SIGNERS)]
        self.signings: list[Signing] = []

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stopped.set()
        for thread in self._threads:
            thread.join(timeout=90)

    def between(self, start: float, end: float) -> list[Signing]:
        with self._lock:
            return [s for s in self.signings if start <= s.started < end]

    def _sign(self) -> None:
        while not self._stopped.wait(SIGNING_INTERVAL):
            n = next(self._numbers)
            email = f"fault{n}@example.org"
            client = f"10.{n // 62500}.{n // 250 % 250}.{n % 250}"
            started = time.monotonic()
            response = self._stack.post(
                self._path, self._form | {"email": email}, forwarded_for=client
            )
            signing = Signing(
                email=email,
                started=started,
                took=time.monotonic() - started,
                answer=(response.status, response.location),
            )
            with self._lock:
                self.signings.append(signing)


def p99(signings: list[Signing]) -> float:
    times = sorted(s.took for s in signings)
    return times[math.ceil(0.99 * len(times)) - 1]


def test_signing_stays_fast_and_loses_nothing_when_redis_is_killed_or_paused(
    outage_stack, private_redis, mailbox, sign_data
):
    petition = make_petition()
    sign_path = reverse("actions:sign", kwargs={"slug": petition.slug})
    check_email_path = reverse("actions:check_email", kwargs={"slug": petition.slug})
    load = SigningLoad(
        outage_stack, sign_path, sign_data | {"started": stamp_for(petition)}
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
        while_gone = {s.email for s in load.between(gone, time.monotonic())}
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
        load.stop()
    stopped = time.monotonic()

    signings = load.signings
    during = {
        "killed": load.between(killed, restarted),
        "paused": load.between(paused, resumed),
    }
    acknowledged = {s.email for s in signings if s.answer == (302, check_email_path)}
    figures = ", ".join(
        f"{fault}: {len(s)} signings, p99 {p99(s) * 1000:.0f} ms, "
        f"max {max(x.took for x in s) * 1000:.0f} ms"
        for fault, s in during.items()
    )
    print(f"{len(signings)} signings in {stopped - killed + 2:.0f} s; {figures}")

    assert {s.answer for s in signings} == {(302, check_email_path)}
    assert all(during.values()), "no signing during a fault"
    assert not emailed_while_gone  # the broker was gone: sent after restart
    assert (
        set(Signature.objects.filter(petition=petition).values_list("email", flat=True))
        == acknowledged
    )
    for fault, signed in during.items():
        assert p99(signed) < P99_LIMIT, f"p99 while {fault}: {p99(signed):.2f} s"
    wait_until(
        lambda: set(mailbox.count_by_recipient(acknowledged)) == acknowledged,
        timeout=120,
        interval=0.5,
        message=lambda: (
            f"{len(acknowledged)} emails, got "
            f"{len(mailbox.count_by_recipient(acknowledged))}\n" + outage_stack.logs()
        ),
    )
    print(f"All emails arrived {time.monotonic() - resumed:.1f} s after the pause")
    time.sleep(4)  # a few more sweeps, which must not send anything again
    received = mailbox.count_by_recipient(acknowledged)
    assert set(received.values()) == {1}, received.most_common(5)
    assert set(
        OutboundEmail.objects.filter(signature__petition=petition).values_list(
            "state", flat=True
        )
    ) == {OutboundEmail.State.SENT}
    web_log = outage_stack.log("web")
    assert "its calls are skipped" in web_log  # the circuit breaker opened
    assert "answers again" in web_log  # and closed
