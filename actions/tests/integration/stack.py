"""The real parts the integration tests run: the site as in production
(gunicorn, a Celery worker and beat, configured only through environment
variables), a Redis server of a test's own, an SMTP server that keeps
what it receives, and a staff member's admin session.
"""

import asyncio
import email
import http.client
import logging
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from email import policy
from email.message import EmailMessage
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import psycopg
import redis
from aiosmtpd.controller import Controller
from django.conf import settings
from django.urls import reverse

BIN = Path(sys.executable).parent
# aiosmtpd logs every SMTP command at INFO.
logging.getLogger("mail.log").setLevel(logging.WARNING)
CONFIRM_LINK = re.compile(r"https?://\S+/confirm/[^\s/]+/")
# How soon the site's processes see a change to the block list.
BLOCKLIST_CACHE_SECONDS = 1
COUNT_ON_PAGE = re.compile(r"data-count\b[^>]*>([\d,]+)<")
# Above this many rows, an admin export on the two hosts (conftest's host_pair)
# is built in the background.
HOSTS_EXPORT_MAX_ROWS = 5


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(
    condition: Callable[[], object],
    *,
    timeout: float,
    interval: float = 0.2,
    message: str | Callable[[], str] = "condition",
) -> object:
    """Poll until condition() is truthy and return it; fail after timeout s."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            text = message() if callable(message) else message
            raise AssertionError(f"Timed out after {timeout} s waiting for: {text}")
        time.sleep(interval)


def post_all_at_once(
    stack: "Stack", path: str, forms: list[dict[str, str]], *, network: str
) -> Counter:
    """POST every form at the same instant, each from a client of its own
    (``network`` followed by two numbers, e.g. "10.1"), as a crowd signs;
    how many responses had each status."""
    start = threading.Barrier(len(forms))

    def post(numbered: tuple[int, dict[str, str]]) -> int:
        n, form = numbered
        start.wait(timeout=120)
        client = f"{network}.{n // 250}.{n % 250}"
        return stack.post(path, form, forwarded_for=client).status

    with ThreadPoolExecutor(max_workers=len(forms)) as pool:
        return Counter(pool.map(post, enumerate(forms)))


@dataclass(frozen=True)
class SmtpFault:
    """How the Mailbox misbehaves; the default is not at all."""

    # Answered to every MAIL, RCPT and DATA, e.g. "421 4.3.2 Try again later".
    refuse_with: str = ""
    # Addresses (lower case) answered ``reject_with`` at RCPT.
    reject: frozenset[str] = frozenset()
    reject_with: str = "550 5.1.1 No such user"
    # Seconds each message takes before it is accepted.
    delay: float = 0.0
    # Read the message, then close the connection without answering.
    drop_after_data: bool = False
    # When (time.monotonic()) it ends by itself; None: when normal() is called.
    until: float | None = None


class Mailbox:
    """An SMTP server on a free port that keeps every message it receives.

    It can misbehave as real servers do, switched at run time from any
    thread: refuse(), reject(), slow(), drop_after_data(), and normal() again.
    """

    def __init__(self) -> None:
        self.port = free_port()
        self._lock = threading.Lock()
        self._received: list[tuple[str, EmailMessage]] = []
        self._fault = SmtpFault()
        # How many commands were refused or rejected, and messages dropped.
        self.refused = 0
        self.dropped = 0
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def normal(self) -> None:
        """Accept every message again."""
        self._set(SmtpFault())

    def refuse(
        self,
        reply: str = "421 4.3.2 Service busy, try again later",
        *,
        seconds: float | None = None,
    ) -> None:
        """Answer ``reply`` (421 or 451 ...) to every MAIL, RCPT and DATA,
        for ``seconds`` or until normal()."""
        self._set(SmtpFault(refuse_with=reply), seconds)

    def reject(
        self,
        addresses: set[str],
        reply: str = "550 5.1.1 No such user",
        *,
        seconds: float | None = None,
    ) -> None:
        """Answer ``reply`` at RCPT for these addresses; accept the others."""
        chosen = frozenset(a.lower() for a in addresses)
        self._set(SmtpFault(reject=chosen, reject_with=reply), seconds)

    def slow(self, delay: float, *, seconds: float | None = None) -> None:
        """Take ``delay`` seconds over each message, then accept it."""
        self._set(SmtpFault(delay=delay), seconds)

    def drop_after_data(self, *, seconds: float | None = None) -> None:
        """Read each message, then close the connection without answering.

        The message counts as received: a real server that read it to the end
        may well deliver it, and the sender cannot know (a duplicate if it
        sends it again).
        """
        self._set(SmtpFault(drop_after_data=True), seconds)

    def _set(self, fault: SmtpFault, seconds: float | None = None) -> None:
        if seconds is not None:
            fault = replace(fault, until=time.monotonic() + seconds)
        with self._lock:
            self._fault = fault

    @property
    def fault(self) -> SmtpFault:
        """The fault in force now (SmtpFault() when none)."""
        with self._lock:
            fault = self._fault
            if fault.until is not None and time.monotonic() >= fault.until:
                fault = self._fault = SmtpFault()
            return fault

    def _refusal(self) -> str:
        reply = self.fault.refuse_with
        if reply:
            with self._lock:
                self.refused += 1
        return reply

    async def handle_MAIL(self, server, session, envelope, address, options) -> str:
        if reply := self._refusal():
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, options) -> str:
        if reply := self._refusal():
            return reply
        fault = self.fault
        if address.lower() in fault.reject:
            with self._lock:
                self.refused += 1
            return fault.reject_with
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        if reply := self._refusal():
            return reply
        fault = self.fault
        if fault.delay:
            await asyncio.sleep(fault.delay)
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            for recipient in envelope.rcpt_tos:
                self._received.append((recipient.lower(), message))
            if fault.drop_after_data:
                self.dropped += 1
        if fault.drop_after_data:
            server.transport.abort()  # no reply, as when a link breaks
        return "250 Message accepted for delivery"

    def messages_to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for to, m in self._received if to == address.lower()]

    def count_by_recipient(self, addresses: set[str]) -> Counter:
        """How many messages each of these addresses got (lower case)."""
        wanted = {a.lower() for a in addresses}
        with self._lock:
            return Counter(to for to, _ in self._received if to in wanted)

    def wait_for(self, address: str, *, timeout: float = 30) -> EmailMessage:
        """The first message to this address, waiting for it to arrive."""
        messages = wait_until(
            lambda: self.messages_to(address),
            timeout=timeout,
            message=f"an email to {address}",
        )
        return messages[0]


def text_body(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def confirmation_link(message: EmailMessage) -> str:
    match = CONFIRM_LINK.search(text_body(message))
    assert match, f"No confirmation link in:\n{text_body(message)}"
    return match.group(0)


@dataclass
class Response:
    status: int
    location: str
    text: str
    headers: dict[str, str] = field(default_factory=dict)


class PrivateRedis:
    """A redis-server of a test's own on a free port, to stop and restart."""

    def __init__(self, log_dir: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._log = log_dir / "redis.log"
        self._process: subprocess.Popen | None = None

    def start(self) -> None:
        self._process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no", "--logfile", str(self._log)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_until(self.answers, timeout=10, message=f"redis-server on {self.port}")

    def stop(self) -> None:
        if self._process is not None:
            _end(self._process)
            self._process = None

    def pause(self) -> None:
        """SIGSTOP: connections are still accepted, but nothing is answered."""
        assert self._process is not None
        self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT: it answers again, what it was sent meanwhile included."""
        assert self._process is not None
        self._process.send_signal(signal.SIGCONT)

    def kill(self) -> None:
        """SIGKILL, as a crash: with no persistence, start() brings it back
        empty."""
        assert self._process is not None
        self._process.kill()
        self._process.wait(timeout=5)
        self._process = None

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False


class PrivatePostgres:
    """A PostgreSQL cluster of a test's own, to restart and stop: initdb in a
    temporary folder, trust auth, its own free port, fsync off.

    PostgreSQL refuses to run as root; run by root, the cluster's files and
    processes belong to the ``postgres`` user.
    """

    PG_BIN = Path("/usr/lib/postgresql/15/bin")

    def __init__(self) -> None:
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="campaign-pg-"))
        self.data = self.folder / "data"
        self.log_file = self.folder / "postgres.log"
        self._owner = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
        if self._owner:
            os.chown(self.folder, self._owner.pw_uid, self._owner.pw_gid)
        self._pg(
            "initdb", "--pgdata", str(self.data), "--username", "postgres",
            "--auth", "trust", "--no-sync", "--encoding", "UTF8", "--no-locale",
        )  # fmt: skip
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"port = {self.port}\n"
                "listen_addresses = '127.0.0.1'\n"
                "unix_socket_directories = ''\n"
                "fsync = off\n"
                "full_page_writes = off\n"
                "max_connections = 200\n"
            )

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A new, empty database on this cluster; its URL."""
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def start(self) -> None:
        self._pg_ctl("start", "--log", str(self.log_file))
        wait_until(self.answers, timeout=30, message=f"PostgreSQL on {self.port}")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server; ``fast`` ends open sessions, rolling back."""
        if (self.data / "postmaster.pid").exists():
            self._pg_ctl("stop", "--mode", mode)

    def restart(self, mode: str = "fast") -> None:
        self._pg_ctl("restart", "--mode", mode, "--log", str(self.log_file))
        wait_until(self.answers, timeout=30, message=f"PostgreSQL on {self.port}")

    def remove(self) -> None:
        """Stop the server and delete the cluster's files."""
        self.stop(mode="immediate")
        shutil.rmtree(self.folder, ignore_errors=True)

    def answers(self) -> bool:
        try:
            psycopg.connect(self.url(), connect_timeout=1).close()
        except psycopg.Error:
            return False
        return True

    def log(self) -> str:
        return self.log_file.read_text(errors="replace")

    def _pg_ctl(self, action: str, *options: str) -> None:
        self._pg("pg_ctl", action, "--pgdata", str(self.data), "--wait", *options)

    def _pg(self, program: str, *args: str) -> None:
        owner = self._owner
        done = subprocess.run(
            [str(self.PG_BIN / program), *args],
            cwd=self.folder,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
            # Its own session: a Ctrl-C meant for pytest is not the server's.
            start_new_session=True,
            user=owner.pw_uid if owner else None,
            group=owner.pw_gid if owner else None,
            extra_groups=[] if owner else None,
        )
        if done.returncode:
            raise AssertionError(
                f"{program} {' '.join(args)} failed ({done.returncode}):\n"
                f"{done.stdout}{done.stderr}"
            )


@dataclass(eq=False)
class Stack:
    """The site, a Celery worker and Celery beat, as separate processes.

    Several stacks on one database and Redis are several hosts of one site,
    each with its own port, processes and per-process caches. Beat is a
    singleton in production: ``beat=False`` on every host but one.
    """

    redis_url: str
    database_url: str
    smtp_port: int
    log_dir: Path
    web_workers: int = 2
    name: str = "site"
    beat: bool = True
    # Settings of this stack's own, over those environment() sets.
    env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def is_running(self) -> bool:
        return bool(self.processes)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> dict[str, str]:
        """What production would set; nothing else reaches the processes."""
        inherited = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("PYTEST", "CELERY_", "DJANGO_"))
        }
        production = {
            "CAMPAIGN_ENV": "development",
            "DEBUG": "0",
            "HTTPS": "0",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(self.smtp_port),
            "SITE_URL": self.url,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "OUTBOX_REQUEUE_AFTER": "2",
            "OUTBOX_SWEEP_INTERVAL": "1",
            "FOLLOW_UP_SWEEP_INTERVAL": "1",
            "FOLLOW_UP_STALE_SENDING_AFTER": "3",
            "FOLLOW_UP_BATCH_SIZE": "50",
            "FOLLOW_UP_RATE": "200",
            # Letter digests are made as soon as letters wait, whatever the hour.
            "LETTER_DIGEST_HOUR": "0",
            "PYTHONUNBUFFERED": "1",
            # As behind a load balancer: requests may say which client they
            # come for (request's client_ip), as a crowd comes from many.
            "TRUSTED_PROXY_COUNT": "1",
            "ABUSE_BLOCKLIST_CACHE_SECONDS": str(BLOCKLIST_CACHE_SECONDS),
        }
        return inherited | production | self.env

    def start(self) -> None:
        self._spawn(
            "web",
            [BIN / "gunicorn", "campaign.wsgi", "--bind", f"127.0.0.1:{self.port}"]
            + ["--workers", str(self.web_workers), "--graceful-timeout", "5"]
            + ["--control-socket", str(self.log_dir / "gunicorn.ctl")],
        )
        self._spawn(
            "worker",
            [BIN / "celery", "-A", "campaign", "worker", "--loglevel", "INFO"]
            + ["--queues", "transactional,default", "--concurrency", "2"]
            + ["--hostname", f"{self.name}@%h"],
        )
        self._spawn(
            "bulk",
            [BIN / "celery", "-A", "campaign", "worker", "--loglevel", "INFO"]
            + ["--queues", "bulk", "--concurrency", "2"]
            + ["--hostname", f"{self.name}-bulk@%h"],
        )
        if self.beat:
            schedule = self.log_dir / "celerybeat-schedule"
            self._spawn(
                "beat",
                [BIN / "celery", "-A", "campaign", "beat", "--loglevel", "INFO"]
                + ["--schedule", str(schedule)],
            )
        wait_until(
            self._web_answers, timeout=60, message=lambda: "gunicorn\n" + self.logs()
        )
        for worker in ("worker", "bulk"):
            wait_until(
                lambda worker=worker: " ready." in self._log(worker),
                timeout=60,
                message=lambda: "the Celery workers\n" + self.logs(),
            )

    def stop(self) -> None:
        for process in self.processes.values():
            _end(process)
        self.processes.clear()

    def manage(self, *args: str) -> str:
        """Run a manage.py command with this stack's settings; its output."""
        done = subprocess.run(
            [str(BIN / "python"), "manage.py", *args],
            cwd=settings.BASE_DIR,
            env=self.environment(),
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, (
            f"manage.py {' '.join(args)} failed:\n{done.stdout}{done.stderr}"
        )
        return done.stdout

    def request(
        self,
        method: str,
        path: str,
        form: dict[str, str] | None = None,
        *,
        forwarded_for: str = "",
        cookies: dict[str, str] | None = None,
    ) -> Response:
        """One request without following redirects, as a script sends it.

        ``forwarded_for`` is the X-Forwarded-For header as the load balancer
        (the one trusted proxy) passes it on: its last entry is the client.
        ``cookies`` are sent, and updated with those the response sets.
        """
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
            if forwarded_for:
                headers["X-Forwarded-For"] = forwarded_for
            if cookies:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
            body = urlencode(form or {}) if method == "POST" else None
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            if cookies is not None:
                for header in response.headers.get_all("Set-Cookie") or []:
                    for name, morsel in SimpleCookie(header).items():
                        if morsel["max-age"] == "0":
                            cookies.pop(name, None)  # deleted, e.g. at logout
                        else:
                            cookies[name] = morsel.value
            return Response(
                status=response.status,
                location=response.getheader("Location", ""),
                text=response.read().decode(),
                headers=dict(response.getheaders()),
            )
        finally:
            connection.close()

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(
        self, path: str, form: dict[str, str] | None = None, *, forwarded_for: str = ""
    ) -> Response:
        return self.request("POST", path, form, forwarded_for=forwarded_for)

    def queued_tasks(self) -> int:
        """How many task messages wait in the broker's queues."""
        broker = redis.Redis.from_url(self.redis_url)
        return sum(
            broker.llen(key)
            for queue in ("transactional", "default", "bulk")
            for key in broker.scan_iter(f"{queue}*")
            if broker.type(key) == b"list"
        )

    def children(self, name: str) -> list[int]:
        """The pids of a process's children, e.g. a Celery worker's pool."""
        parent = self.processes[name].pid
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # it ended meanwhile
            if int(stat[stat.rindex(")") + 2 :].split()[1]) == parent:
                pids.append(int(entry.name))
        return pids

    def log(self, name: str) -> str:
        return self._log(name)

    def logs(self, lines: int = 30) -> str:
        """The end of every process's log, for failure messages."""
        return "\n".join(
            f"--- {name} ---\n" + "\n".join(self._log(name).splitlines()[-lines:])
            for name in self.processes
        )

    def _spawn(self, name: str, command: list) -> None:
        log = open(self.log_dir / f"{name}.log", "w")
        self.processes[name] = subprocess.Popen(
            [str(part) for part in command],
            cwd=settings.BASE_DIR,
            env=self.environment(),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()

    def _log(self, name: str) -> str:
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def _web_answers(self) -> bool:
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise AssertionError(f"{name} exited early\n{self.logs()}")
        try:
            return self.get("/healthz").status == 200
        except OSError:
            return False


class StaffBrowser:
    """A staff member's browser in the admin, its cookies sent with every
    request to whichever host it asks. Sessions live in the database: logged
    in on one host (password and TOTP code), it is logged in on every host."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def log_in(self, stack: Stack, *, username: str, password: str, code: str) -> None:
        login, index = reverse("admin:login"), reverse("admin:index")
        self.get(stack, login)  # for the CSRF cookie
        form = {"username": username, "password": password, "otp_token": code}
        response = self.post(stack, login, form | {"next": index})
        assert (response.status, response.location) == (302, index), (
            f"Login refused ({response.status})\n{stack.logs()}"
        )

    def get(self, stack: Stack, path: str) -> Response:
        return stack.request("GET", path, cookies=self.cookies)

    def post(self, stack: Stack, path: str, form: dict[str, str]) -> Response:
        # Django takes the cookie's secret itself as the form's token too.
        token = {"csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}
        return stack.request("POST", path, form | token, cookies=self.cookies)


def _end(process: subprocess.Popen) -> None:
    """Stop a process and its children (its own session), gently first."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)  # whatever is left of the group
    except ProcessLookupError:
        pass
    process.wait(timeout=5)
