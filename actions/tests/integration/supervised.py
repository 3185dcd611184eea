"""The Procfile's processes under `make stack`'s supervisor
(campaign/supervise.py), for tests and the fault suite (bench/faults.py) to
kill one and see it come back.

    with supervised_set(env, logdir / "supervise.log") as processes:
        processes.wait_ready()
        old = processes.kill("worker")
        processes.wait_restarted("worker", old)

``env`` is what the processes get (the Procfile reads PORT, BIND,
WEB_CONCURRENCY, ...); the supervisor's output, every process's lines after
its name, goes to the log file.
"""

import contextlib
import http.client
import os
import re
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from actions.tests.integration.stack import BIN, Stack, wait_until
from campaign.supervise import read_procfile

ROOT = Path(__file__).resolve().parents[3]
LINE = re.compile(r"^\d\d:\d\d:\d\d (\S+) +\| ?(.*)$", re.MULTILINE)
STARTED = re.compile(r"^(\S+) started \(pid (\d+)\)$")


class Supervised:
    """The supervisor and the processes it runs; pids are those it reports."""

    def __init__(
        self,
        env: dict[str, str],
        log_path: Path,
        *,
        procfile: Path = ROOT / "Procfile",
        grace: float = 5.0,
    ) -> None:
        self.env = env | {"PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}"}
        self.log_path = log_path
        self.procfile = procfile
        self.grace = grace
        self.supervisor: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log_path.open("w") as log:
            self.supervisor = subprocess.Popen(
                [BIN / "python", "-m", "campaign.supervise", "-f", self.procfile]
                + ["--grace", str(self.grace)],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def stop(self) -> None:
        """Stop as Ctrl-C does; SIGKILL whatever is left if that fails."""
        if self.supervisor is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.supervisor.pid, signal.SIGINT)
        try:
            clean = self.supervisor.wait(timeout=self.grace + 15) == 0
        except subprocess.TimeoutExpired:
            clean = False
        if not clean:
            sessions = [self.supervisor.pid] + [pid for _, pid in self._starts()]
            for pid in sessions:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
            self.supervisor.wait(timeout=5)
        self.supervisor = None

    def output(self, name: str) -> str:
        """The lines of one process (every run of it), or "system"'s."""
        text = self.log_path.read_text(errors="replace")
        return "\n".join(line for who, line in LINE.findall(text) if who == name)

    def pid(self, name: str) -> int:
        """The pid of the process's latest run (its main process)."""
        pids = [pid for who, pid in self._starts() if who == name]
        assert pids, f"{name} never started\n{self.tail()}"
        return pids[-1]

    def kill(self, name: str, signum: int = signal.SIGKILL) -> int:
        """Signal the process's main process; its pid."""
        pid = self.pid(name)
        os.kill(pid, signum)
        return pid

    def wait_restarted(self, name: str, old_pid: int, *, timeout: float = 60) -> int:
        """The pid of the run that replaced old_pid, once it has started."""
        wait_until(
            lambda: self.pid(name) != old_pid,
            timeout=timeout,
            message=lambda: f"{name} to start again\n{self.tail()}",
        )
        return self.pid(name)

    def wait_ready(self, *, timeout: float = 90) -> None:
        """Until the web answers on PORT and every Celery worker's latest run
        says it is ready."""
        workers = [
            name
            for name, command in read_procfile(self.procfile).items()
            if " worker" in command and "celery" in command
        ]

        def ready() -> bool:
            assert self.supervisor and self.supervisor.poll() is None, self.tail()
            started = [who for who, _ in self._starts()]
            return _web_answers(int(self.env.get("PORT", "8000"))) and all(
                self.output(name).count(" ready.") >= started.count(name)
                for name in workers
            )

        wait_until(ready, timeout=timeout, message=lambda: f"the set\n{self.tail()}")

    def tail(self, lines: int = 60) -> str:
        text = self.log_path.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def _starts(self) -> list[tuple[str, int]]:
        return [
            (match[1], int(match[2]))
            for match in map(STARTED.match, self.output("system").splitlines())
            if match
        ]


@contextlib.contextmanager
def supervised_set(
    env: dict[str, str],
    log_path: Path,
    *,
    procfile: Path = ROOT / "Procfile",
    grace: float = 5.0,
) -> Iterator[Supervised]:
    """The Procfile's processes under the supervisor, stopped on exit."""
    processes = Supervised(env, log_path, procfile=procfile, grace=grace)
    processes.start()
    try:
        yield processes
    finally:
        processes.stop()


@dataclass(eq=False)
class SupervisedStack(Stack):
    """A Stack (for run_only and its requests) whose processes are the
    Procfile's, run by the supervisor as `make stack` runs them."""

    supervised: Supervised | None = field(default=None, init=False)

    def start(self) -> None:
        procfile = {
            "PORT": str(self.port),
            "BIND": "127.0.0.1",
            "WEB_CONCURRENCY": str(self.web_workers),
            "BEAT_SCHEDULE": str(self.log_dir / "celerybeat-schedule"),
            "ACCESS_LOG": str(self.log_dir / "access.log"),
        }
        self.supervised = Supervised(
            self.environment() | procfile, self.log_dir / "supervise.log"
        )
        self.supervised.start()
        assert self.supervised.supervisor is not None
        self.processes = {"supervise": self.supervised.supervisor}
        self.supervised.wait_ready()

    def stop(self) -> None:
        if self.supervised is not None:
            self.supervised.stop()
        self.processes.clear()

    def log(self, name: str) -> str:
        return self.supervised.output(name) if self.supervised else ""

    def logs(self, lines: int = 30) -> str:
        return self.supervised.tail(lines * 4) if self.supervised else ""


def _web_answers(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/healthz")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()
