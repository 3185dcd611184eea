"""Sending follow-ups: claim a batch of deliveries, send it over one SMTP
connection at the shared rate, record each outcome.

Never twice, even when a worker dies mid-batch: each delivery is marked sent
in the database before the end-of-data mark of its SMTP transaction. A worker
killed before that commit leaves a partial message, which the server must
discard (RFC 5321, 4.1.1.4), and a row the sweeper queues again; killed
after it, the row stays sent. The one email that can be lost is the one
whose worker dies between that commit and the next write, microseconds later.
"""

import logging
import smtplib
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import mailers
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from actions.followups import rendering, services, throttle
from actions.followups.models import FollowUp, FollowUpDelivery
from actions.followups.rendering import Email, MessageWriter

logger = logging.getLogger(__name__)

Delivery = FollowUpDelivery.State
# smtplib's errors are OSErrors too: a refused login or connection counts as
# the server being unreachable.
CONNECTION_ERRORS = (smtplib.SMTPException, OSError)
MAX_BACKOFF = 3600


@dataclass(frozen=True)
class Claimed:
    """A delivery this worker holds, with what its email needs."""

    pk: int
    attempts: int  # the claim's fencing token
    signature_id: int
    email: str
    first_name: str


@dataclass(frozen=True)
class Batch:
    follow_up: FollowUp
    rows: list[Claimed]


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


def send_batch(follow_up_id: int) -> int:
    """Claim and send one batch of a follow-up, enqueueing the next batch first
    so that it is claimed while this one sends; with nothing left to claim the
    chain ends. Returns how many were sent. Repeat-safe: claims are exclusive.
    """
    size = settings.FOLLOW_UP_BATCH_SIZE
    batch = claim_batch(follow_up_id, size=size)
    if batch is None:
        services.finish_if_done(follow_up_id)
        return 0
    services.enqueue_batches(follow_up_id, 1)
    sent = deliver_batch(batch)
    services.finish_if_done(follow_up_id)  # if this was the last batch
    return sent


