"""Delivering letters on the bulk queue: at most once, never flooding.

Individual mode: a worker claims a batch of one recipient's queued letters
(within the action's daily cap for that recipient; the rest wait for the
next day) and sends each as its own email over one connection, at the rate
all bulk workers share (actions.core.bulk.throttle). Each letter is marked
sent with the fenced, pipelined commit of actions.core.bulk.marks, so a
worker killed mid-batch sends nothing twice; the sweep puts its claimed
letters back. Digest mode is actions.letters.digests.

Nothing goes to a suppressed address: a recipient that bounced keeps its
letters queued (not lost, not failed) until the suppression is lifted.
"""

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from actions.core.bulk import throttle
from actions.core.bulk.marks import AutocommitMark, PipelinedMark, can_pipeline
from actions.core.bulk.transport import (
    ConnectionLost,
    Refused,
    SentMark,
    open_transport,
    retry_delay,
    send_one,
)
from actions.core.enqueue import enqueue
from actions.core.mail import Message
from actions.letters import emails
from actions.letters.models import Letter, LetterDigest, LetterSettings, Recipient
from actions.suppressions import services as suppressions
from actions.suppressions.models import Suppression

logger = logging.getLogger(__name__)

SEND_BATCH = "actions.tasks.send_letter_batch"
Delivery = LetterSettings.DeliveryMode
State = Letter.Delivery


class ServerDown(Exception):
    """The mail server could not be reached; the batch's letters not sent
    stay claimed until the sweep puts them back."""


@dataclass(frozen=True)
class Claimed:
    """A letter this worker holds, ready to send."""

    pk: int
    attempts: int  # the claim's fencing token
    to: str
    message: Message


@dataclass(frozen=True)
class Batch:
    """Letters of one action to one recipient, claimed together."""

    action_id: int
    recipient_id: int
    rows: list[Claimed]


def day_start(now: datetime | None = None) -> datetime:
    """Midnight of today in the site's zone: daily caps count from it."""
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def send_batch(*, chain: bool = True, prefer: tuple[int, int] | None = None) -> int:
    """Claim and send one batch of letters, of the (action, recipient) pair
    ``prefer`` if it has any. With ``chain``, the next batch (of the same
    pair first) is enqueued before this one is sent, so that another worker
    claims it meanwhile; a chain ends with a claim that finds nothing.
    Without (tasks run in-process), every batch is sent here in turn.
    Returns how many were sent. Repeat-safe: claims are exclusive."""
    sent = 0
    size = settings.FOLLOW_UP_BATCH_SIZE
    while batch := claim_batch(size=size, prefer=prefer):
        prefer = (batch.action_id, batch.recipient_id)
        if chain:
            enqueue_batches(1, prefer=prefer)
        try:
            sent += deliver_batch(batch)
        except ServerDown:
            break
        if chain:
            break
    return sent


def enqueue_batches(count: int, *, prefer: tuple[int, int] | None = None) -> int:
    """Hand batches to the bulk queue; how many could be. A broker outage only
    delays them: the beat job enqueues again."""
    for enqueued in range(count):
        try:
            enqueue(SEND_BATCH, *(prefer or ()))
        except Exception:  # kombu raises several unrelated types when Redis is down
            logger.warning("Broker unavailable; letters wait for the sweep")
            return enqueued
    return count


def queued(mode: str) -> QuerySet[Letter]:
    """Queued letters of the actions delivered in ``mode``, not yet in a digest."""
    return Letter.objects.filter(
        delivery_state=State.QUEUED,
        digest=None,
        action__letter_settings__delivery_mode=mode,
    )


def open_queues(mode: str) -> list[tuple[int, int, int]]:
    """(action, recipient, daily cap) of every recipient with letters queued
    in ``mode`` whose address is not suppressed."""
    pairs = list(
        queued(mode)
        .values_list("action", "recipient", "action__letter_settings__daily_cap")
        .distinct()
    )
    blocked = bounced_recipient_ids({recipient for _, recipient, _ in pairs})
    return [pair for pair in pairs if pair[1] not in blocked]


def bounced_recipient_ids(recipient_ids: set[int]) -> set[int]:
    """Those of these recipients whose address is on the suppression list."""
    addresses = dict(
        Recipient.objects.filter(pk__in=recipient_ids).values_list("pk", "email")
    )
    bounced = suppressions.suppressed_addresses(list(addresses.values()))
    return {pk for pk, email in addresses.items() if email in bounced}


