"""The outbox as a workflow: write a row, hand it to Celery, sweep lost ones.

A row is written in the transaction that decides the email, and its task is
enqueued only after that commits; the beat sweeper enqueues rows whose task
was lost (broker down), so nothing acknowledged is lost.
"""

import logging
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from actions.core.enqueue import enqueue
from actions.models import Signature
from actions.outbox import messages
from actions.outbox.models import OutboundEmail

logger = logging.getLogger(__name__)

SEND_EMAIL = "actions.tasks.send_email"
ERASED = "erased"
NOT_SENT = "Not sent: the address was erased."


def queue_email(
    *,
    kind: str,
    to_email: str,
    signature: Signature | None = None,
    language: str = "",
) -> OutboundEmail:
    """Write an outbox row and enqueue its delivery once the transaction
    commits. It is written in ``language``, by default its signature's."""
    if not language:
        language = signature.language if signature else settings.LANGUAGE_CODE
    outbound = OutboundEmail.objects.create(
        kind=kind, to_email=to_email, signature=signature, language=language
    )
    transaction.on_commit(partial(enqueue_email, outbound.pk), robust=True)
    return outbound


def queue_confirmations(signatures: list[Signature]) -> list[OutboundEmail]:
    """One confirmation email per signature, in one INSERT; each enqueued once
    the transaction commits."""
    emails = OutboundEmail.objects.bulk_create(
        OutboundEmail(
            kind=OutboundEmail.Kind.CONFIRM,
            to_email=s.email,
            signature=s,
            language=s.language,
        )
        for s in signatures
    )
    for email in emails:
        transaction.on_commit(partial(enqueue_email, email.pk), robust=True)
    return emails


def enqueue_email(outbound_email_id: int) -> bool:
    """Hand a row to Celery. False if the broker is unreachable.

    The row is already committed, so a broker outage only delays the email:
    the beat sweeper enqueues it again. Signing must never fail on this.
    """
    try:
        enqueue(SEND_EMAIL, outbound_email_id)
    except Exception:  # kombu raises several unrelated types when Redis is down
        logger.warning(
            "Broker unavailable; email %s left for the sweeper", outbound_email_id
        )
        return False
    return True


def requeue_stale_emails() -> int:
    """Enqueue outbox rows whose task was lost; return how many.

    Rows due for a while and still queued never reached a worker (broker down
    at signing time, or the broker lost them). Rows "sending" whose lease ran
    out belong to a worker that died mid-send and go back to the queue.
    Repeat-safe: a worker claims a row once, however many tasks name it.
    """
    now = timezone.now()
    requeued = _take_back_expired_leases(now)
    stale = OutboundEmail.objects.filter(
        state=OutboundEmail.State.QUEUED,
        next_attempt_at__lt=now - timedelta(seconds=settings.OUTBOX_REQUEUE_AFTER),
    ).values_list("pk", flat=True)
    while batch := list(stale[:500]):
        enqueued = [pk for pk in batch if enqueue_email(pk)]
        # Pushed forward, so a backlog is not enqueued again at every sweep.
        OutboundEmail.objects.filter(pk__in=batch).update(next_attempt_at=now)
        requeued += len(enqueued)
        if len(enqueued) < len(batch):
            break  # the broker is down; the next sweep tries again
    return requeued


def _take_back_expired_leases(now: datetime) -> int:
    """Queue and enqueue the rows whose sender's lease ran out; how many were
    enqueued. A live sender never lets its lease run out (lease.py)."""
    expired = OutboundEmail.objects.filter(
        state=OutboundEmail.State.SENDING, lease_until__lt=now
    )
    pks = list(expired.values_list("pk", flat=True)[:1000])
    if not pks:
        return 0
    # Due now: if the broker is down, the queued rows' sweep enqueues them.
    taken = expired.filter(pk__in=pks).update(
        state=OutboundEmail.State.QUEUED, next_attempt_at=now
    )
    if taken:
        logger.warning("Outbox: %s rows whose sender's lease ran out queued", taken)
    return sum(enqueue_email(pk) for pk in pks)


def data_requests_since(signature_ids: list[int], since: datetime) -> int:
    """How many "Your data" emails these signatures were sent since then."""
    return OutboundEmail.objects.filter(
        kind=OutboundEmail.Kind.DATA_REQUEST,
        signature__in=signature_ids,
        created_at__gte=since,
    ).count()


def emails_copy(signature_ids: list[int]) -> list[dict[str, object]]:
    """The emails sent (or to be sent) to these signatures, oldest first, as a
    supporter's copy of their data shows them. Reads only."""
    rows = (
        OutboundEmail.objects.filter(signature__in=signature_ids)
        .select_related("signature__petition")
        .order_by("created_at", "pk")
    )
    return [
        {
            "subject": messages.subject(outbound),
            "to": outbound.to_email,
            "state": outbound.state,
            "queued_at": outbound.created_at,
            "sent_at": outbound.sent_at,
        }
        for outbound in rows
    ]


def forget_recipients(signature_ids: list[int]) -> None:
    """Erase the addresses these signatures' emails went to, and stop those
    not sent yet. Call it in the transaction that anonymises the signatures."""
    outbox = OutboundEmail.objects.filter(signature__in=signature_ids)
    # SMTP errors often quote the recipient's address.
    outbox.update(to_email=ERASED, last_error="")
    unsent = [OutboundEmail.State.QUEUED, OutboundEmail.State.SENDING]
    outbox.filter(state__in=unsent).update(
        state=OutboundEmail.State.FAILED, failed_at=timezone.now(), last_error=NOT_SENT
    )