def claim_batch(follow_up_id: int, *, size: int) -> Batch | None:
    """Take up to ``size`` due deliveries of a sending follow-up, in one
    SELECT ... FOR UPDATE SKIP LOCKED and one UPDATE; None if there are none.

    Rows whose signature stopped being a recipient since they were queued
    (unsubscribed, invalidated) are cancelled instead.
    """
    follow_up = (
        FollowUp.objects.select_related("petition__statement")
        .filter(pk=follow_up_id, state=FollowUp.State.SENDING)
        .first()
    )
    if follow_up is None:
        return None
    now = timezone.now()
    with transaction.atomic():
        due = (
            FollowUpDelivery.objects.select_for_update(skip_locked=True)
            .filter(
                follow_up=follow_up, state=Delivery.QUEUED, next_attempt_at__lte=now
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        ids = list(due[:size])
        if not ids:
            return None
        FollowUpDelivery.objects.filter(pk__in=ids).update(
            state=Delivery.SENDING, sending_at=now, attempts=F("attempts") + 1
        )
        FollowUp.objects.filter(pk=follow_up.pk).update(batch_claimed_at=now)
    return Batch(follow_up, _still_recipients(follow_up, ids))


def _still_recipients(follow_up: FollowUp, ids: list[int]) -> list[Claimed]:
    claimed = FollowUpDelivery.objects.filter(pk__in=ids, state=Delivery.SENDING)
    rows = list(claimed.values_list("pk", "attempts", "signature_id").order_by("pk"))
    eligible = services.recipients(follow_up).filter(
        pk__in=[signature_id for _, _, signature_id in rows]
    )
    people = {
        pk: (email, first_name)
        for pk, email, first_name in eligible.values_list("pk", "email", "first_name")
    }
    gone = [pk for pk, _, signature_id in rows if signature_id not in people]
    if gone:
        services.cancel_deliveries(FollowUpDelivery.objects.filter(pk__in=gone))
    return [
        Claimed(pk, attempts, signature_id, *people[signature_id])
        for pk, attempts, signature_id in rows
        if signature_id in people
    ]


def deliver_batch(batch: Batch) -> int:
    """Send a claimed batch over one connection at the shared rate; record each
    outcome. When the mail server is unreachable, the rest of the batch goes
    back to the queue with a backoff. Returns how many were sent."""
    follow_up = batch.follow_up
    draft = rendering.render_draft(
        follow_up, count=follow_up.petition.confirmed_count()
    )
    outcomes = _Outcomes()
    done = 0
    try:
        with _transport() as transport:
            for chunk in _chunks(batch.rows, throttle.chunk_size()):
                throttle.wait_for_turn(len(chunk))
                for row in chunk:
                    email = draft.personalise(
                        first_name=row.first_name,
                        token=services.make_unsubscribe_token(row.signature_id),
                    )
                    _send_one(transport, outcomes, row, email)
                    done += 1
    except ConnectionLost as exc:
        logger.warning("Follow-up %s: mail server unreachable (%r)", follow_up.pk, exc)
        outcomes.release(batch.rows[done:], error=repr(exc.__cause__ or exc))
    return outcomes.sent


def _send_one(
    transport: "_SmtpTransport | _BackendTransport",
    outcomes: "_Outcomes",
    row: Claimed,
    email: Email,
) -> None:
    """Send one email; if the connection broke first, once more on a new one.
    Raises ConnectionLost when that fails too: the server is down."""
    try:
        _attempt(transport, outcomes, row, email)
    except ConnectionLost:
        transport.abandon()
        _attempt(transport, outcomes, row, email)


def _attempt(
    transport: "_SmtpTransport | _BackendTransport",
    outcomes: "_Outcomes",
    row: Claimed,
    email: Email,
) -> None:
    try:
        transport.send(
            to=row.email, email=email, commit=lambda: outcomes.mark_sent(row)
        )
    except Cancelled:
        return
    except Refused as exc:
        outcomes.refused(row, exc)
        return
    except ConnectionLost as exc:
        if not exc.committed:
            raise
        transport.abandon()  # it may have arrived, so it is never sent again
    outcomes.sent += 1


def _chunks(rows: list[Claimed], size: int) -> Iterator[list[Claimed]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


class _Outcomes:
    """Writes each delivery's outcome; the sent mark is the hot path (raw SQL)."""

    def __init__(self) -> None:
        self.sent = 0
        table = connection.ops.quote_name(FollowUpDelivery._meta.db_table)
        self._mark_sent_sql = (
            f"UPDATE {table} SET state = %s, sent_at = %s "
            "WHERE id = %s AND state = %s AND attempts = %s"
        )

    def mark_sent(self, row: Claimed) -> bool:
        """Commit the row as sent if this worker still holds it."""
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(
                self._mark_sent_sql,
                [Delivery.SENT, now, row.pk, Delivery.SENDING, row.attempts],
            )
            return cursor.rowcount == 1

    def refused(self, row: Claimed, exc: Refused) -> None:
        held = Delivery.SENT if exc.committed else Delivery.SENDING
        rows = FollowUpDelivery.objects.filter(
            pk=row.pk, state=held, attempts=row.attempts
        )
        error = str(exc)[:1000]
        now = timezone.now()
        if 400 <= exc.code < 500 and row.attempts < settings.FOLLOW_UP_MAX_ATTEMPTS:
            backoff = min(30 * 2**row.attempts, MAX_BACKOFF)
            rows.update(
                state=Delivery.QUEUED,
                sent_at=None,
                next_attempt_at=now + timedelta(seconds=backoff),
                last_error=error,
            )
        else:
            rows.update(
                state=Delivery.FAILED, sent_at=None, failed_at=now, last_error=error
            )

    def release(self, rows: list[Claimed], *, error: str) -> None:
        """Back to the queue, not counted as a failure: the server was down."""
        FollowUpDelivery.objects.filter(
            pk__in=[row.pk for row in rows], state=Delivery.SENDING
        ).update(
            state=Delivery.QUEUED,
            next_attempt_at=timezone.now() + timedelta(seconds=60),
            last_error=error[:1000],
        )


class _SmtpTransport:
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


class _BackendTransport:
    """Any other mail backend (the console in development, tests' outbox)."""

    def __init__(self, backend: object) -> None:
        self.backend = backend

    def send(self, *, to: str, email: Email, commit: Callable[[], bool]) -> None:
        if not commit():
            raise Cancelled
        try:
            self.backend.send_messages([rendering.django_message(email, to=to)])
        except Exception as exc:  # not the network: retrying cannot help
            raise Refused(0, repr(exc), committed=True) from exc

    def abandon(self) -> None:
        pass

    def close(self) -> None:
        pass


@contextmanager
def _transport() -> Iterator["_SmtpTransport | _BackendTransport"]:
    """One mail connection for a batch, closed at the end."""
    backend = mailers.default
    if isinstance(backend, SmtpBackend):
        transport = _SmtpTransport(backend)
    else:
        transport = _BackendTransport(backend)
    try:
        yield transport
    finally:
        transport.close()


# Previews and tests


def sample(follow_up: FollowUp) -> tuple[str, int | None]:
    """A first name to preview with: the first recipient's, else a stand-in."""
    first = (
        services.recipients(follow_up)
        .order_by("pk")
        .values_list("first_name", "pk")
        .first()
    )
    return first if first else (gettext("Alex"), None)


def preview(follow_up: FollowUp) -> Email:
    """The follow-up as its first recipient would get it, with links that
    unsubscribe nobody."""
    first_name, _ = sample(follow_up)
    draft = rendering.render_draft(
        follow_up, count=follow_up.petition.confirmed_count()
    )
    return draft.personalise(first_name=first_name, token=rendering.PREVIEW_TOKEN)


def send_test(follow_up: FollowUp, *, to_email: str) -> None:
    """Send the preview to a campaigner the way signers get it, marked as a test.

    Raises Refused or ConnectionLost when the mail server does not take it.
    """
    email = preview(follow_up)
    subject = gettext("[Test] %(subject)s") % {"subject": email.subject}
    email = Email(subject, email.text, email.html, email.unsubscribe_url)
    with _transport() as transport:
        transport.send(to=to_email, email=email, commit=lambda: True)
