"""A PostgreSQL outage under a signing load, on a cluster and a Redis server
of the test's own (PrivatePostgres, PrivateRedis), never the shared ones:

- a fast restart costs at most the signings in flight at that instant:
  every process finds its kept connection dead before using it again
  (CONN_HEALTH_CHECKS) and opens a new one;
- while the server is stopped, signing answers 503 with Retry-After and the
  page asking to try again in a minute, /readyz names the database, /healthz
  still answers, and nothing is half stored;
- once it is back, the same processes sign again by themselves (web and
  workers, whose connection is dropped after a database error), and every
  acknowledged signature is stored and gets its confirmation email.
"""

import json
import time
from collections import Counter

import pytest
from django.urls import reverse

from actions.tests.integration.load import FORM, SigningLoad, acknowledged, stored
from actions.tests.integration.stack import wait_until

# django_db: the session's test database is set up (the shared stacks'
# fixtures wait on it); this test itself uses its own cluster only.
pytestmark = [pytest.mark.integration, pytest.mark.django_db]

PETITION = (
    "import json\n"
    "from django.urls import reverse\n"
    "from actions.tests.factories import make_petition, stamp_for\n"
    "petition = make_petition()\n"
    "path = reverse('actions:sign', kwargs={'slug': petition.slug})\n"
    "print(json.dumps({'path': path, 'stamp': stamp_for(petition)}))\n"
)
SIGNING_PAGE = "We could not take your signature, please try again in a minute."


def test_signing_through_a_postgresql_restart_and_a_stop_loses_nothing(
    pg_outage_stack, private_postgres, mailbox
):
    stack = pg_outage_stack
    petition = json.loads(stack.manage("shell", "-c", PETITION).splitlines()[-1])
    form = FORM | {"started": petition["stamp"]}
    load = SigningLoad(
        port=stack.port,
        path=petition["path"],
        form=form,
        prefix="pg-outage-",
        clients=4,
        rate=60,
        forwarded_for=True,
    )
    pids = {name: process.pid for name, process in stack.processes.items()}

    load.start()
    try:
        time.sleep(2)
        private_postgres.restart(mode="fast")  # every session ends
        restarted = time.monotonic()
        time.sleep(2)
        private_postgres.stop(mode="fast")
        stopped = time.monotonic()
        time.sleep(0.5)
        refused = stack.post(
            petition["path"],
            form | {"email": "refused@example.org"},
            forwarded_for="10.99.0.1",
        )
        answered_in = time.monotonic() - stopped - 0.5
        ready = stack.get(reverse("readyz"))
        healthz = stack.get(reverse("healthz"))
        time.sleep(1)
    finally:
        if not private_postgres.answers():
            private_postgres.start()
    back = time.monotonic()
    time.sleep(4)
    attempts = load.stop()

    assert refused.status == 503
    assert refused.headers["Retry-After"] == "60"
    assert SIGNING_PAGE in refused.text
    assert answered_in < 2, f"the 503 page took {answered_in:.1f} s"
    assert ready.status == 503 and '"failed": ["database"]' in ready.text
    assert healthz.status == 200
    assert stack.get(reverse("readyz")).status == 200

    taken = acknowledged(attempts)
    statuses = Counter(a.status for a in attempts)
    print(f"{len(attempts)} signings through the restart and the stop: {statuses}")
    # Nothing acknowledged lost, nothing refused stored, no half-written rows.
    assert stored(stack.database_url, "pg-outage-") == taken
    assert not stored(stack.database_url, "refused@")
    assert 503 in statuses and set(statuses) <= {302, 503}, statuses
    # Between the restart and the stop, and from a second after the server is
    # back, every signing is taken, by the same processes.
    between = [a for a in attempts if restarted + 0.5 < a.started < stopped - 0.2]
    after = [a for a in attempts if a.started > back + 1]
    assert between and after
    assert all(a.acknowledged for a in between + after), [
        (round(a.started - restarted, 2), a.status)
        for a in between + after
        if not a.acknowledged
    ]
    assert {n: p.pid for n, p in stack.processes.items() if p.poll() is None} == pids
    wait_until(
        lambda: set(mailbox.count_by_recipient(taken)) == taken,
        timeout=60,
        interval=0.5,
        message=lambda: (
            f"{len(taken)} confirmations, "
            f"got {len(mailbox.count_by_recipient(taken))}\n{stack.logs()}"
        ),
    )
    assert set(mailbox.count_by_recipient(taken).values()) <= {1, 2}
