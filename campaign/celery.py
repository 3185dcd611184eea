import os
from pathlib import Path

from celery import Celery, signals
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "campaign.settings")

app = Celery("campaign", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


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
