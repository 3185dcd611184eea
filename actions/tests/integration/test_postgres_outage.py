"""A PostgreSQL outage, on a cluster of the test's own (PrivatePostgres):

- a fast restart mid-use costs no error: every process finds its kept
  connection dead before using it (CONN_HEALTH_CHECKS) and opens a new one;
- while the server is stopped, signing answers 503 with Retry-After and the
  page asking to try again in a minute, /readyz names the database, /healthz
  still answers, and nothing is stored;
- once it is back, the same processes sign again, and every signature
  acknowledged before, between and after gets its confirmation email.
"""

import os
import subprocess
import sys
import time

import psycopg
import pytest
from django.conf import settings
from django.urls import reverse

from actions.models import Petition
from actions.tests.factories import stamp_for
from actions.tests.integration.stack import Stack, wait_until

pytestmark = pytest.mark.integration

MAKE_PETITION = """
import django, os
os.environ["DJANGO_SETTINGS_MODULE"] = "campaign.settings"
django.setup()
from actions.tests.factories import make_petition
petition = make_petition()
print(petition.pk, petition.slug)
"""
SIGNING_PAGE = "We could not take your signature, please try again in a minute."


def _site_database(url: str) -> tuple[int, str]:
    """Migrate the empty database at url and put a petition in it: its id
    and slug (the site's own code does both, as on a fresh deployment)."""
    env = {"DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "campaign.settings"}
    for command in (
        [sys.executable, "manage.py", "migrate", "--no-input", "--verbosity", "0"],
        [sys.executable, "-c", MAKE_PETITION],
    ):
        done = subprocess.run(
            command,
            cwd=settings.BASE_DIR,
            env={**_inherited(), **env},
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    pk, slug = done.stdout.split()
    return int(pk), slug


def _inherited() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}


def _rows(private_postgres, database: str, sql: str) -> list[tuple]:
    with psycopg.connect(private_postgres.url(database)) as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture
def postgres_stack(private_postgres, private_redis, mailbox, run_only, tmp_path):
    """The site on the test's own PostgreSQL cluster and Redis, the cluster
    holding a migrated database with one petition; the stack and the
    petition's id and slug."""
    url = private_postgres.create_database("campaign")
    petition_id, slug = _site_database(url)
    stack = Stack(
        redis_url=private_redis.url,
        database_url=url,
        smtp_port=mailbox.port,
        log_dir=tmp_path,
        # A row a worker had claimed when the server went is taken back when
        # its lease runs out, and a failed send retried within the backoff
        # cap: seconds here, minutes by default (test_outbox_faults_stack.py).
        env={"OUTBOX_LEASE": "4", "OUTBOX_MAX_BACKOFF": "4"},
    )
    yield run_only(stack), petition_id, slug
    stack.stop()


def test_signing_through_a_postgres_restart_and_a_stop(
    postgres_stack, private_postgres, mailbox
):
    stack, petition_id, slug = postgres_stack
    sign = reverse("actions:sign", kwargs={"slug": slug})
    started = stamp_for(Petition(pk=petition_id))
    signed: list[str] = []

    def sign_as(n: int):
        address = f"pgoutage{n}@example.org"
        form = {
            "first_name": "Ada",
            "last_name": f"Signer {n}",
            "email": address,
            "country": "KH",
            "website": "",
            "started": started,
        }
        response = stack.post(sign, form, forwarded_for=f"10.14.{n // 250}.{n % 250}")
        if response.status == 302:
            signed.append(address)
        return response

    try:
        assert {sign_as(n).status for n in range(4)} == {302}

        private_postgres.restart(mode="fast")  # every session ends
        after_restart = [sign_as(n).status for n in range(4, 12)]
        assert after_restart == [302] * 8, stack.logs()

        private_postgres.stop(mode="fast")
        outage_started = time.monotonic()
        refused = sign_as(100)
        answered_in = time.monotonic() - outage_started
        ready = stack.get(reverse("readyz"))
        assert stack.get(reverse("healthz")).status == 200
    finally:
        if not private_postgres.answers():
            private_postgres.start()
    back = time.monotonic()
    first_after = sign_as(12)
    recovered_in = time.monotonic() - back

    assert refused.status == 503
    assert refused.headers["Retry-After"] == "60"
    assert SIGNING_PAGE in refused.text
    assert answered_in < 2, f"the 503 page took {answered_in:.1f} s"
    assert ready.status == 503 and '"failed": ["database"]' in ready.text
    assert first_after.status == 302, stack.logs()
    assert stack.get(reverse("readyz")).status == 200
    stored = {
        email
        for (email,) in _rows(
            private_postgres, "campaign", "SELECT email FROM actions_signature"
        )
    }
    assert stored == set(signed)  # the refused one is not there
    [(signatures, emails)] = _rows(
        private_postgres,
        "campaign",
        "SELECT (SELECT count(*) FROM actions_signature), "
        "(SELECT count(*) FROM outbox_outboundemail)",
    )
    assert signatures == emails == 13  # one confirmation row each
    wait_until(
        lambda: set(mailbox.count_by_recipient(set(signed))) == set(signed),
        timeout=60,
        interval=0.5,
        message=lambda: "a confirmation for each signature\n" + stack.logs(),
    )
    print(
        f"503 page in {answered_in * 1000:.0f} ms; first signature "
        f"{recovered_in * 1000:.0f} ms after the server was back"
    )
