"""When a follow-up goes: scheduling, milestones, the beat job, progress.
Who gets it is actions.followups.audience's (recipients() is re-exported).

Delivery rows are the follow-up's outbox: one per (follow-up, signature), made
in bulk by one INSERT ... SELECT when a follow-up starts, sent in batches by
actions.followups.sending.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, QuerySet
from django.utils import timezone

from actions.core.enqueue import enqueue, enqueue_on_commit
from actions.followups import rendering
from actions.followups.audience import one_per_person, recipients, signature_count
from actions.followups.models import (
    DAYS_AFTER_DELIVERY,
    MILESTONES,
    FollowUp,
    FollowUpDelivery,
)
from actions.models import Petition, Signature

logger = logging.getLogger(__name__)

START_FOLLOW_UP = "actions.tasks.start_follow_up"
SEND_BATCH = "actions.tasks.send_follow_up_batch"
Trigger = FollowUp.Trigger


# Scheduling


def schedule(*, follow_up: FollowUp) -> bool:
    """Draft to scheduled; starts at once if it is due. False if not a draft."""
    if not follow_up.schedule():
        return False
    enqueue_on_commit(START_FOLLOW_UP, follow_up.pk)
    return True


@transaction.atomic
def cancel(*, follow_up: FollowUp) -> bool:
    """Stop a follow-up and every email of it not yet sent. Repeat-safe."""
    if not follow_up.cancel():
        return False
    cancel_deliveries(FollowUpDelivery.objects.filter(follow_up=follow_up))
    return True


def is_due(follow_up: FollowUp) -> bool:
    """Whether a scheduled follow-up's trigger has fired."""
    if follow_up.trigger == Trigger.AT:
        assert follow_up.send_at is not None  # constraint followup_at_has_time
        return follow_up.send_at <= timezone.now()
    if follow_up.trigger not in MILESTONES:
        return True  # now, and days after confirmation (which starts at once)
    petition = follow_up.petition
    assert petition is not None  # constraint followup_milestone_has_petition
    if follow_up.trigger == Trigger.GOAL_REACHED:
        return petition.confirmed_count() >= petition.goal
    if follow_up.trigger == Trigger.CLOSED:
        return petition.closed_at is not None
    if follow_up.trigger == Trigger.DELIVERED:
        return petition.delivered_at is not None
    if days := DAYS_AFTER_DELIVERY.get(follow_up.trigger):
        delivered_at = petition.delivered_at  # a reminder: the clock runs
        if delivered_at is None:
            return False
        return delivered_at + timedelta(days=days) <= timezone.now()
    return petition.won_at is not None


def start(follow_up_id: int) -> int:
    """Start a scheduled follow-up if it is due: queue its deliveries and hand
    batches to the bulk workers. Returns how many were queued; repeat-safe."""
    follow_up = (
        FollowUp.objects.select_related("petition")
        .filter(pk=follow_up_id, state=FollowUp.State.SCHEDULED)
        .first()
    )
    if follow_up is None or not is_due(follow_up):
        return 0
    with transaction.atomic():
        now = timezone.now()
        started = FollowUp.objects.filter(
            pk=follow_up.pk, state=FollowUp.State.SCHEDULED
        ).update(state=FollowUp.State.SENDING, sending_at=now, batch_claimed_at=now)
        if not started:
            return 0  # another worker started it
        if follow_up.is_recurring:
            # Signers whose day comes after scheduling; earlier ones are past it.
            assert follow_up.scheduled_at is not None  # it was scheduled
            follow_up.queued_until = follow_up.scheduled_at - _days(follow_up)
            FollowUp.objects.filter(pk=follow_up.pk).update(
                queued_until=follow_up.queued_until
            )
            queued = _queue_recurring(follow_up, now=now)
        else:
            queued = queue_deliveries(
                follow_up=follow_up,
                signatures=one_per_person(follow_up, recipients(follow_up)),
            )
        batches = settings.FOLLOW_UP_PARALLEL_BATCHES
        transaction.on_commit(lambda: enqueue_batches(follow_up.pk, batches))
    logger.info("Follow-up %s started: %s deliveries queued", follow_up.pk, queued)
    return queued


def mark_petition_delivered(*, petition: Petition) -> bool:
    """Mark a petition delivered and start its 'delivered' follow-ups."""
    if not petition.mark_delivered():
        return False
    start_milestones(petition_ids=[petition.pk], trigger=Trigger.DELIVERED)
    return True


