"""Leases on the outbox rows a process is sending.

A claim leases the row for OUTBOX_LEASE s. While the send lasts, a heartbeat
thread of the process renews the lease; beat puts a row whose lease ran out
(its worker died) back in the queue. A live sender never lets its lease run
out while it can still finish: the heartbeat cuts the send's SMTP connection
when the send has lasted OUTBOX_SEND_TIMEOUT, when the row is no longer this
sender's (taken back, or its address erased), and when the lease could not be
renewed and is about to end. So two live workers never send one row, and a
hung SMTP session holds a row for OUTBOX_SEND_TIMEOUT s at most.
"""

import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.db import DatabaseError, connection
from django.utils import timezone

from actions.outbox.models import OutboundEmail

logger = logging.getLogger(__name__)


def lease_end() -> datetime:
    """When a lease taken or renewed now ends."""
    return timezone.now() + timedelta(seconds=settings.OUTBOX_LEASE)


def tick() -> float:
    """How often the heartbeat looks at the rows in flight, in seconds: a
    look costs no query unless a lease is due for renewal."""
    shortest = min(settings.OUTBOX_LEASE, settings.OUTBOX_SEND_TIMEOUT) / 6
    return max(0.1, min(1.0, shortest))


@dataclass(eq=False)
class Held:
    """A row this process is sending, as claimed (its attempt fences it)."""

    pk: int
    attempts: int
    started: float = field(default_factory=time.monotonic)
    renewed: float = field(default_factory=time.monotonic)
    backend: BaseEmailBackend | None = None
    is_cut: bool = False

    def attach(self, backend: BaseEmailBackend) -> None:
        """The connection the send goes over: the one to cut."""
        self.backend = backend
        if self.is_cut:
            self.cut("cut before it started")

    def cut(self, why: str) -> None:
        """End the send: close its socket under it, from any thread."""
        if not self.is_cut:
            logger.warning("Outbox email %s: send cut, %s", self.pk, why)
        self.is_cut = True
        with _lock:
            if _held.get(self.pk) is not self:
                return  # the send ended: the kept connection serves the next
            sock = getattr(getattr(self.backend, "connection", None), "sock", None)
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)  # the sender's recv/send fails
                except OSError:
                    pass  # already closed


_held: dict[int, Held] = {}
_lock = threading.Lock()
_heartbeat_pid = 0


@contextmanager
def holding(outbound: OutboundEmail) -> Iterator[Held]:
    """Keep the lease of a claimed row renewed while the block runs."""
    held = Held(pk=outbound.pk, attempts=outbound.attempts)
    with _lock:
        _held[held.pk] = held
    _start_heartbeat()
    try:
        yield held
    finally:
        with _lock:
            _held.pop(held.pk, None)


def beat() -> None:
    """One heartbeat: renew the leases that need it, cut the sends that must
    stop. Runs in the heartbeat thread; callable directly in tests."""
    now = time.monotonic()
    with _lock:
        in_flight = list(_held.values())
    for held in in_flight:
        if held.is_cut:
            continue
        if now - held.started >= settings.OUTBOX_SEND_TIMEOUT:
            held.cut(f"sending for over {settings.OUTBOX_SEND_TIMEOUT} s")
        elif now - held.renewed >= settings.OUTBOX_LEASE / 3:
            _renew(held, now)


def _renew(held: Held, now: float) -> None:
    try:
        renewed = OutboundEmail.objects.filter(
            pk=held.pk, state=OutboundEmail.State.SENDING, attempts=held.attempts
        ).update(lease_until=lease_end())
    except DatabaseError:
        connection.close()  # the next try reconnects
        # Keep sending while the lease lasts: the database may come back.
        if now - held.renewed >= settings.OUTBOX_LEASE * 2 / 3:
            held.cut("its lease could not be renewed")
        return
    if renewed:
        held.renewed = now
    else:
        held.cut("the row is no longer this sender's")


def _start_heartbeat() -> None:
    """One heartbeat thread per process, started on first use (a forked
    Celery pool process gets its own)."""
    global _heartbeat_pid
    with _lock:
        if _heartbeat_pid == os.getpid():
            return
        _heartbeat_pid = os.getpid()
    threading.Thread(target=_run, name="outbox-lease", daemon=True).start()


def _run() -> None:
    while True:
        time.sleep(tick())
        try:
            beat()
        except Exception:  # the heartbeat must outlive any one failure
            logger.exception("Outbox lease heartbeat failed")
        with _lock:
            idle = not _held
        if idle:
            connection.close()  # this thread's own; held only while renewing
