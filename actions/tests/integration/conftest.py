"""Fixtures that run the real stack for tests marked ``integration``.

The site runs as in production, as separate processes configured only
through environment variables: gunicorn, a Celery worker and Celery beat,
on pytest-django's PostgreSQL test database and a real Redis, sending email to
an SMTP server in this process. Tests mark themselves
``django_db(transaction=True)`` so the rows they make are committed and seen
by those processes.

Run with: DATABASE_URL=postgres://postgres@127.0.0.1:5432/campaign
REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/pytest -m integration
"""

import os
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
import pytest
import redis
from django.conf import settings
from django.db import connection

from actions.tests.integration.stack import Mailbox, PrivateRedis, Stack, wait_until

# The shared Redis database the stack uses. Not the one in REDIS_URL: the root
# conftest clears pytest's own cache between tests, which would also wipe the
# broker's queues if they shared a database.
STACK_REDIS_DB = 11


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


def _wait_for_stack_connections_to_close() -> None:
    # The test database is dropped after this; a server session left open by a
    # killed process would make that fail.
    query = (
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )

    def closed() -> bool:
        with connection.cursor() as cursor:
            cursor.execute(query)
            return cursor.fetchone()[0] == 0

    wait_until(closed, timeout=10, message="the stack's database sessions to end")


@pytest.fixture(scope="session")
def mailbox():
    """The SMTP server every stack sends to; it keeps what it receives."""
    box = Mailbox()
    box.start()
    yield box
    box.stop()


@pytest.fixture(scope="session")
def start_stack(real_services, django_db_setup, django_db_blocker, mailbox):
    """Start a stack against a Redis URL; every one stops before the test
    database is dropped."""
    stacks: list[Stack] = []

    def start(*, redis_url: str, log_dir, web_workers: int = 2) -> Stack:
        stack = Stack(
            redis_url=redis_url,
            database_url=_test_database_url(),
            smtp_port=mailbox.port,
            log_dir=log_dir,
            web_workers=web_workers,
        )
        stacks.append(stack)
        stack.start()
        return stack

    yield start
    for stack in stacks:
        stack.stop()
    with django_db_blocker.unblock():
        _wait_for_stack_connections_to_close()


@pytest.fixture(scope="session")
def stack(real_services, start_stack, tmp_path_factory) -> Stack:
    """The stack on the shared Redis, for the whole session."""
    redis.Redis.from_url(real_services).flushdb()  # queues left by a killed run
    # Four web workers, as the Procfile's default, for real races between them.
    return start_stack(
        redis_url=real_services,
        log_dir=tmp_path_factory.mktemp("stack"),
        web_workers=4,
    )


@pytest.fixture
def private_redis(tmp_path) -> PrivateRedis:
    """A Redis server of this test's own, to stop without disturbing others."""
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()