def milestone_follow_ups(*, petition: Petition, trigger: str) -> list[FollowUp]:
    """The petition's scheduled follow-ups that this trigger starts."""
    return list(
        FollowUp.objects.filter(
            petition=petition, trigger=trigger, state=FollowUp.State.SCHEDULED
        ).order_by("pk")
    )


def start_won_follow_ups(*, petition_ids: list[int]) -> None:
    """Start these petitions' scheduled 'won' follow-ups, once committed; each
    starts only if its petition is won. Repeat-safe; beat would start them too."""
    start_milestones(petition_ids=petition_ids, trigger=Trigger.WON)


@transaction.atomic
def cancel_reminders(*, petition: Petition) -> list[FollowUp]:
    """Cancel the petition's days-after-delivery reminders not yet started
    (the target has answered); the ones cancelled."""
    pending = FollowUp.objects.filter(
        petition=petition,
        trigger__in=list(DAYS_AFTER_DELIVERY),
        state=FollowUp.State.SCHEDULED,
    ).order_by("pk")
    return [follow_up for follow_up in pending if cancel(follow_up=follow_up)]


def start_milestones(*, petition_ids: list[int], trigger: str) -> None:
    """Start these petitions' scheduled follow-ups of this trigger, once committed."""
    pending = FollowUp.objects.filter(
        petition__in=petition_ids, trigger=trigger, state=FollowUp.State.SCHEDULED
    )
    for pk in pending.values_list("pk", flat=True):
        enqueue_on_commit(START_FOLLOW_UP, pk)


def queue_deliveries(*, follow_up: FollowUp, signatures: QuerySet[Signature]) -> int:
    """One queued delivery per signature, in one statement; existing pairs are
    left alone (the unique constraint). Returns how many were added."""
    ids = signatures.annotate(recipient_id=F("pk")).values("recipient_id")
    select, params = ids.query.sql_with_params()
    table = connection.ops.quote_name(FollowUpDelivery._meta.db_table)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    # "WHERE true" keeps SQLite from reading ON CONFLICT as a join's ON.
    sql = (
        f"INSERT INTO {table} (follow_up_id, signature_id, state, attempts, "
        "created_at, next_attempt_at, last_error) "
        "SELECT %s, recipient.recipient_id, %s, 0, %s, %s, '' "
        f"FROM ({select}) recipient WHERE true "
        "ON CONFLICT (follow_up_id, signature_id) DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [follow_up.pk, FollowUpDelivery.State.QUEUED, now, now, *params]
        )
        return cursor.rowcount


def _queue_recurring(follow_up: FollowUp, *, now: datetime) -> int:
    """Queue a days-after follow-up for signatures whose day has come."""
    cutoff = now - _days(follow_up)
    assert follow_up.queued_until is not None  # set when it started
    if cutoff <= follow_up.queued_until:
        return 0
    due = recipients(follow_up).filter(
        confirmed_at__gt=follow_up.queued_until, confirmed_at__lte=cutoff
    )
    queued = queue_deliveries(
        follow_up=follow_up, signatures=one_per_person(follow_up, due)
    )
    FollowUp.objects.filter(pk=follow_up.pk).update(queued_until=cutoff)
    return queued


def _days(follow_up: FollowUp) -> timedelta:
    # Recurring ones only: constraint followup_after_confirmation_has_days.
    assert follow_up.days_after is not None
    return timedelta(days=follow_up.days_after)


def enqueue_batches(follow_up_id: int, count: int) -> int:
    """Hand batches to the bulk queue; how many could be. A broker outage only
    delays them: the sweeper restarts follow-ups whose batches stopped."""
    for enqueued in range(count):
        try:
            enqueue(SEND_BATCH, follow_up_id)
        except Exception:  # kombu raises several unrelated types when Redis is down
            logger.warning("Broker unavailable; follow-up %s waits", follow_up_id)
            return enqueued
    return count


def finish_if_done(follow_up_id: int) -> bool:
    """Sending to sent once no delivery of a one-off follow-up is pending."""
    # Two probes, each answered by its partial index in a row or two.
    deliveries = FollowUpDelivery.objects.filter(follow_up=follow_up_id)
    for state in [FollowUpDelivery.State.QUEUED, FollowUpDelivery.State.SENDING]:
        if deliveries.filter(state=state).exists():
            return False
    done = (
        FollowUp.objects.filter(pk=follow_up_id, state=FollowUp.State.SENDING)
        .exclude(trigger=Trigger.AFTER_CONFIRMATION)
        .update(state=FollowUp.State.SENT, sent_at=timezone.now())
    )
    return done == 1


# The beat job


