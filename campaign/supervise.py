"""Run the Procfile's processes and restart any that dies (`make stack`).

    python -m campaign.supervise [-f Procfile] [--grace SECONDS]

Each line `name: command` runs as `/bin/sh -c "exec command"` in a session of
its own, as honcho ran them: a worker lowers its own session's CPU priority
(campaign/celery.py, WORKER_NICE) and not the web's. Every line of output is
printed here after the time and the process's name.

A process that exits, whatever its status, is started again once the rest of
its session (a Celery pool process, a gunicorn worker) has ended: they get
``--grace`` seconds, then SIGKILL, as systemd treats a unit's control group.
One that keeps dying soon after it starts waits longer each time, up to
MAX_DELAY seconds; the others run on. Ctrl-C (SIGINT), SIGTERM or SIGHUP stops
them all: SIGTERM to each session, SIGKILL to what is left after ``--grace``
seconds; a second Ctrl-C kills at once.
"""

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO

RESTART_DELAY = 1.0
MAX_DELAY = 30.0
# A process that ran this long before it died was not crashing at start.
STABLE_AFTER = 30.0
TICK = 0.2
COLOURS = ["36", "33", "32", "35", "34", "31", "36;1", "33;1", "32;1", "35;1"]
SYSTEM = "system"


def read_procfile(path: Path) -> dict[str, str]:
    """The Procfile's entries, name to command, in order; `#` lines are comments."""
    entries = {}
    for line in path.read_text().splitlines():
        name, sep, command = line.partition(":")
        if sep and name.strip() and not name.lstrip().startswith("#"):
            entries[name.strip()] = command.strip()
    return entries


def next_delay(previous: float, ran_for: float) -> float:
    """Seconds to wait before the next start: doubled while a process dies
    soon after it starts, back to RESTART_DELAY once it ran a while."""
    if ran_for >= STABLE_AFTER:
        return RESTART_DELAY
    return min(max(previous * 2, RESTART_DELAY), MAX_DELAY)


def describe_exit(code: int) -> str:
    if code >= 0:
        return f"exited with code {code}"
    try:
        return f"was killed by {signal.Signals(-code).name}"
    except ValueError:
        return f"was killed by signal {-code}"


def session_alive(sid: int) -> bool:
    """Whether any process is left in the process group (here: session) sid."""
    try:
        os.killpg(sid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def signal_session(sid: int, signum: int) -> None:
    try:
        os.killpg(sid, signum)
    except (ProcessLookupError, PermissionError):
        pass


@dataclass
class Program:
    name: str
    command: str
    colour: str
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    # Set while its main process is dead and it waits to be started again.
    exited_at: float | None = None
    delay: float = 0.0
    pumps: list[threading.Thread] = field(default_factory=list)


class Supervisor:
    """Starts each program, restarts the dead, stops them all on a signal."""

    def __init__(
        self, entries: dict[str, str], *, grace: float, output: IO[str]
    ) -> None:
        self.programs = [
            Program(name, command, COLOURS[n % len(COLOURS)])
            for n, (name, command) in enumerate(entries.items())
        ]
        self.grace = grace
        self.output = output
        self.width = max(len(name) for name in [*entries, SYSTEM])
        self.colour = output.isatty()
        self.stopping = False
        # Reentrant: the signal handler prints from the main thread, which may
        # be printing already.
        self._lock = threading.RLock()

    def run(self) -> int:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self._on_signal)
        for program in self.programs:
            self._start(program)
        while not self.stopping:
            for program in self.programs:
                self._tend(program)
            time.sleep(TICK)
        self._stop_all()
        return 0

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self.stopping:  # asked twice: no more waiting
            self.say(f"{signal.Signals(signum).name} again: SIGKILL to every process")
            for program in self.programs:
                if program.process is not None:
                    signal_session(program.process.pid, signal.SIGKILL)
            return
        self.stopping = True
        self.say(f"{signal.Signals(signum).name} received: stopping every process")

    def _start(self, program: Program) -> None:
        process = subprocess.Popen(
            ["/bin/sh", "-c", f"exec {program.command}"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        program.process = process
        program.started_at = time.monotonic()
        program.exited_at = None
        assert process.stdout is not None
        pump = threading.Thread(
            target=self._pump, args=(program, process.stdout), daemon=True
        )
        pump.start()
        program.pumps = [p for p in program.pumps if p.is_alive()] + [pump]
        self.say(f"{program.name} started (pid {process.pid})")

    def _tend(self, program: Program) -> None:
        """Notice a death; restart once the delay passed and the session ended."""
        process = program.process
        assert process is not None
        now = time.monotonic()
        if program.exited_at is None:
            code = process.poll()
            if code is None:
                return
            ran_for = now - program.started_at
            program.exited_at, program.delay = now, next_delay(program.delay, ran_for)
            self.say(
                f"{program.name} (pid {process.pid}) {describe_exit(code)} after"
                f" {ran_for:.0f} s; starting it again in {program.delay:.0f} s"
            )
            return
        waited = now - program.exited_at
        if waited < program.delay:
            return
        if session_alive(process.pid):
            if waited < self.grace:
                return
            self.say(f"SIGKILL to what is left of {program.name} (pid {process.pid})")
            signal_session(process.pid, signal.SIGKILL)
        self._start(program)

    def _stop_all(self) -> None:
        for program in self.programs:
            if program.process is not None:
                signal_session(program.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        while time.monotonic() < deadline and self._any_alive():
            time.sleep(0.1)
        for program in self.programs:
            assert program.process is not None
            if session_alive(program.process.pid):
                self.say(f"SIGKILL to {program.name} (pid {program.process.pid})")
                signal_session(program.process.pid, signal.SIGKILL)
            program.process.wait()
            for pump in program.pumps:
                pump.join(timeout=1)  # the last lines it read
        self.say("every process stopped")

    def _any_alive(self) -> bool:
        alive = False
        for program in self.programs:
            assert program.process is not None
            program.process.poll()  # reaps the main process, or it never leaves
            alive = alive or session_alive(program.process.pid)
        return alive

    def _pump(self, program: Program, stream: IO[bytes]) -> None:
        for line in stream:
            self._print(program.name, program.colour, line.decode(errors="replace"))
        stream.close()

    def say(self, message: str) -> None:
        self._print(SYSTEM, "1", message)

    def _print(self, name: str, colour: str, line: str) -> None:
        prefix = f"{time.strftime('%H:%M:%S')} {name.ljust(self.width)} | "
        if self.colour:
            prefix = f"\033[{colour}m{prefix}\033[0m"
        with self._lock:
            try:
                print(prefix + line.rstrip("\r\n"), file=self.output, flush=True)
            except (OSError, ValueError):  # the terminal is gone
                pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-f", "--procfile", type=Path, default=Path("Procfile"))
    parser.add_argument(
        "--grace",
        type=float,
        default=5.0,
        help="seconds a process has to end after SIGTERM, or after its main "
        "process died, before SIGKILL (default: 5)",
    )
    args = parser.parse_args(argv)
    entries = read_procfile(args.procfile)
    if not entries:
        parser.error(f"no processes in {args.procfile}")
    return Supervisor(entries, grace=args.grace, output=sys.stdout).run()


if __name__ == "__main__":
    sys.exit(main())
