"""The faults of the fault suite (bench/faults.py): each injects itself into
a running set, holds for its seconds and ends; and the list of scenarios.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import redis
from stack import ROOT, children, start_process

sys.path.insert(0, str(ROOT))

from actions.tests.integration.load import SigningLoad  # noqa: E402
from actions.tests.integration.stack import (  # noqa: E402
    Mailbox,
    PrivatePostgres,
    PrivateRedis,
)


@dataclass
class Run:
    """One scenario's servers and processes, for its fault to act on."""

    env: dict[str, str]
    workers: int
    entries: dict[str, str]
    logdir: Path
    procs: dict[str, subprocess.Popen]
    redis: PrivateRedis
    postgres: PrivatePostgres
    mailbox: Mailbox
    load: SigningLoad
    notes: list[str] = field(default_factory=list)
    # Addresses the SMTP server answers 550: never delivered, rightly.
    rejected: set[str] = field(default_factory=set)
    # Process groups whose leader was killed and replaced (orphans may remain).
    replaced: list[subprocess.Popen] = field(default_factory=list)

    def restart(self, name: str, after: float) -> None:
        """Start a killed process again, as an operator would."""
        self.replaced.append(self.procs[name])
        logfile = self.logdir / f"{name}-w{self.workers}.log"
        env = self.env | {"WEB_CONCURRENCY": str(self.workers)}
        self.procs[name] = start_process(env, self.entries[name], logfile, mode="a")
        self.notes.append(
            f"{name}: nothing restarts it in this set (needs supervisor); "
            f"the suite started it again after {after:.0f} s"
        )


# --- Faults: each injects, holds for `seconds`, ends ----------------------


def redis_pid(server: PrivateRedis) -> int:
    client = redis.Redis.from_url(server.url, socket_timeout=2)
    return int(client.info("server")["process_id"])


def no_fault(run: Run, seconds: float) -> None:
    time.sleep(seconds)


def redis_kill(run: Run, seconds: float) -> None:
    os.kill(redis_pid(run.redis), signal.SIGKILL)
    time.sleep(seconds)
    run.redis.start()  # empty: no persistence, as a lost machine


def redis_pause(run: Run, seconds: float) -> None:
    pid = redis_pid(run.redis)
    os.kill(pid, signal.SIGSTOP)
    try:
        time.sleep(seconds)
    finally:
        os.kill(pid, signal.SIGCONT)


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


def smtp_slow(run: Run, seconds: float) -> None:
    run.mailbox.slow(10.0)
    time.sleep(seconds)
    run.mailbox.normal()


def smtp_drop(run: Run, seconds: float) -> None:
    run.mailbox.drop_after_data()
    time.sleep(seconds)
    run.mailbox.normal()


def pool_kill(run: Run, seconds: float) -> None:
    killed = 0
    for _ in range(2):
        for pid in children(run.procs["worker"].pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
                killed += 1
        time.sleep(seconds / 2)
    run.notes.append(f"pool-kill: {killed} pool processes SIGKILLed in two rounds")


def web_kill(run: Run, seconds: float) -> None:
    victim = children(run.procs["web"].pid)[0]
    os.kill(victim, signal.SIGKILL)
    time.sleep(seconds)


def _kill_and_wait(run: Run, name: str, seconds: float) -> None:
    """SIGKILL a process of the set; after `seconds`, start it again unless
    something did."""
    os.kill(run.procs[name].pid, signal.SIGKILL)
    time.sleep(seconds)
    if run.procs[name].poll() is not None:
        run.restart(name, after=seconds)


def worker_kill(run: Run, seconds: float) -> None:
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


# The worker main process comes last: without a supervisor, the set it leaves
# behind needs the suite's hand (see Run.restart).
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
