"""Sending follow-ups: claim a batch of deliveries, send it over one SMTP
connection at the shared rate, record each outcome.

Never twice, even when a worker dies mid-batch: each delivery is marked sent
with the fenced, pipelined commit of actions.core.bulk.marks.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from actions.core.bulk import throttle
from actions.core.bulk.marks import AutocommitMark, PipelinedMark, can_pipeline
from actions.core.bulk.transport import (
    ConnectionLost,
    Refused,
    SentMark,
    Transport,
    open_transport,
    retry_delay,
    send_one,
)
from actions.core.tokens import make_unsubscribe_token
from actions.followups import audience, rendering, services
from actions.followups.models import FollowUp, FollowUpDelivery
from actions.followups.rendering import Email

logger = logging.getLogger(__name__)

Delivery = FollowUpDelivery.State


@dataclass(frozen=True)
class Claimed:
    """A delivery this worker holds, with what its email needs."""

    pk: int
    attempts: int  # the claim's fencing token
    signature_id: int
    email: str
    first_name: str
    language: str


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
        pk: (email, first_name, language)
        for pk, email, first_name, language in eligible.values_list(
            "pk", "email", "first_name", "language"
        )
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
    back to the queue with a backoff. Returns how many were sent.

    Each signer gets it in the language they signed in: rendered once per
    language of the batch, no query more.
    """
    follow_up = batch.follow_up
    count = audience.signature_count(follow_up)
    drafts: dict[str, rendering.Draft] = {}
    outcomes = _Outcomes()
    done = 0
    try:
        with open_transport() as transport:
            for chunk in throttle.chunks(batch.rows):
                throttle.wait_for_turn(len(chunk))
                for row in chunk:
                    if (draft := drafts.get(row.language)) is None:
                        draft = drafts[row.language] = rendering.render_draft(
                            follow_up, count=count, language=row.language
                        )
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
    transport: Transport, outcomes: "_Outcomes", row: Claimed, email: Email
) -> None:
    """Send one email and record its outcome. Raises ConnectionLost when the
    server is down."""
    outcome = send_one(
        transport,
        to=row.email,
        message=rendering.as_message(email),
        mark=outcomes.mark(row),
    )
    if isinstance(outcome, Refused):
        outcomes.refused(row, outcome)
    elif outcome:
        outcomes.sent += 1


class _Outcomes:
    """Writes each delivery's outcome; the sent mark is the hot path (raw SQL)."""

    def __init__(self) -> None:
        self.sent = 0
        self._pipelined = can_pipeline()
        self._table = connection.ops.quote_name(FollowUpDelivery._meta.db_table)
        self._mark_sent_sql = (
            f"UPDATE {self._table} SET state = %s, sent_at = %s "
            "WHERE id = %s AND state = %s AND attempts = %s"
        )

    def mark(self, row: Claimed) -> SentMark:
        if not self._pipelined:
            return AutocommitMark(lambda: self.mark_sent(row))
        # Integers and our own constants only: safe to inline.
        sent, sending = Delivery.SENT.value, Delivery.SENDING.value
        return PipelinedMark(
            f"UPDATE {self._table} SET state = '{sent}', sent_at = now() "
            f"WHERE id = {int(row.pk)} AND state = '{sending}' "
            f"AND attempts = {int(row.attempts)}"
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
            rows.update(
                state=Delivery.QUEUED,
                sent_at=None,
                next_attempt_at=now + retry_delay(row.attempts),
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
