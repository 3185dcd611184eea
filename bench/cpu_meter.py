"""CPU time of the benchmark's processes, read from /proc (Linux only)."""

import os
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def cpu_snapshot(groups: dict[str, int]) -> dict[str, float]:
    """CPU seconds used so far by each of our process groups, Redis, the machine.

    A group's total includes children already reaped (recycled gunicorn
    workers, replaced Celery pool processes), so it is exact.
    """
    pgid_names = {pgid: name for name, pgid in groups.items()}
    totals = dict.fromkeys([*groups, "redis"], 0.0)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _proc_stat(entry.name)):
            comm, pgrp, own, children = stat
            if pgrp in pgid_names:
                totals[pgid_names[pgrp]] += own + children
            elif comm == "redis-server":
                totals["redis"] += own
    machine = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    values = [int(value) for value in machine]
    totals["machine_busy"] = (sum(values) - values[3] - values[4]) / TICK
    times = os.times()
    totals["bench+wrk"] = times.user + times.system
    totals["bench+wrk"] += times.children_user + times.children_system
    return totals


def _proc_stat(pid: str) -> tuple[str, int, float, float] | None:
    """(command, process group, own CPU s, reaped children's CPU s)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    own = (int(fields[11]) + int(fields[12])) / TICK
    children = (int(fields[13]) + int(fields[14])) / TICK
    return stat[stat.index("(") + 1 : stat.rindex(")")], int(fields[2]), own, children


class PostgresMeter:
    """CPU seconds PostgreSQL spent for the benchmark database since creation.

    Backends still alive are read one by one. Backends that exited were reaped
    by the postmaster, whose children's CPU time holds them, and also those of
    any other database's sessions that ended meanwhile (none on a quiet
    machine; the benchmark's own short-lived connections are the point).
    """

    def __init__(self, database: str) -> None:
        self.marker = f" {database} "
        self.postmaster = _postmaster_pid()
        self.start = self._backends()
        self.reaped = self._reaped()

    def stop(self) -> float:
        return sum(self.stop_parts())

    def stop_parts(self) -> tuple[float, float]:
        """(backends still alive, backends that exited): on a busy machine the
        second also holds other databases' sessions that ended meanwhile."""
        end = self._backends()
        live = sum(cpu - self.start.get(pid, 0.0) for pid, cpu in end.items())
        # Their time before the start is in the postmaster's count too.
        exited = sum(cpu for pid, cpu in self.start.items() if pid not in end)
        return live, self._reaped() - self.reaped - exited

    def _backends(self) -> dict[str, float]:
        backends = {}
        for pid in os.listdir("/proc"):
            if pid.isdigit() and self._is_ours(pid) and (stat := _proc_stat(pid)):
                backends[pid] = stat[2]
        return backends

    def _reaped(self) -> float:
        stat = _proc_stat(self.postmaster) if self.postmaster else None
        return stat[3] if stat else 0.0

    def _is_ours(self, pid: str) -> bool:
        try:
            if _comm(pid) != "postgres":
                return False
            title = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            return False
        return self.marker in title.replace("\0", " ") + " "


def _postmaster_pid() -> str | None:
    """The postgres process whose parent is not a postgres process."""
    for pid in os.listdir("/proc"):
        try:
            if not pid.isdigit() or _comm(pid) != "postgres":
                continue
            stat = Path(f"/proc/{pid}/stat").read_text()
            parent = stat[stat.rindex(")") + 2 :].split()[1]
            if _comm(parent) != "postgres":
                return pid
        except OSError:
            continue
    return None


def _comm(pid: str) -> str:
    return Path(f"/proc/{pid}/comm").read_text().strip()


def cpu_delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {key: round(after[key] - before[key], 2) for key in after}
