"""A signing load: clients signing one petition at once, each signing with an
address of its own, every attempt recorded (when, how long, what answer), so
that what the site acknowledged is known exactly. The fault tests use it, and
so does the fault suite (bench/faults.py).
"""

import http.client
import math
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlencode

import psycopg

# Where a taken signature is sent: "check your email" (actions:check_email).
ACKNOWLEDGED_AT = "/check-email/"
# The signing form as a browser sends it, but for the address and the stamp.
FORM = {"first_name": "Ada", "last_name": "Lovelace", "country": "KH", "website": ""}


@dataclass(frozen=True)
class Attempt:
    address: str
    # time.monotonic() when the attempt was due (its client may start later
    # when every client is still waiting: the wait counts, as a visitor's would).
    started: float
    seconds: float
    # 0: no answer (refused, dropped or timed out).
    status: int
    location: str

    @property
    def acknowledged(self) -> bool:
        """Whether the site said it took the signature."""
        return self.status == 302 and ACKNOWLEDGED_AT in self.location


class SigningLoad:
    """``clients`` threads POST the signing form to ``path`` until stop().

    Attempt n signs as ``<prefix><n>@example.org``. With ``rate`` (attempts
    per second, all clients together) attempts are due at that pace whatever
    the answers take; without it each client signs again as soon as it is
    answered. With ``forwarded_for`` each attempt comes from a client address
    of its own (X-Forwarded-For, for a site behind one trusted proxy), so no
    per-client rate limit is reached.
    """

    def __init__(
        self,
        *,
        port: int,
        path: str,
        form: dict[str, str],
        prefix: str,
        clients: int = 8,
        rate: float = 0.0,
        timeout: float = 30.0,
        forwarded_for: bool = False,
    ) -> None:
        self.port, self.path, self.form, self.prefix = port, path, form, prefix
        self.clients, self.rate, self.timeout = clients, rate, timeout
        self.forwarded_for = forwarded_for
        self._lock = threading.Lock()
        self._issued = 0
        self._attempts: list[Attempt] = []
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._began = 0.0

    def address(self, n: int) -> str:
        return f"{self.prefix}{n}@example.org"

    @property
    def issued(self) -> int:
        """How many attempts were handed to the clients so far (0 to issued-1)."""
        with self._lock:
            return self._issued

    def start(self) -> None:
        self._began = time.monotonic()
        self._threads = [
            threading.Thread(target=self._client, daemon=True)
            for _ in range(self.clients)
        ]
        for thread in self._threads:
            thread.start()

    def stop(self) -> list[Attempt]:
        """Stop signing; wait for the answers still awaited; every attempt."""
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout=self.timeout + 5)
        return self.attempts()

    def attempts(self) -> list[Attempt]:
        with self._lock:
            return list(self._attempts)

    def _client(self) -> None:
        while not self._stopping.is_set():
            with self._lock:
                n = self._issued
                self._issued += 1
            due = self._began + n / self.rate if self.rate else time.monotonic()
            if self._stopping.wait(max(0.0, due - time.monotonic())):
                return
            status, location = self._sign(n)
            attempt = Attempt(
                self.address(n), due, time.monotonic() - due, status, location
            )
            with self._lock:
                self._attempts.append(attempt)

    def _sign(self, n: int) -> tuple[int, str]:
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if self.forwarded_for:
            headers["X-Forwarded-For"] = f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"
        body = urlencode(self.form | {"email": self.address(n)})
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=self.timeout
        )
        try:
            connection.request("POST", self.path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            return response.status, response.getheader("Location", "")
        except OSError:  # refused, reset, timed out
            return 0, ""
        finally:
            connection.close()


def acknowledged(attempts: Iterable[Attempt]) -> set[str]:
    """The addresses whose signing the site acknowledged."""
    return {a.address for a in attempts if a.acknowledged}


def stored(database_url: str, prefix: str) -> set[str]:
    """The addresses of the signatures stored in this database whose address
    starts with ``prefix``."""
    with psycopg.connect(database_url) as conn:
        found = conn.execute(
            "SELECT email FROM actions_signature WHERE email LIKE %s", [prefix + "%"]
        ).fetchall()
    return {email for (email,) in found}


def p99(attempts: Iterable[Attempt], start: float, end: float) -> float | None:
    """The 99th percentile of how long the attempts due between start and end
    (time.monotonic()) took, in seconds; None when there were none."""
    took = sorted(a.seconds for a in attempts if start <= a.started <= end)
    if not took:
        return None
    return took[math.ceil(0.99 * len(took)) - 1]
