"""`make stack`'s supervisor (campaign/supervise.py) on small shell processes:
a dead process comes back, the others run on, Ctrl-C stops them all."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from campaign.supervise import MAX_DELAY, RESTART_DELAY, next_delay, read_procfile

ROOT = Path(__file__).resolve().parent.parent.parent
# ${NAME:-default} in the Procfile, as the shell reads it with NAME unset.
DEFAULT = re.compile(r"\$\{\w+:-([^}]*)\}")
PROCFILE = """\
# Two processes; the second leaves a child behind when it dies.
steady: sh -c 'echo steady here; exec sleep 300'
leaky: sh -c 'sleep 300 & echo child $!; exec sleep 300'
"""


def _output(path: Path) -> str:
    return path.read_text() if path.exists() else ""


def _wait_for(path: Path, pattern: str, *, count: int = 1) -> list[str]:
    """The first group of each line matching pattern, once count of them are in
    the supervisor's output."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        found = re.findall(pattern, _output(path), re.MULTILINE)
        if len(found) >= count:
            return found
        time.sleep(0.05)
    raise AssertionError(f"No {count} x {pattern!r} in:\n{_output(path)}")


def _running(pid: int) -> bool:
    """Alive and not a zombie waiting for its parent (here: init) to reap it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def test_a_killed_process_comes_back_alone_and_ctrl_c_stops_every_one(tmp_path):
    procfile, out = tmp_path / "Procfile", tmp_path / "out.txt"
    procfile.write_text(PROCFILE)
    with out.open("w") as output:
        supervisor = subprocess.Popen(
            [sys.executable, "-m", "campaign.supervise", "-f", procfile]
            + ["--grace", "1"],
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        steady, leaky = (
            int(_wait_for(out, rf"system +\| {name} started \(pid (\d+)\)")[0])
            for name in ("steady", "leaky")
        )
        orphan = int(_wait_for(out, r"leaky +\| child (\d+)")[0])
        _wait_for(out, r"^\d\d:\d\d:\d\d (steady) +\| steady here$")

        os.kill(leaky, signal.SIGKILL)

        started = _wait_for(out, r"leaky started \(pid (\d+)\)", count=2)
        assert f"leaky (pid {leaky}) was killed by SIGKILL" in _output(out)
        assert not _running(orphan)  # what the dead one left ended first
        assert _running(int(started[1]))
        assert _running(steady)
        assert _wait_for(out, r"steady started \(pid (\d+)\)") == [str(steady)]

        supervisor.send_signal(signal.SIGINT)  # Ctrl-C

        assert supervisor.wait(timeout=10) == 0
        assert "every process stopped" in _output(out)
        assert not any(_running(pid) for pid in (steady, int(started[1])))
    finally:
        if supervisor.poll() is None:
            os.killpg(supervisor.pid, signal.SIGKILL)
            supervisor.wait()


def test_a_process_that_keeps_dying_at_start_waits_longer_each_time():
    delays = [RESTART_DELAY]
    for _ in range(10):
        delays.append(next_delay(delays[-1], ran_for=0.5))

    assert delays[:4] == [1, 2, 4, 8]
    assert max(delays) == MAX_DELAY
    assert next_delay(MAX_DELAY, ran_for=3600) == RESTART_DELAY


def test_the_procfile_lists_every_process_make_stack_runs():
    assert list(read_procfile(ROOT / "Procfile")) == ["web", "worker", "bulk", "beat"]


def test_the_systemd_units_in_the_docs_run_the_procfile_commands():
    docs = (ROOT / "docs" / "operations.md").read_text().replace(" \\\n    ", " ")
    units = {
        line.removeprefix("ExecStart=/srv/campaign/.venv/bin/").replace("%%", "%")
        for line in docs.splitlines()
        if line.startswith("ExecStart=")
    }
    expected = {
        DEFAULT.sub(r"\1", command).replace(
            "/tmp/campaign-celerybeat-schedule",  # the units keep it in StateDirectory
            "/var/lib/campaign/celerybeat-schedule",
        )
        for command in read_procfile(ROOT / "Procfile").values()
    }

    assert units == expected
