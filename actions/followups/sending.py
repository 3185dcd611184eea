"""Sending follow-ups: claim a batch of deliveries, send it over one SMTP
connection at the shared rate, record each outcome.

Never twice, even when a worker dies mid-batch: each delivery is marked sent
in a database transaction whose commit leaves with the end-of-data mark of its
SMTP transaction. A worker killed before the commit leaves a partial message,
which the server must discard (RFC 5321, 4.1.1.4), and a row the sweeper
queues again; killed after both, the row is sent and committed.

On PostgreSQL over TCP on Linux the commit is written first but held back in
the kernel (TCP_CORK) until the end-of-data mark has been written: a worker killed
between the two writes has its socket closed by the kernel, which sends the
commit then. So the email is lost only if the process dies in the
microseconds between the two system calls, with no other process woken in
between to take its CPU. With the commit awaited before the mark (other
databases, platforms without TCP_CORK, a Unix socket, or
FOLLOW_UP_PIPELINED_COMMIT off) the gap is a round trip:
bench/followup_kills.py measures both.
"""

import logging
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import psycopg
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from psycopg import pq

from actions.core.tokens import make_unsubscribe_token
from actions.followups import audience, rendering, services, throttle
from actions.followups.models import FollowUp, FollowUpDelivery
from actions.followups.rendering import Email
from actions.followups.transport import (
    BackendTransport,
    Cancelled,
    ConnectionLost,
    Refused,
    SentMark,
    SmtpTransport,
    open_transport,
)

logger = logging.getLogger(__name__)

Delivery = FollowUpDelivery.State
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


def send_batch(follow_up_id: int, *, chain: bool = True) -> int:
    """Claim and send one batch of a follow-up. With ``chain``, the next batch
    is enqueued first, so that another worker claims it while this one sends;
    without (tasks run in-process), every batch is sent here in turn. Returns
    how many were sent. Repeat-safe: claims are exclusive.
    """
    sent = 0
    size = settings.FOLLOW_UP_BATCH_SIZE
    while (batch := claim_batch(follow_up_id, size=size)) is not None:
        if chain:
            services.enqueue_batches(follow_up_id, 1)
        sent += deliver_batch(batch)
        if chain:
            break
    services.finish_if_done(follow_up_id)  # if that was the last batch
    return sent