def claim_batch(*, size: int, prefer: tuple[int, int] | None = None) -> "Batch | None":
    """Take up to ``size`` queued letters of one recipient of an individual-
    mode action, within its daily cap: of the pair ``prefer`` if it has any
    (a chain stays with its recipient, without scanning the queue), else of
    any; None if no recipient has any."""
    if prefer is not None and (ids := _claim_preferred(*prefer, size=size)):
        return Batch(*prefer, _loaded(ids))
    queues = open_queues(Delivery.INDIVIDUAL)
    random.shuffle(queues)  # workers start on different recipients
    for action_id, recipient_id, cap in queues:
        if ids := _claim(action_id, recipient_id, cap=cap, size=size):
            return Batch(action_id, recipient_id, _loaded(ids))
    return None


def _claim_preferred(action_id: int, recipient_id: int, *, size: int) -> list[int]:
    cap = (
        LetterSettings.objects.filter(
            action=action_id, delivery_mode=Delivery.INDIVIDUAL
        )
        .values_list("daily_cap", flat=True)
        .first()
    )
    if cap is None or bounced_recipient_ids({recipient_id}):
        return []
    return _claim(action_id, recipient_id, cap=cap, size=size)


def _claim(action_id: int, recipient_id: int, *, cap: int, size: int) -> list[int]:
    now = timezone.now()
    with transaction.atomic():
        _lock(action_id, recipient_id)  # the cap is counted by one claim at a time
        room = cap - _used_today(action_id, recipient_id, now=now)
        if room <= 0:
            return []
        due = (
            Letter.objects.select_for_update(skip_locked=True)
            .filter(
                action=action_id,
                recipient=recipient_id,
                delivery_state=State.QUEUED,
                digest=None,
            )
            .filter(Q(next_attempt_at=None) | Q(next_attempt_at__lte=now))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        ids = list(due[: min(size, room)])
        Letter.objects.filter(pk__in=ids).update(
            delivery_state=State.SENDING, sending_at=now, attempts=F("attempts") + 1
        )
    return ids


def _lock(action_id: int, recipient_id: int) -> None:
    # SQLite takes one writer at a time anyway.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                [f"letters:{action_id}:{recipient_id}"],
            )


def _used_today(action_id: int, recipient_id: int, *, now: datetime) -> int:
    """Letters this recipient was sent today by this action, or that are on
    their way (claimed)."""
    letters = Letter.objects.filter(action=action_id, recipient=recipient_id)
    sent = letters.filter(delivery_state=State.SENT, sent_at__gte=day_start(now))
    return sent.count() + letters.filter(delivery_state=State.SENDING).count()


def _loaded(ids: list[int]) -> list[Claimed]:
    rows = (
        Letter.objects.filter(pk__in=ids, delivery_state=State.SENDING)
        .select_related("signature", "recipient")
        .order_by("pk")
    )
    return [
        Claimed(row.pk, row.attempts, row.recipient.email, emails.letter_message(row))
        for row in rows
    ]


def deliver_batch(batch: Batch) -> int:
    """Send claimed letters over one connection at the shared rate; record
    each outcome. Returns how many were sent; raises ServerDown when the mail
    server is unreachable."""
    outcomes = _Outcomes()
    done = 0
    try:
        with open_transport() as transport:
            for chunk in throttle.chunks(batch.rows):
                throttle.wait_for_turn(len(chunk))
                for row in chunk:
                    mark = outcomes.mark(row)
                    result = send_one(
                        transport, to=row.to, message=row.message, mark=mark
                    )
                    done += 1
                    if isinstance(result, Refused):
                        outcomes.refused(row, result)
                        if result.code >= 500:  # the batch's one recipient
                            release([row.pk for row in batch.rows[done:]])
                            return outcomes.sent
                    elif result:
                        outcomes.sent += 1
    except ConnectionLost as exc:
        # The rest stay claimed: the sweep puts them back after
        # FOLLOW_UP_STALE_SENDING_AFTER, a backoff while the server is down.
        logger.warning("Letters: mail server unreachable (%r)", exc)
        raise ServerDown from exc
    return outcomes.sent


def release(ids: list[int]) -> int:
    """Claimed letters back to the queue, not counted as a failure."""
    return Letter.objects.filter(pk__in=ids, delivery_state=State.SENDING).update(
        delivery_state=State.QUEUED
    )