def run_follow_ups() -> None:
    """Everything that happens with time: start due follow-ups, queue days-after
    ones, put back deliveries of dead workers, restart stalled sending and
    close finished follow-ups. Repeat-safe."""
    active = FollowUp.objects.filter(
        state__in=[FollowUp.State.SCHEDULED, FollowUp.State.SENDING]
    ).select_related("petition")
    requeue_stale_deliveries()
    now = timezone.now()
    stalled_before = now - timedelta(seconds=settings.FOLLOW_UP_STALE_SENDING_AFTER)
    for follow_up in active:
        if follow_up.state == FollowUp.State.SCHEDULED:
            start(follow_up.pk)
            continue
        queued = _queue_recurring(follow_up, now=now) if follow_up.is_recurring else 0
        if not follow_up.is_recurring and finish_if_done(follow_up.pk):
            continue
        claimed = follow_up.batch_claimed_at
        quiet = claimed is None or claimed < stalled_before
        stalled = quiet and _has_due(follow_up)
        if queued or stalled:
            enqueue_batches(follow_up.pk, settings.FOLLOW_UP_PARALLEL_BATCHES)


def _has_due(follow_up: FollowUp) -> bool:
    return FollowUpDelivery.objects.filter(
        follow_up=follow_up,
        state=FollowUpDelivery.State.QUEUED,
        next_attempt_at__lte=timezone.now(),
    ).exists()


def requeue_stale_deliveries() -> int:
    """Put deliveries a worker claimed long ago and never finished back in the
    queue. Safe even if that worker still runs: the claim count fences it off,
    and a row marked sent before its end of data is never sent again."""
    stale_before = timezone.now() - timedelta(
        seconds=settings.FOLLOW_UP_STALE_SENDING_AFTER
    )
    return FollowUpDelivery.objects.filter(
        state=FollowUpDelivery.State.SENDING, sending_at__lt=stale_before
    ).update(state=FollowUpDelivery.State.QUEUED)


# Progress


def progress(follow_up_ids: list[int]) -> dict[int, dict[str, int]]:
    """Deliveries per state for these follow-ups, in one query."""
    counts: dict[int, dict[str, int]] = {pk: {} for pk in follow_up_ids}
    rows = (
        FollowUpDelivery.objects.filter(follow_up__in=follow_up_ids)
        .values_list("follow_up", "state")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for follow_up_id, state, n in rows:
        counts[follow_up_id][state] = n
    return counts


def cancel_deliveries(deliveries: QuerySet[FollowUpDelivery]) -> int:
    # Rows a worker holds are cancelled too: it checks before ending the data.
    return deliveries.filter(
        state__in=[FollowUpDelivery.State.QUEUED, FollowUpDelivery.State.SENDING]
    ).update(state=FollowUpDelivery.State.CANCELLED, cancelled_at=timezone.now())


# What a supporter's data holds, and its erasure (actions.privacy)


def emails_copy(signature_ids: list[int]) -> list[dict[str, object]]:
    """The follow-ups sent (or to be sent) to these signatures, oldest first,
    as a supporter's copy of their data shows them. Reads only."""
    deliveries = (
        FollowUpDelivery.objects.filter(signature__in=signature_ids)
        .select_related(
            "signature",
            "follow_up__petition__statement",
            "follow_up__statement",
            "follow_up__topic",
        )
        .order_by("created_at", "pk")
    )
    counts: dict[int, int] = {}
    drafts: dict[tuple[int, str], rendering.Draft] = {}
    data = []
    for delivery in deliveries:
        follow_up, language = delivery.follow_up, delivery.signature.language
        if (follow_up.pk, language) not in drafts:
            if follow_up.pk not in counts:
                counts[follow_up.pk] = signature_count(follow_up)
            drafts[follow_up.pk, language] = rendering.render_draft(
                follow_up, count=counts[follow_up.pk], language=language
            )
        email = drafts[follow_up.pk, language].personalise(
            first_name=delivery.signature.first_name, token=rendering.PREVIEW_TOKEN
        )
        data.append(
            {
                "subject": email.subject,
                "to": delivery.signature.email,
                "state": delivery.state,
                "queued_at": delivery.created_at,
                "sent_at": delivery.sent_at,
            }
        )
    return data


def forget_deliveries(signature_ids: list[int]) -> None:
    """Erase what these signatures' deliveries repeat (SMTP errors quote the
    address) and cancel those not sent yet."""
    deliveries = FollowUpDelivery.objects.filter(signature__in=signature_ids)
    deliveries.update(last_error="")
    cancel_deliveries(deliveries)