def claim_batch(follow_up_id: int, *, size: int) -> Batch | None:
    """Take up to ``size`` due deliveries of a sending follow-up, in one
    SELECT ... FOR UPDATE SKIP LOCKED and one UPDATE; None if there are none.

    Rows whose signature stopped being a recipient since they were queued
    (unsubscribed, invalidated) are cancelled instead.
    """
    follow_up = (
        FollowUp.objects.select_related("petition__statement", "statement", "topic")
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
    eligible = audience.recipients(follow_up).filter(
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
    draft = rendering.render_draft(follow_up, count=audience.signature_count(follow_up))
    outcomes = _Outcomes()
    done = 0
    try:
        with open_transport() as transport:
            for chunk in _chunks(batch.rows, throttle.chunk_size()):
                throttle.wait_for_turn(len(chunk))
                for row in chunk:
                    email = draft.personalise(
                        first_name=row.first_name,
                        token=make_unsubscribe_token(row.signature_id),
                    )
                    _send_one(transport, outcomes, row, email)
                    done += 1
    except ConnectionLost as exc:
        logger.warning("Follow-up %s: mail server unreachable (%r)", follow_up.pk, exc)
        outcomes.release(batch.rows[done:], error=repr(exc.__cause__ or exc))
    return outcomes.sent


def _send_one(
    transport: "SmtpTransport | BackendTransport",
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
    transport: "SmtpTransport | BackendTransport",
    outcomes: "_Outcomes",
    row: Claimed,
    email: Email,
) -> None:
    try:
        transport.send(to=row.email, email=email, mark=outcomes.mark(row))
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
        # Inside a transaction (tests) there is nothing to pipeline; without
        # a cork to hold the commit back (macOS, a Unix socket) the plain
        # order is kept: commit awaited, then the end-of-data mark.
        self._pipelined = (
            settings.FOLLOW_UP_PIPELINED_COMMIT
            and connection.vendor == "postgresql"
            and not connection.in_atomic_block
            and can_cork()
        )
        table = connection.ops.quote_name(FollowUpDelivery._meta.db_table)
        self._mark_sent_sql = (
            f"UPDATE {table} SET state = %s, sent_at = %s "
            "WHERE id = %s AND state = %s AND attempts = %s"
        )

    def mark(self, row: Claimed) -> SentMark:
        if self._pipelined:
            return _PipelinedMark(row)
        return _AutocommitMark(self, row)

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


class _AutocommitMark:
    """Any database: the row is committed sent before the end-of-data mark."""

    def __init__(self, outcomes: _Outcomes, row: Claimed) -> None:
        self.outcomes, self.row = outcomes, row

    def hold(self) -> bool:
        return self.outcomes.mark_sent(self.row)

    def commit(self) -> None:
        pass

    def wait(self) -> None:
        pass


class _PipelinedMark:
    """PostgreSQL: the sent mark in a transaction of its own, on libpq directly
    (one round trip for BEGIN and UPDATE; the COMMIT written, corked, just
    before the SMTP end-of-data mark and let go after it).

    The row lock taken by the UPDATE holds off an unsubscribe or a take-over
    until the commit: neither can slip between the check and the send.
    """

    def __init__(self, row: Claimed) -> None:
        self.row = row
        connection.ensure_connection()
        self.pgconn = connection.connection.pgconn

    def hold(self) -> bool:
        table = connection.ops.quote_name(FollowUpDelivery._meta.db_table)
        # Integers and our own constants only: safe to inline, so that BEGIN
        # and UPDATE travel as one simple query.
        sent, sending = Delivery.SENT.value, Delivery.SENDING.value
        sql = (
            f"BEGIN; UPDATE {table} SET state = '{sent}', sent_at = now() "
            f"WHERE id = {int(self.row.pk)} AND state = '{sending}' "
            f"AND attempts = {int(self.row.attempts)}"
        )
        # Errors come out as Django's, and mark the connection for a check.
        with connection.wrap_database_errors:
            result = self.pgconn.exec_(sql.encode())
            if result.status != pq.ExecStatus.COMMAND_OK:
                self._rollback()
                raise psycopg.DatabaseError(_pq_error(result))
            if result.command_tuples != 1:
                self._rollback()
                return False
            return True

    def commit(self) -> None:
        with connection.wrap_database_errors:
            # Held in the kernel: writing it does not wake the database's
            # process, which could take this one's CPU before the next write.
            _cork(self.pgconn.socket, True)
            self.pgconn.send_query(b"COMMIT")
            while self.pgconn.flush():  # 1: not all of it is written yet
                pass

    def wait(self) -> None:
        with connection.wrap_database_errors:
            _cork(self.pgconn.socket, False)  # the commit leaves now
            failed = None
            while (result := self.pgconn.get_result()) is not None:
                if result.status != pq.ExecStatus.COMMAND_OK:
                    failed = result
            if failed is not None:
                raise psycopg.DatabaseError(_pq_error(failed))

    def _rollback(self) -> None:
        if self.pgconn.transaction_status != pq.TransactionStatus.IDLE:
            self.pgconn.exec_(b"ROLLBACK")


def can_cork() -> bool:
    """Whether this platform can hold the commit back on the database's
    socket: TCP_CORK (Linux) on a TCP connection."""
    if not hasattr(socket, "TCP_CORK"):
        return False
    connection.ensure_connection()
    sock = socket.socket(fileno=connection.connection.pgconn.socket)
    try:
        return sock.family in (socket.AF_INET, socket.AF_INET6)
    finally:
        sock.detach()  # the descriptor stays libpq's


def _cork(fd: int, on: bool) -> None:
    """Hold back (or let go) what is written to the database's TCP socket."""
    sock = socket.socket(fileno=fd)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, int(on))
    finally:
        sock.detach()  # the descriptor stays libpq's


def _pq_error(result: "pq.abc.PGresult") -> str:
    return result.error_message.decode(errors="replace") or "no answer"
