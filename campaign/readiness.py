"""What /readyz checks: the database, Redis and the broker, each answering
within a short time. Pure probes: they read nothing and write nothing."""

import copy
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from functools import partial

import redis
from django.conf import settings
from django.db import connections
from django.db.utils import load_backend
from kombu import Connection

# A probe not answered by then counts as failed: a load balancer's own check
# usually gives up after a few seconds.
TIMEOUT_SECONDS = 2


def check_database(settings_dict: dict) -> None:
    """SELECT 1 on a connection of its own, opened with a connect timeout."""
    config = copy.deepcopy(settings_dict)
    if config["ENGINE"].endswith("postgresql"):
        config["OPTIONS"]["connect_timeout"] = TIMEOUT_SECONDS
    database = load_backend(config["ENGINE"]).DatabaseWrapper(config, "readyz")
    try:
        with database.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        database.close()


def check_redis() -> None:
    client = redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=TIMEOUT_SECONDS,
        socket_timeout=TIMEOUT_SECONDS,
    )
    try:
        client.ping()
    finally:
        client.close()


def check_broker() -> None:
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS | {
        "socket_connect_timeout": TIMEOUT_SECONDS,
        "socket_timeout": TIMEOUT_SECONDS,
        "max_retries": 0,
    }
    with Connection(
        settings.CELERY_BROKER_URL,
        connect_timeout=TIMEOUT_SECONDS,
        transport_options=options,
    ) as broker:
        # The Redis transport pings as it opens its first channel.
        broker.ensure_connection(max_retries=0)


def probes() -> dict[str, Callable[[], None]]:
    """The checks this configuration has: no Redis or broker in development
    (locmem caches, tasks in-process) means none to check."""
    # Read here: connections are per thread, and the probes run in others.
    database = connections["default"].settings_dict
    checks: dict[str, Callable[[], None]] = {
        "database": partial(check_database, database)
    }
    if settings.REDIS_URL:
        checks["redis"] = check_redis
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        checks["broker"] = check_broker
    return checks


def readiness() -> dict[str, bool]:
    """Each check's outcome, run side by side, none waited for beyond the
    timeout (a probe that hangs is left to its own socket timeout)."""
    checks = probes()
    pool = ThreadPoolExecutor(max_workers=len(checks))
    futures = {name: pool.submit(check) for name, check in checks.items()}
    wait(futures.values(), timeout=TIMEOUT_SECONDS + 0.5)
    pool.shutdown(wait=False)
    return {
        name: future.done() and future.exception() is None
        for name, future in futures.items()
    }