class _Outcomes:
    """Writes each letter's outcome; the sent mark is fenced by the claim."""

    def __init__(self) -> None:
        self.sent = 0
        self._pipelined = can_pipeline()
        self._table = connection.ops.quote_name(Letter._meta.db_table)

    def mark(self, row: Claimed) -> SentMark:
        if not self._pipelined:
            return AutocommitMark(lambda: self._mark_sent(row))
        # Integers and our own constants only: safe to inline.
        return PipelinedMark(
            f"UPDATE {self._table} SET delivery_state = '{State.SENT.value}', "
            f"sent_at = now() WHERE id = {int(row.pk)} "
            f"AND delivery_state = '{State.SENDING.value}' "
            f"AND attempts = {int(row.attempts)}"
        )

    def _mark_sent(self, row: Claimed) -> bool:
        return (
            Letter.objects.filter(
                pk=row.pk, delivery_state=State.SENDING, attempts=row.attempts
            ).update(delivery_state=State.SENT, sent_at=timezone.now())
            == 1
        )

    def refused(self, row: Claimed, exc: Refused) -> None:
        """A hard refusal suppresses the recipient's address and keeps the
        letter queued; a temporary one queues it again, up to
        FOLLOW_UP_MAX_ATTEMPTS, each after a longer wait (retry_delay); an
        error of the mail backend fails it."""
        held = State.SENT if exc.committed else State.SENDING
        letter = Letter.objects.filter(
            pk=row.pk, delivery_state=held, attempts=row.attempts
        )
        if exc.code >= 500:
            bounced(email=row.to, description=str(exc), event=f"letter-{row.pk}")
        retry = 400 <= exc.code < 500 and row.attempts < settings.FOLLOW_UP_MAX_ATTEMPTS
        if exc.code >= 500:  # waits until the suppression is lifted
            letter.update(delivery_state=State.QUEUED, sent_at=None)
        elif retry:
            letter.update(
                delivery_state=State.QUEUED,
                sent_at=None,
                next_attempt_at=timezone.now() + retry_delay(row.attempts),
            )
        else:
            letter.update(
                delivery_state=State.FAILED,
                sent_at=None,
                failed_at=timezone.now(),
                failure=str(exc)[:300],
            )


def bounced(*, email: str, description: str, event: str) -> None:
    """The mail server refused a recipient's address for good: it goes on
    the suppression list, so its letters wait instead of bouncing again."""
    suppressions.suppress(
        email=email,
        reason=Suppression.Reason.BOUNCED,
        provider="smtp",
        event_id=f"{event}-{timezone.now().timestamp()}",
        description=description[:1000],
    )


# The sweep and the beat job


def requeue_stale() -> int:
    """Put letters and digests a worker claimed long ago and never finished
    back in the queue. Safe even if that worker still runs: the claim count
    fences it off, and a row marked sent before its end of data is never sent
    again. Returns how many were put back."""
    stale_before = timezone.now() - timedelta(
        seconds=settings.FOLLOW_UP_STALE_SENDING_AFTER
    )
    letters = Letter.objects.filter(
        delivery_state=State.SENDING, sending_at__lt=stale_before
    ).update(delivery_state=State.QUEUED)
    digests = LetterDigest.objects.filter(
        state=LetterDigest.State.SENDING, sending_at__lt=stale_before
    ).update(state=LetterDigest.State.QUEUED)
    if letters or digests:
        logger.warning("Letters: %s letters, %s digests put back", letters, digests)
    return letters + digests


def resume_individual() -> int:
    """Start batches when individual-mode letters wait and none is being sent
    (their batches were lost, or a suppression was lifted)."""
    sending = Letter.objects.filter(delivery_state=State.SENDING).exists()
    if sending or not open_queues(Delivery.INDIVIDUAL):
        return 0
    return enqueue_batches(settings.LETTER_PARALLEL_BATCHES)


# What the dashboard shows


@dataclass(frozen=True)
class BouncedRecipient:
    recipient: Recipient
    waiting: int  # letters kept for it


def bounced_recipients(*, action_ids: list[int]) -> list[BouncedRecipient]:
    """Recipients of these actions whose address bounced (is suppressed), with
    the letters waiting for them: "recipient bounced, N letters waiting"."""
    waiting = (
        Letter.objects.filter(
            action__in=action_ids,
            delivery_state__in=[State.QUEUED, State.SENDING],
        )
        .values("recipient")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = {row["recipient"]: row["n"] for row in waiting}
    bounced = bounced_recipient_ids(set(counts))
    recipients = Recipient.objects.filter(pk__in=bounced).order_by("name")
    return [BouncedRecipient(r, counts[r.pk]) for r in recipients]
