"""The production-like set: a fresh database, the Procfile's processes, content."""

import contextlib
import http.client
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
BIN = ROOT / ".venv" / "bin"
if not BIN.exists():
    BIN = Path(sys.executable).parent

sys.path.insert(0, str(ROOT))
# The Procfile as make stack reads it: one reading for both.
from campaign.supervise import read_procfile as procfile  # noqa: E402

PG_SETTINGS = [
    "shared_buffers",
    "synchronous_commit",
    "commit_delay",
    "wal_buffers",
    "max_wal_size",
    "checkpoint_timeout",
    "max_connections",
    "fsync",
]


def log(message: str) -> None:
    """A timestamped progress line of a benchmark run."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def git_commit() -> str:
    """The short hash of the commit checked out, for the results."""
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    return ""


def reset_database(server_url: str, name: str) -> str:
    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{server_url}/{name}"


def pg_settings(database_url: str) -> dict[str, str]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT name, current_setting(name) FROM pg_settings WHERE name = ANY(%s)",
            [PG_SETTINGS],
        ).fetchall()
    return dict(rows)


def production_env(
    *, database_url: str, redis_url: str, smtp_port: int, web_port: int, tmp: Path
) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CELERY_", "EMAIL_", "DATABASE_", "REDIS_"))
    }
    env.update(
        CAMPAIGN_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(50),
        HTTPS="0",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        ALLOWED_HOSTS="127.0.0.1",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        SITE_URL=f"http://127.0.0.1:{web_port}",
        BIND="127.0.0.1",
        PORT=str(web_port),
        ACCESS_LOG="/dev/null",
        BEAT_SCHEDULE=str(tmp / "celerybeat-schedule"),
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        PYTHONUNBUFFERED="1",
    )
    return env


def manage(env: dict[str, str], *args: str, logfile: Path) -> None:
    with logfile.open("a") as out:
        subprocess.run(
            [BIN / "python", "manage.py", *args],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=True,
        )


def seed(env: dict[str, str], logfile: Path) -> dict[str, str]:
    output = subprocess.run(
        [BIN / "python", BENCH / "seed.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    logfile.open("a").write(output.stdout + output.stderr)
    if output.returncode:
        sys.exit(f"Seeding failed, see {logfile}")
    return json.loads(output.stdout.strip().splitlines()[-1])


def stop(procs: dict[str, subprocess.Popen]) -> None:
    """SIGTERM each process group we started, then SIGKILL what is left."""
    for proc in procs.values():
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    for proc in procs.values():
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
    for proc in procs.values():
        # The group outlives its leader if a child lingers: kill it too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)


# The site's WSGI application in the Procfile's web line, and the floor's.
SITE_WSGI = re.compile(r"(?<=\s)campaign\.wsgi(:application)?(?=\s|$)")
FLOOR_WSGI = "bench.floor.wsgi:application"


def floor_command(web: str) -> str:
    """The Procfile's web line with the floor's application in place of the
    site's: every gunicorn option stays the one the site runs with."""
    command, replaced = SITE_WSGI.subn(FLOOR_WSGI, web)
    if replaced != 1:
        sys.exit(f"Cannot find campaign.wsgi once in the web line: {web}")
    return command


@contextlib.contextmanager
def production_set(
    env: dict[str, str], workers: int, logdir: Path, path: Path
) -> Iterator[dict[str, subprocess.Popen]]:
    """Start every Procfile entry as its own process group, as honcho would."""
    with process_set(env, workers, logdir, procfile(path)) as procs:
        yield procs


@contextlib.contextmanager
def floor_set(
    env: dict[str, str], workers: int, logdir: Path, path: Path
) -> Iterator[dict[str, subprocess.Popen]]:
    """Start the floor project alone, by the Procfile's web line (see above)."""
    entries = {"floor": floor_command(procfile(path)["web"])}
    with process_set(env, workers, logdir, entries) as procs:
        yield procs


@contextlib.contextmanager
def process_set(
    env: dict[str, str], workers: int, logdir: Path, entries: dict[str, str]
) -> Iterator[dict[str, subprocess.Popen]]:
    """Start each command as its own process group; stop them all on exit."""
    env = env | {"WEB_CONCURRENCY": str(workers)}
    procs: dict[str, subprocess.Popen] = {}
    try:
        for name, command in entries.items():
            out = (logdir / f"{name}-w{workers}.log").open("w")
            procs[name] = subprocess.Popen(
                ["/bin/sh", "-c", f"exec {command}"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        yield procs
    finally:
        stop(procs)


def children(parent: int) -> list[int]:
    """The pids of a process's children, e.g. a Celery worker's pool."""
    out = subprocess.run(
        ["pgrep", "-P", str(parent)], capture_output=True, text=True, check=False
    )
    return [int(pid) for pid in out.stdout.split()]


def wait_until_ready(
    procs: dict[str, subprocess.Popen], port: int, logdir: Path, workers: int
) -> None:
    """Wait for gunicorn to answer and the Celery worker (if any) to be ready."""
    deadline = time.monotonic() + 90
    web_ready, worker_ready = False, "worker" not in procs
    worker_log = logdir / f"worker-w{workers}.log"
    while not (web_ready and worker_ready):
        for name, proc in procs.items():
            if proc.poll() is not None:
                sys.exit(f"{name} exited with {proc.returncode}, see {logdir}")
        if time.monotonic() > deadline:
            sys.exit(f"The set did not start in 90 s, see {logdir}")
        if not web_ready:
            with contextlib.suppress(OSError):
                web_ready = fetch(port, "GET", "/healthz")[0] == 200
        worker_ready = worker_ready or (
            worker_log.exists() and " ready." in worker_log.read_text()
        )
        time.sleep(0.3)


def fetch(
    port: int, method: str, path: str, body: str | None = None
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def preflight(port: int, slugs: dict[str, str], tag: str) -> None:
    """Each URL answers what a browser would get, so wrk measures real pages."""
    checks = [
        ("/healthz", 200, b"ok"),
        (f"/statements/{slugs['statement']}/", 200, b"sign-form"),
        (f"/petitions/{slugs['petition']}/count.json", 200, b'"count"'),
    ]
    for path, status, needle in checks:
        got, _, body = fetch(port, "GET", path)
        if got != status or needle not in body:
            sys.exit(f"GET {path} answered {got}; expected {status} with {needle!r}")
    form = urllib.parse.urlencode(
        {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": f"{tag}@example.org",
            "country": "KH",
            "source": "bench",
            "started": slugs["stamp"],  # not too fast (actions.abuse.stamp)
        }
    )
    got, headers, _ = fetch(port, "POST", f"/petitions/{slugs['petition']}/", form)
    if got != 302 or "check-email" not in headers.get("Location", ""):
        sys.exit(f"Signing answered {got} {headers.get('Location')}; expected 302")
