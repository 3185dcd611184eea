"""Driving the mail server one message at a time, for bulk email (follow-ups
and letters).

Django's SMTP backend opens and closes the connection; the transaction of each
message is run here, so that a delivery can be committed as sent between the
message's data and its end-of-data mark (see actions.core.bulk.marks).
"""

import email.policy
import smtplib
import socket
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Protocol

from django.core.mail import mailers
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend

from actions.core.mail import (
    DOT_AT_LINE_START,
    Message,
    PrebuiltMessage,
    Written,
    prebuilt,
    writer,
)

# smtplib's errors are OSErrors too: a refused login or connection counts as
# the server being unreachable.
CONNECTION_ERRORS = (smtplib.SMTPException, OSError)


class Cancelled(Exception):
    """The delivery stopped being this worker's to send (unsubscribed, taken
    back by the sweep)."""


class Refused(Exception):
    """The server refused the message; ``committed``: it was marked sent."""

    def __init__(self, code: int, reply: str, *, committed: bool) -> None:
        super().__init__(f"{code} {reply}")
        self.code, self.reply, self.committed = code, reply, committed


# The longest wait before trying a bulk email refused for now again.
MAX_RETRY_DELAY = timedelta(hours=1)


def retry_delay(attempts: int) -> timedelta:
    """How long a bulk email the server refused for now (4xx: greylisting, a
    full mailbox, a rate limit) waits before its next try, after ``attempts``
    tries: one minute after the first, then twice as long each time, at most
    an hour. Trying again at once would spend its tries in seconds."""
    return min(timedelta(seconds=30 * 2**attempts), MAX_RETRY_DELAY)


class ConnectionLost(Exception):
    """The connection broke; ``committed``: after the row was marked sent."""

    def __init__(self, *, committed: bool) -> None:
        super().__init__("connection lost")
        self.committed = committed


class SentMark(Protocol):
    """Records one delivery as sent, in three steps around the end-of-data mark."""

    def hold(self) -> bool:
        """Mark the delivery sent, not yet committed; False if it is no longer
        this worker's to send."""

    def commit(self) -> None:
        """Send the commit on its way; may return before the database answers."""

    def wait(self) -> None:
        """Wait for the commit's answer; raises if it failed."""


class Unmarked:
    """For an email that is not a delivery (a campaigner's test)."""

    def hold(self) -> bool:
        return True

    def commit(self) -> None:
        pass

    def wait(self) -> None:
        pass


class SmtpTransport:
    """Django's SMTP backend's connection, driven one transaction at a time so
    that the row is committed between the message's data and its end."""

    def __init__(self, backend: SmtpBackend) -> None:
        self.backend = backend
        self.writer = writer()

    def send(self, *, to: str, message: Message, mark: SentMark) -> None:
        """Raises Cancelled, Refused or ConnectionLost."""
        recipient = self.address(to)
        self.send_data(
            to=recipient, data=[self.writer.write(message, to=recipient)], mark=mark
        )

    def address(self, to: str) -> str:
        """The recipient's address as the envelope and the To header take it."""
        return to if to.isascii() else self.backend.prep_address(to)

    def send_data(self, *, to: str, data: Iterable[bytes], mark: SentMark) -> None:
        """Send a message written in parts (each ending in CRLF), for one too
        big to hold in memory at once. Raises Cancelled, Refused or
        ConnectionLost."""
        recipient = self.address(to)
        try:
            conn = self._connection()
            # Validated ASCII addresses: smtplib's quoting would parse each
            # again, a tenth of a millisecond an email.
            _expect(
                conn, conn.docmd("mail", f"FROM:<{self.writer.envelope_from}>"), {250}
            )
            _expect(conn, conn.docmd("rcpt", f"TO:<{recipient}>"), {250, 251})
            _expect(conn, conn.docmd("data"), {354})
            for part in data:
                conn.send(DOT_AT_LINE_START.sub(b"..", part))
        except CONNECTION_ERRORS as exc:
            raise ConnectionLost(committed=False) from exc
        if not mark.hold():
            self.abandon()  # the only way out of DATA without delivering
            raise Cancelled
        # The commit and the end-of-data mark leave back to back, the commit
        # first: a process killed between the two writes loses this email
        # (the server discards a message without its end), one killed after
        # them has sent it and recorded so. Never twice.
        mark.commit()
        try:
            conn.send(b".\r\n")
        except CONNECTION_ERRORS as exc:
            mark.wait()
            raise ConnectionLost(committed=True) from exc
        mark.wait()
        try:
            code, reply = conn.getreply()
        except CONNECTION_ERRORS as exc:
            raise ConnectionLost(committed=True) from exc
        if code != 250:
            raise Refused(code, reply.decode(errors="replace"), committed=True)

    def _connection(self) -> smtplib.SMTP:
        if self.backend.connection is None:
            self.backend.open()
            # The data and its final dot are two writes before one read: with
            # Nagle's algorithm the dot would wait for the server's delayed
            # ACK, 40 ms an email.
            # open() has connected it; mypy keeps the None narrowed above.
            sock = self.backend.connection.sock  # type: ignore[attr-defined]
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn = self.backend.connection
        assert conn is not None  # open() above, or an earlier batch's connection
        conn.ehlo_or_helo_if_needed()
        return conn

    def abandon(self) -> None:
        """Drop the connection without QUIT; the next send opens another."""
        conn, self.backend.connection = self.backend.connection, None
        if conn is not None:
            conn.close()

    def close(self) -> None:
        try:
            self.backend.close()
        except CONNECTION_ERRORS:
            self.abandon()


