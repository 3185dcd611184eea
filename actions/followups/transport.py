"""Driving the mail server one message at a time, for follow-up batches.

Django's SMTP backend opens and closes the connection; the transaction of each
message is run here, so that a delivery can be committed as sent between the
message's data and its end-of-data mark (see actions.followups.sending).
"""

import smtplib
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from django.core.mail import mailers
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend

from actions.core.mail import writer
from actions.followups.rendering import Email, as_message, django_message

# smtplib's errors are OSErrors too: a refused login or connection counts as
# the server being unreachable.
CONNECTION_ERRORS = (smtplib.SMTPException, OSError)


class Cancelled(Exception):
    """The delivery stopped being this worker's to send (unsubscribed)."""


class Refused(Exception):
    """The server refused the message; ``committed``: it was marked sent."""

    def __init__(self, code: int, reply: str, *, committed: bool) -> None:
        super().__init__(f"{code} {reply}")
        self.code, self.reply, self.committed = code, reply, committed


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

    def send(self, *, to: str, email: Email, mark: SentMark) -> None:
        """Raises Cancelled, Refused or ConnectionLost."""
        recipient = to if to.isascii() else self.backend.prep_address(to)
        message = self.writer.write(as_message(email), to=recipient)
        try:
            conn = self._connection()
            # Validated ASCII addresses: smtplib's quoting would parse each
            # again, a tenth of a millisecond an email.
            _expect(
                conn, conn.docmd("mail", f"FROM:<{self.writer.envelope_from}>"), {250}
            )
            _expect(conn, conn.docmd("rcpt", f"TO:<{recipient}>"), {250, 251})
            _expect(conn, conn.docmd("data"), {354})
            conn.send(message)
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

    def send(self, *, to: str, email: Email, mark: SentMark) -> None:
        if not mark.hold():
            raise Cancelled
        mark.commit()
        mark.wait()
        try:
            self.backend.send_messages([django_message(email, to=to)])
        except Exception as exc:  # not the network: retrying cannot help
            raise Refused(0, repr(exc), committed=True) from exc

    def abandon(self) -> None:
        pass

    def close(self) -> None:
        pass


@contextmanager
def open_transport() -> Iterator["SmtpTransport | BackendTransport"]:
    """One mail connection for a batch, closed at the end."""
    backend = mailers.default
    transport: SmtpTransport | BackendTransport
    if isinstance(backend, SmtpBackend):
        transport = SmtpTransport(backend)
    else:
        transport = BackendTransport(backend)
    try:
        yield transport
    finally:
        transport.close()
