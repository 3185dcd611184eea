"""Nothing lost when PostgreSQL restarts under a signing load: every
acknowledged signature is stored and confirmed, signings that meet the outage
get the "please try again in a minute" page (503) and leave no row, and
signing works again afterwards without restarting anything.

The stack runs on a PostgreSQL cluster and a Redis server of the test's own,
never the shared ones.
"""

import json
import time
from collections import Counter

import pytest

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


def test_a_postgresql_restart_mid_load_loses_nothing_and_needs_no_restart(
    pg_outage_stack, private_postgres, mailbox
):
    stack = pg_outage_stack
    petition = json.loads(stack.manage("shell", "-c", PETITION).splitlines()[-1])
    load = SigningLoad(
        port=stack.port,
        path=petition["path"],
        form=FORM | {"started": petition["stamp"]},
        prefix="pg-restart-",
        clients=4,
        rate=100,
        forwarded_for=True,
    )
    pids = {name: process.pid for name, process in stack.processes.items()}

    load.start()
    time.sleep(2)
    # A restart with a second between stop and start: signings meet the outage.
    private_postgres.stop(mode="fast")
    time.sleep(1)
    private_postgres.start()
    restarted = time.monotonic()
    time.sleep(4)
    attempts = load.stop()

    taken = acknowledged(attempts)
    rows = stored(stack.database_url, "pg-restart-")
    statuses = Counter(a.status for a in attempts)
    print(f"{len(attempts)} signings through the restart: {dict(statuses)}")
    assert rows == taken  # nothing acknowledged lost, no half-written rows
    assert 503 in statuses and set(statuses) <= {302, 503}, statuses
    # Back by itself: every signing from a second after the restart is taken,
    # by the same processes.
    after = [a for a in attempts if a.started > restarted + 1]
    assert after, "no signing after the restart"
    assert all(a.acknowledged for a in after), Counter(a.status for a in after)
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
