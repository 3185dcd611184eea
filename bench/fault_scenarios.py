"""The faults of the fault suite (bench/faults.py): each injects itself into
a running set, holds for its seconds and ends; and the list of scenarios.
"""

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from stack import ROOT, children

sys.path.insert(0, str(ROOT))

from actions.tests.integration.load import SigningLoad  # noqa: E402
from actions.tests.integration.stack import (  # noqa: E402
    Mailbox,
    PrivatePostgres,
    PrivateRedis,
)
from actions.tests.integration.supervised import Supervised  # noqa: E402

# How long a killed process may take to come back before the suite says so.
COME_BACK_SECONDS = 60


@dataclass
class Run:
    """One scenario's servers and processes, for its fault to act on."""

    processes: Supervised
    redis: PrivateRedis
    postgres: PrivatePostgres
    mailbox: Mailbox
    load: SigningLoad
    notes: list[str] = field(default_factory=list)
    # Addresses the SMTP server answers 550: never delivered, rightly.
    rejected: set[str] = field(default_factory=set)
    # Email processes that died or lost the database while they may have been
    # sending: each may leave one email that went but is not marked sent.
    senders_lost: int = 0


# --- Faults: each injects, holds for `seconds`, ends ----------------------


def no_fault(run: Run, seconds: float) -> None:
    time.sleep(seconds)


def redis_kill(run: Run, seconds: float) -> None:
    run.redis.kill()
    time.sleep(seconds)
    run.redis.start()  # empty: no persistence, as a lost machine


def redis_pause(run: Run, seconds: float) -> None:
    run.redis.pause()
    try:
        time.sleep(seconds)
    finally:
        run.redis.resume()


def pg_restart(run: Run, seconds: float) -> None:
    run.postgres.restart(mode="fast")


def pg_stop(run: Run, seconds: float) -> None:
    run.postgres.stop(mode="fast")
    time.sleep(seconds)
    run.postgres.start()


def smtp_refuse(run: Run, seconds: float) -> None:
    run.mailbox.refuse("421 4.3.2 Service busy, try again later")
    time.sleep(seconds / 2)
    run.mailbox.refuse("451 4.3.0 Temporary failure, try again later")
    time.sleep(seconds / 2)
    # Then 550 for one address in ten, for good: those rows end failed.
    run.rejected = {run.load.address(n) for n in range(0, 200_000, 10)}
    run.mailbox.reject(run.rejected)
    run.notes.append(f"{run.mailbox.refused} commands refused with 421 or 451")


def smtp_slow(run: Run, seconds: float) -> None:
    run.mailbox.slow(10.0)
    time.sleep(seconds)
    run.mailbox.normal()


def smtp_drop(run: Run, seconds: float) -> None:
    run.mailbox.drop_after_data()
    time.sleep(seconds)
    run.mailbox.normal()
    run.notes.append(
        f"{run.mailbox.dropped} messages read and dropped unanswered: the "
        "sender cannot know they arrived"
    )


def pool_kill(run: Run, seconds: float) -> None:
    killed = 0
    for _ in range(2):
        for pid in children(run.processes.pid("worker")):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
                killed += 1
        time.sleep(seconds / 2)
    run.senders_lost += killed
    run.notes.append(f"{killed} pool processes SIGKILLed in two rounds")


def serving(port: int, pids: list[int]) -> list[int]:
    """Those of these processes holding a client's connection to port now
    (a gunicorn worker mid-request)."""
    out = subprocess.run(
        ["ss", "-Htnp", "state", "established", f"( sport = :{port} )"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    holding = {int(pid) for pid in re.findall(r"pid=(\d+)", out)}
    return [pid for pid in pids if pid in holding]


def web_kill(run: Run, seconds: float) -> None:
    deadline = time.monotonic() + 5
    while True:
        workers = children(run.processes.pid("web"))
        busy = serving(run.load.port, workers)
        if busy or time.monotonic() > deadline:
            break
    os.kill((busy or workers)[0], signal.SIGKILL)
    if not busy:
        run.notes.append("no worker was serving a request in 5 s: killed an idle one")
    time.sleep(seconds)


def _kill_and_wait(run: Run, name: str, seconds: float) -> None:
    """SIGKILL a process's main process; note when the supervisor had it
    running and ready again; hold until `seconds` have passed."""
    killed_at = time.monotonic()
    old = run.processes.kill(name)
    try:
        run.processes.wait_restarted(name, old, timeout=COME_BACK_SECONDS)
        back = time.monotonic() - killed_at
        run.processes.wait_ready(timeout=COME_BACK_SECONDS)
    except AssertionError:
        run.notes.append(f"{name}: not back {COME_BACK_SECONDS} s after SIGKILL")
        return
    ready = time.monotonic() - killed_at
    run.notes.append(
        f"{name}: started again by the supervisor after {back:.1f} s, "
        f"the set ready after {ready:.1f} s"
    )
    time.sleep(max(0.0, seconds - ready))


def worker_kill(run: Run, seconds: float) -> None:
    run.senders_lost += len(children(run.processes.pid("worker")))  # die with it
    _kill_and_wait(run, "worker", seconds)


def beat_kill(run: Run, seconds: float) -> None:
    _kill_and_wait(run, "beat", seconds)


@dataclass(frozen=True)
class Scenario:
    name: str
    label: str
    fault: Callable[[Run, float], None]
    seconds: float
    short_seconds: float
    kind: str = ""  # "redis": the p99 target; "postgres": 503 allowed


SCENARIOS = [
    Scenario("none", "no fault (reference)", no_fault, 15, 5),
    Scenario("redis-kill", "Redis SIGKILL, back empty", redis_kill, 15, 5, "redis"),
    Scenario("redis-pause", "Redis SIGSTOP", redis_pause, 10, 10, "redis"),
    Scenario("pg-restart", "PostgreSQL fast restart", pg_restart, 0, 0, "postgres"),
    Scenario("pg-stop", "PostgreSQL stopped", pg_stop, 15, 5, "postgres"),
    Scenario("smtp-refuse", "SMTP 421/451, then 550", smtp_refuse, 30, 10),
    Scenario("smtp-slow", "SMTP 10 s per message", smtp_slow, 30, 12),
    Scenario("smtp-drop", "SMTP drop after DATA", smtp_drop, 20, 8),
    Scenario("pool-kill", "email pool SIGKILLed x2", pool_kill, 20, 8),
    Scenario("beat-kill", "beat SIGKILLed", beat_kill, 120, 20),
    Scenario("web-kill", "gunicorn worker SIGKILL", web_kill, 0, 0),
    Scenario("worker-kill", "email worker main SIGKILL", worker_kill, 20, 8),
]
BY_NAME = {scenario.name: scenario for scenario in SCENARIOS}
