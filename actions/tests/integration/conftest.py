"""Fixtures that run the real stack for tests marked ``integration``.

The site runs as in production, as separate processes configured only
through environment variables: gunicorn, a Celery worker and Celery beat,
on pytest-django's PostgreSQL test database and a real Redis, sending email to
an SMTP server in this process. Tests mark themselves
``django_db(transaction=True)`` so the rows they make are committed and seen
by those processes. Two stacks at once are two hosts of one site (host_pair).

Run with: DATABASE_URL=postgres://postgres@127.0.0.1:5432/campaign
REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/pytest -m integration
"""

import os
import time
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
import pytest
import redis
from django.conf import settings
from django.db import connection

from actions.tests.integration.stack import (
    HOSTS_EXPORT_MAX_ROWS,
    Mailbox,
    PrivatePostgres,
    PrivateRedis,
    Stack,
)

# The shared Redis database the stack uses. Not the one in REDIS_URL: the root
# conftest clears pytest's own cache between tests, which would also wipe the
# broker's queues if they shared a database. Two runs side by side on one Redis
# need different ones (TEST_STACK_REDIS_DB).
STACK_REDIS_DB = int(os.environ.get("TEST_STACK_REDIS_DB", "11"))


def _missing(what: str) -> None:
    pytest.fail(
        f"Integration tests need {what}. They never skip: start the service, "
        "or run only the unit tests (plain `pytest`).",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def real_services() -> str:
    """Check PostgreSQL and Redis answer; the Redis URL the stack is to use."""
    database_url = os.environ.get("DATABASE_URL", "")
    if urlsplit(database_url).scheme not in {"postgres", "postgresql"}:
        _missing(
            "DATABASE_URL pointing at PostgreSQL, e.g. "
            "postgres://postgres@127.0.0.1:5432/campaign"
        )
    db = settings.DATABASES["default"]
    try:
        psycopg.connect(
            host=db["HOST"] or None,
            port=db["PORT"] or None,
            user=db["USER"] or None,
            password=db["PASSWORD"] or None,
            dbname="postgres",
            connect_timeout=3,
        ).close()
    except psycopg.Error as exc:
        _missing(f"PostgreSQL answering at {db['HOST']}:{db['PORT']} ({exc})")
    redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        _missing(f"Redis answering at {redis_url} ({exc})")
    parts = urlsplit(redis_url)
    stack_db = STACK_REDIS_DB
    if parts.path.strip("/") == str(stack_db):
        stack_db += 1
    return urlunsplit(parts._replace(path=f"/{stack_db}"))


def _test_database_url() -> str:
    """pytest-django's test database (its name is set once it exists)."""
    db = settings.DATABASES["default"]
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    return (
        f"postgres://{quote(db['USER'], safe='')}{password}"
        f"@{quote(db['HOST'] or '127.0.0.1', safe='')}:{db['PORT'] or 5432}"
        f"/{quote(db['NAME'], safe='')}"
    )


def _wait_for_stack_connections_to_close(timeout: float = 10) -> None:
    # The test database is dropped next, which fails while a session of a
    # process that just ended is still open on the server.
    query = (
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(query)
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.2)


@pytest.fixture(scope="session")
def mailbox():
    """The SMTP server every stack sends to; it keeps what it receives."""
    box = Mailbox()
    box.start()
    yield box
    box.stop()


@pytest.fixture(scope="session")
def make_stack(real_services, django_db_setup, mailbox, tmp_path_factory):
    """A stack, not yet started, on the test database and the SMTP server
    (``kind``: Stack or a subclass, e.g. supervised.SupervisedStack)."""

    def make(
        *, redis_url: str, web_workers: int = 2, kind: type[Stack] = Stack, **options
    ) -> Stack:
        return kind(
            redis_url=redis_url,
            database_url=_test_database_url(),
            smtp_port=mailbox.port,
            log_dir=tmp_path_factory.mktemp("stack"),
            web_workers=web_workers,
            **options,
        )

    return make


@pytest.fixture(scope="session")
def run_only(django_db_setup, django_db_blocker):
    """Run this stack (and those alongside it, the hosts of one site) and stop
    every other: they share the test database, and one stack's outbox sweeper
    would deliver the other's emails. Every stack stops before the test
    database is dropped."""
    known: list[Stack] = []

    def run(stack: Stack, *alongside: Stack) -> Stack:
        wanted = [stack, *alongside]
        for other in known:
            if other not in wanted:
                other.stop()
        for one in wanted:
            if one not in known:
                known.append(one)
            if not one.is_running:
                one.start()
        return stack

    yield run
    for stack in known:
        stack.stop()
    with django_db_blocker.unblock():
        _wait_for_stack_connections_to_close()


@pytest.fixture(scope="session")
def shared_stack(real_services, make_stack) -> Stack:
    """The stack most tests use, on the shared Redis server."""
    redis.Redis.from_url(real_services).flushdb()  # queues left by a killed run
    # Four web workers, as the Procfile's default, for real races between them;
    # petitions open and close within a second of their times.
    return make_stack(
        redis_url=real_services,
        web_workers=4,
        env={"PETITION_SCHEDULE_INTERVAL": "1"},
    )


@pytest.fixture
def stack(run_only, shared_stack) -> Stack:
    """The stack on the shared Redis, running."""
    return run_only(shared_stack)


@pytest.fixture(scope="session")
def host_pair(real_services, make_stack, tmp_path_factory) -> tuple[Stack, Stack]:
    """Two hosts of one site on the shared database and Redis: host A runs
    gunicorn, the Celery workers and beat; host B gunicorn and the workers."""
    redis.Redis.from_url(real_services).flushdb()  # queues left by a killed run
    # One media root for both, standing in for the object store or shared
    # volume production needs: a worker on either host writes an export's file
    # and the web process on the other serves it.
    shared = {
        "MEDIA_ROOT": str(tmp_path_factory.mktemp("shared-media")),
        # Small exports go to the background, as large ones do.
        "EXPORT_MAX_ROWS_PER_REQUEST": str(HOSTS_EXPORT_MAX_ROWS),
    }
    # One web worker each, so a test knows which process's caches a request
    # meets: warmed on host B, they are the ones its next request uses.
    return (
        make_stack(redis_url=real_services, web_workers=1, name="host-a", env=shared),
        make_stack(
            redis_url=real_services,
            web_workers=1,
            name="host-b",
            beat=False,
            env=shared,
        ),
    )


@pytest.fixture
def hosts(run_only, host_pair) -> tuple[Stack, Stack]:
    """Hosts A and B of one site, running; every other stack stopped."""
    run_only(*host_pair)
    return host_pair


@pytest.fixture
def private_redis(tmp_path) -> PrivateRedis:
    """A Redis server of this test's own, to stop without disturbing others."""
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def private_postgres() -> PrivatePostgres:
    """A PostgreSQL cluster of this test's own, to restart and stop without
    disturbing the shared server."""
    server = PrivatePostgres()
    server.start()
    yield server
    server.remove()


@pytest.fixture
def pg_outage_stack(run_only, mailbox, private_postgres, private_redis, tmp_path):
    """A stack on a PostgreSQL cluster and a Redis server of the test's own,
    its database migrated, to restart and stop without disturbing others."""
    stack = Stack(
        redis_url=private_redis.url,
        database_url=private_postgres.create_database("campaign"),
        smtp_port=mailbox.port,
        log_dir=tmp_path,
        # A row a worker had claimed when the server went is taken back when
        # its lease runs out, and a failed send retried within the backoff
        # cap: seconds here, minutes by default (test_outbox_faults_stack.py).
        env={"OUTBOX_LEASE": "4", "OUTBOX_MAX_BACKOFF": "4"},
    )
    stack.manage("migrate", "--no-input", "--verbosity", "0")
    run_only(stack)
    yield stack
    stack.stop()


@pytest.fixture
def outage_stack(run_only, make_stack, private_redis) -> Stack:
    """A stack on the test's own Redis server, to stop and start again."""
    stack = run_only(make_stack(redis_url=private_redis.url))
    yield stack
    stack.stop()