def _expect(conn: smtplib.SMTP, reply: tuple[int, bytes], codes: set[int]) -> None:
    code, text = reply
    if code in codes:
        return
    try:
        conn.rset()
    except CONNECTION_ERRORS:
        pass  # a 421 closes the connection; the next send reconnects
    raise Refused(code, text.decode(errors="replace"), committed=False)


class BackendTransport:
    """Any other mail backend (the console in development, tests' outbox)."""

    def __init__(self, backend: BaseEmailBackend) -> None:
        self.backend = backend

    def send(self, *, to: str, message: Message, mark: SentMark) -> None:
        self._send(prebuilt(message, to=to), mark=mark)

    def send_data(self, *, to: str, data: Iterable[bytes], mark: SentMark) -> None:
        # Backends other than SMTP (the console, tests) take a whole message.
        written = Written(b"".join(data), email.policy.default)
        subject = str(written["Subject"])
        content = Message(subject, written.get_content(), "")
        self._send(PrebuiltMessage(content, to=to, data=written.data), mark=mark)

    def _send(self, message: PrebuiltMessage, *, mark: SentMark) -> None:
        if not mark.hold():
            raise Cancelled
        mark.commit()
        mark.wait()
        try:
            self.backend.send_messages([message])
        except Exception as exc:  # not the network: retrying cannot help
            raise Refused(0, repr(exc), committed=True) from exc

    def abandon(self) -> None:
        pass

    def close(self) -> None:
        pass


Transport = SmtpTransport | BackendTransport


def send_one(
    transport: Transport, *, to: str, message: Message, mark: SentMark
) -> "bool | Refused":
    """Send one email; if the connection broke first, once more on a new one.
    True: sent (or it may have arrived: it is never sent again); False: it
    stopped being this worker's; a Refused: the server refused it. Raises
    ConnectionLost when the second attempt fails too: the server is down."""
    try:
        return _attempt(transport, to=to, message=message, mark=mark)
    except ConnectionLost:
        transport.abandon()
        return _attempt(transport, to=to, message=message, mark=mark)


def _attempt(
    transport: Transport, *, to: str, message: Message, mark: SentMark
) -> "bool | Refused":
    try:
        transport.send(to=to, message=message, mark=mark)
    except Cancelled:
        return False
    except Refused as exc:
        return exc
    except ConnectionLost as exc:
        if not exc.committed:
            raise
        transport.abandon()  # it may have arrived, so it is never sent again
    return True


@contextmanager
def open_transport() -> Iterator[Transport]:
    """One mail connection for a batch, closed at the end."""
    backend = mailers.default
    transport: Transport
    if isinstance(backend, SmtpBackend):
        transport = SmtpTransport(backend)
    else:
        transport = BackendTransport(backend)
    try:
        yield transport
    finally:
        transport.close()
