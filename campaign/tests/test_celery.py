"""The Celery worker's CPU priority (campaign/celery.py)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
AUTOGROUP = Path("/proc/self/autogroup")

SCRIPT = """
import os, django
django.setup()
from celery import signals
signals.worker_init.send(sender=None)
path = "/proc/self/autogroup"
print(os.nice(0), open(path).read().strip() if os.path.exists(path) else "")
"""


def _worker_start(nice: str) -> tuple[int, str]:
    """Fire worker_init in a process of its own session, as `make stack` starts one."""
    env = os.environ | {
        "WORKER_NICE": nice,
        "DJANGO_SETTINGS_MODULE": "campaign.settings",
    }
    output = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        start_new_session=True,  # its autogroup is its own, not the test's
    ).stdout.split(maxsplit=1)
    return int(output[0]), output[1].strip() if len(output) > 1 else ""


def test_the_worker_runs_below_the_web_processes():
    before = os.nice(0)

    nice, autogroup = _worker_start("10")

    assert nice == before + 10
    if AUTOGROUP.exists():  # Linux with autogroups: the session yields too
        assert autogroup.endswith("nice 10")


def test_a_worker_on_a_machine_of_its_own_keeps_its_priority():
    before = os.nice(0)

    nice, autogroup = _worker_start("0")

    assert nice == before
    if AUTOGROUP.exists():
        assert autogroup.endswith("nice 0")


def test_worker_pool_processes_are_replaced_before_they_grow_without_bound():
    from campaign.celery import app

    assert app.conf.worker_max_tasks_per_child == 10_000
    assert app.conf.worker_max_memory_per_child == 400_000  # KiB
