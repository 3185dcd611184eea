"""Driving the mail server one message at a time, for follow-up batches.

Django's SMTP backend opens and closes the connection; the transaction of each
message is run here, so that a delivery can be committed as sent between the
message's data and its end-of-data mark (see actions.followups.sending).
"""

import smtplib
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.mail import mailers
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend

from actions.followups.rendering import Email, MessageWriter, django_message

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


class SmtpTransport:
    """Django's SMTP backend's connection, driven one transaction at a time so
    that the row is committed between the message's data and its end."""

    def __init__(self, backend: SmtpBackend) -> None:
        self.backend = backend
        self.writer = MessageWriter(settings.DEFAULT_FROM_EMAIL)

    def send(self, *, to: str, email: Email, commit: Callable[[], bool]) -> None:
        """Raises Cancelled, Refused or ConnectionLost."""
        recipient = to if to.isascii() else self.backend.prep_address(to)
        message = self.writer.write(email, to=recipient)
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
        if not commit():
            self.abandon()  # the only way out of DATA without delivering
            raise Cancelled
        try:
            conn.send(b".\r\n")
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
            sock = self.backend.connection.sock
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn = self.backend.connection
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

    def __init__(self, backend: object) -> None:
        self.backend = backend

    def send(self, *, to: str, email: Email, commit: Callable[[], bool]) -> None:
        if not commit():
            raise Cancelled
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
    if isinstance(backend, SmtpBackend):
        transport = SmtpTransport(backend)
    else:
        transport = BackendTransport(backend)
    try:
        yield transport
    finally:
        transport.close()
