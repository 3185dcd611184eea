import os
from pathlib import Path

from celery import Celery, signals
from django.conf import settings
from django.db import connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "campaign.settings")

app = Celery("campaign", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Seconds the worker and beat wait on the broker: longer than a request does
# (REDIS_TIMEOUT). A worker's ack that timed out while Redis was paused left
# its consumer taking no more tasks (kombu 5.7); a paused broker only delays
# these processes, which serve no request.
BROKER_TIMEOUTS_OUTSIDE_REQUESTS = {"socket_connect_timeout": 1, "socket_timeout": 5}


@signals.celeryd_init.connect
@signals.beat_init.connect
def _wait_longer_for_the_broker(**kwargs: object) -> None:
    """Before the worker or beat first connects to the broker."""
    app.conf.broker_transport_options = {
        **app.conf.broker_transport_options,
        **BROKER_TIMEOUTS_OUTSIDE_REQUESTS,
    }


@signals.worker_init.connect
def _yield_the_cpu_to_the_web(**kwargs: object) -> None:
    """Run the worker at a lower CPU priority (WORKER_NICE), so on a machine it
    shares with the web processes, signing answers first under a spike and the
    emails catch up after it.

    Linux shares the CPU between sessions (autogroups) before it looks at nice
    values, and `make stack` (campaign/supervise.py) or systemd starts each
    process in a session of its own: the session's priority is lowered too. A
    worker on a machine of its own is unaffected.
    """
    if settings.WORKER_NICE <= 0:
        return
    os.nice(settings.WORKER_NICE)
    try:
        Path("/proc/self/autogroup").write_text(str(settings.WORKER_NICE))
    except OSError:  # not Linux, or autogroups off
        pass


@signals.task_postrun.connect
def _drop_dead_database_connections(**kwargs: object) -> None:
    """After a task that met a database error, close the connection if it is
    dead (the server restarted, say), so the next task opens a new one.

    Django does this between web requests; a worker reuses its connection for
    CELERY_DB_REUSE_MAX tasks and Celery checks it only then, so without this
    every later task of the process would fail on the dead one. Tasks that
    met no error pay nothing.
    """
    for connection in connections.all(initialized_only=True):
        if connection.errors_occurred:
            connection.close_if_unusable_or_obsolete()
