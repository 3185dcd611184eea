"""`make stack` under its supervisor (campaign/supervise.py): the email worker's
main process SIGKILLed comes back by itself, the confirmations of signatures
made while it was gone arrive once each, and the other processes run on."""

import os
import time

import pytest
import redis
from django.urls import reverse

from actions.outbox.models import OutboundEmail
from actions.tests.factories import stamp_for
from actions.tests.integration.stack import post_all_at_once, wait_until
from actions.tests.integration.supervised import SupervisedStack

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SIGNINGS = 20


@pytest.fixture
def supervised_stack(run_only, make_stack, real_services) -> SupervisedStack:
    """The Procfile's processes under the supervisor, every other stack stopped."""
    redis.Redis.from_url(real_services).flushdb()  # queues of an earlier stack
    stack = run_only(
        make_stack(redis_url=real_services, kind=SupervisedStack, name="supervised")
    )
    yield stack
    stack.stop()


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_killed_email_worker_comes_back_and_sends_what_was_signed_meanwhile(
    supervised_stack, mailbox, petition, sign_data
):
    processes = supervised_stack.supervised
    sign_path = reverse("actions:sign", kwargs={"slug": petition.slug})
    addresses = {f"supervised{n}@example.org" for n in range(SIGNINGS)}
    others = {name: processes.pid(name) for name in ("web", "bulk", "beat")}

    killed = processes.kill("worker")
    statuses = post_all_at_once(
        supervised_stack,
        sign_path,
        [sign_data | {"started": stamp_for(petition), "email": a} for a in addresses],
        network="10.14",
    )
    arrived_while_gone = sum(mailbox.count_by_recipient(addresses).values())
    started = time.monotonic()
    processes.wait_restarted("worker", killed, timeout=30)
    wait_until(
        lambda: set(mailbox.count_by_recipient(addresses)) == addresses,
        timeout=90,
        interval=0.5,
        message=lambda: (
            f"{SIGNINGS} emails, got {len(mailbox.count_by_recipient(addresses))}\n"
            + supervised_stack.logs()
        ),
    )
    print(f"All emails arrived {time.monotonic() - started:.1f} s after the kill")

    assert statuses == {302: SIGNINGS}
    assert arrived_while_gone == 0  # queued while no worker ran
    assert f"worker (pid {killed}) was killed by SIGKILL" in processes.output("system")
    # The others ran on: the same processes, never restarted.
    assert {name: processes.pid(name) for name in others} == others
    assert all(_running(pid) for pid in others.values())
    assert supervised_stack.get("/healthz").status == 200
    time.sleep(2)  # a sweep or two more, which must not send anything again
    assert set(mailbox.count_by_recipient(addresses).values()) == {1}
    assert set(
        OutboundEmail.objects.filter(signature__petition=petition).values_list(
            "state", flat=True
        )
    ) == {OutboundEmail.State.SENT}
    assert supervised_stack.queued_tasks() == 0
