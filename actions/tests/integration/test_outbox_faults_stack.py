"""Confirmations through SMTP and worker faults: a server answering 421 for a
while, and the email worker's pool processes SIGKILLed mid-drain. Every signer
gets their confirmation, twice only as the delivery rule allows (at least
once: docs/architecture.md, "The delivery rule").

The stack here has a short lease and backoff cap, so the test takes seconds;
the defaults (OUTBOX_LEASE 60 s with a sweep every 30 s, OUTBOX_MAX_BACKOFF
600 s) meet the same rules in minutes (actions/outbox/tests/test_lease.py).
"""

import os
import signal
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from actions.outbox.models import OutboundEmail
from actions.tests.factories import make_petition, stamp_for
from actions.tests.integration.stack import Stack, post_all_at_once, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

LEASE = 4
MAX_BACKOFF = 4
# The stack's sweep runs every second (stack.py).
SWEEP_INTERVAL = 1
STORM = 10


@pytest.fixture(scope="module")
def lease_stack_unstarted(make_stack, real_services) -> Stack:
    return make_stack(
        redis_url=real_services,
        name="lease",
        env={"OUTBOX_LEASE": str(LEASE), "OUTBOX_MAX_BACKOFF": str(MAX_BACKOFF)},
    )


@pytest.fixture
def lease_stack(run_only, lease_stack_unstarted, mailbox) -> Stack:
    yield run_only(lease_stack_unstarted)
    mailbox.normal()


def _sign(stack: Stack, sign_data, petition, addresses: list[str], network: str):
    path = reverse("actions:sign", kwargs={"slug": petition.slug})
    forms = [
        sign_data | {"started": stamp_for(petition), "email": a} for a in addresses
    ]
    assert post_all_at_once(stack, path, forms, network=network) == {302: len(forms)}


def _all_arrive(stack: Stack, mailbox, addresses: list[str], timeout: float) -> None:
    wait_until(
        lambda: len(mailbox.count_by_recipient(set(addresses))) == len(addresses),
        timeout=timeout,
        interval=0.25,
        message=lambda: (
            f"{len(addresses)} confirmations, "
            f"{len(mailbox.count_by_recipient(set(addresses)))} arrived\n"
            + stack.logs()
        ),
    )


def test_a_421_storm_delays_each_confirmation_within_the_backoff_cap_once(
    lease_stack, mailbox, sign_data
):
    petition = make_petition()
    addresses = [f"storm{n}@example.org" for n in range(30)]
    refused_before = mailbox.refused

    mailbox.refuse("421 4.3.2 Service busy, try again later", seconds=STORM)
    storm_ends = time.monotonic() + STORM
    _sign(lease_stack, sign_data, petition, addresses, network="10.41")
    _all_arrive(lease_stack, mailbox, addresses, timeout=STORM + 60)
    late = time.monotonic() - storm_ends
    time.sleep(2)  # sweeps, which must send nothing again

    refused = mailbox.refused - refused_before
    print(f"421 storm: {refused} refusals; all in {late:.1f} s after it ended")
    assert refused >= len(addresses)
    assert late <= MAX_BACKOFF + 6
    assert set(mailbox.count_by_recipient(set(addresses)).values()) == {1}
    rows = OutboundEmail.objects.filter(signature__petition=petition)
    assert set(rows.values_list("state", flat=True)) == {OutboundEmail.State.SENT}
    assert max(rows.values_list("attempts", flat=True)) > 1


def test_rows_of_killed_pool_processes_are_taken_back_and_each_signer_gets_one(
    lease_stack, mailbox, sign_data
):
    petition = make_petition()
    addresses = [f"killed{n}@example.org" for n in range(60)]
    rows = OutboundEmail.objects.filter(signature__petition=petition)
    sending = rows.filter(state=OutboundEmail.State.SENDING)
    # Each message takes a while, so a kill finds one in flight.
    mailbox.slow(0.2)
    _sign(lease_stack, sign_data, petition, addresses, network="10.42")

    in_flight: set[int] = set()
    taken_back_in = []
    for _ in range(2):
        wait_until(sending.exists, timeout=30, message="a row being sent")
        pool = lease_stack.children("worker")
        killed = timezone.now()
        for pid in pool:
            os.kill(pid, signal.SIGKILL)
        killed_at = time.monotonic()
        # Claimed again after it was taken back, a row's sending_at is later.
        stuck = sending.filter(sending_at__lte=killed)
        in_flight |= set(stuck.values_list("pk", flat=True))
        wait_until(
            lambda stuck=stuck: not stuck.exists(),
            timeout=120,
            interval=0.1,
            message="the killed processes' rows taken back",
        )
        taken_back_in.append(time.monotonic() - killed_at)
    _all_arrive(lease_stack, mailbox, addresses, timeout=120)
    mailbox.normal()
    time.sleep(2)  # sweeps, which must send nothing again

    received = mailbox.count_by_recipient(set(addresses))
    twice = sum(count - 1 for count in received.values())
    print(
        f"2 kills of {len(pool)} pool processes: {len(in_flight)} rows in flight, "
        f"taken back in {', '.join(f'{t:.1f}' for t in taken_back_in)} s, "
        f"{twice} sent twice"
    )
    assert in_flight, "no kill found a row being sent"
    assert max(taken_back_in) <= LEASE + SWEEP_INTERVAL + 3
    # At least once: a row whose worker died after the server took the message
    # goes again, once; no other email goes twice.
    assert twice <= len(in_flight)
    assert set(received) == set(addresses)
    assert set(rows.values_list("state", flat=True)) == {OutboundEmail.State.SENT}
