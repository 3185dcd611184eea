"""Celery beat inside the development server.

``make run`` has no broker and no beat: tasks run in-process. So that a
newcomer still sees the site's periodic work happen (a scheduled follow-up
going out, a petition closing at its time), ``manage.py runserver`` starts
this thread: once a second it runs every CELERY_BEAT_SCHEDULE entry that is
due, by its task name, in-process. Each entry runs once at start-up, then at
its interval.

Only under runserver, in development with tasks in-process, and only while
RUN_BEAT_IN_PROCESS is on (the default there; ``RUN_BEAT_IN_PROCESS=0``
turns it off). Never in tests, never in production, never beside a real beat.
"""

import logging
import threading
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from celery import Celery
from celery.schedules import BaseSchedule, schedule
from django.apps import apps
from django.conf import settings
from django.db import close_old_connections

logger = logging.getLogger(__name__)


def is_wanted(argv: Sequence[str], environ: Mapping[str, str]) -> bool:
    """Whether this process is the development server that should run beat."""
    if not settings.RUN_BEAT_IN_PROCESS or argv[1:2] != ["runserver"]:
        return False
    # The autoreloader's parent only watches files; its child (RUN_MAIN) serves.
    return "--noreload" in argv or environ.get("RUN_MAIN") == "true"


def start(app: Celery) -> threading.Thread:
    """Run the beat schedule in a daemon thread of this process."""
    thread = threading.Thread(target=_loop, args=(app,), name="devbeat", daemon=True)
    thread.start()
    logger.info("Running the beat schedule in-process (RUN_BEAT_IN_PROCESS).")
    return thread


def run_due(app: Celery, last_runs: dict[str, datetime]) -> list[str]:
    """Run, in-process, each schedule entry that is due (never run before, or
    its interval passed since ``last_runs``); the keys of those run."""
    ran = []
    entries: dict[str, dict[str, Any]] = settings.CELERY_BEAT_SCHEDULE
    for key, entry in entries.items():
        every = entry["schedule"]  # seconds, a timedelta or a crontab
        when = every if isinstance(every, BaseSchedule) else schedule(every, app=app)
        last = last_runs.get(key)
        if last is not None and not when.is_due(last)[0]:
            continue
        last_runs[key] = when.now()
        try:
            result = app.tasks[entry["task"]].apply(args=entry.get("args", ()))
            if result.failed():
                logger.error("%s failed: %r", entry["task"], result.result)
        except Exception:  # a broken job must not stop the others
            logger.exception("%s failed", entry["task"])
        ran.append(key)
    return ran


def _loop(app: Celery) -> None:
    while not apps.ready:  # started from an AppConfig.ready(): let the rest load
        time.sleep(0.5)
    last_runs: dict[str, datetime] = {}
    while True:
        run_due(app, last_runs)
        close_old_connections()  # as after a request: the thread keeps none stale
        time.sleep(1)
