"""Workflows of the actions app: signing, confirming, counting, the outbox."""

import logging
import random
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from actions.models import (
    COUNT_SHARDS,
    OutboundEmail,
    Petition,
    PetitionCounter,
    Signature,
)

logger = logging.getLogger(__name__)

CONFIRM_SALT = "actions.signature.confirm"
# Providers that ignore dots in the local part and deliver "+tag" to the same box.
DOTLESS_DOMAINS = {"gmail.com", "googlemail.com"}
PLUS_TAG_DOMAINS = DOTLESS_DOMAINS | {
    "outlook.com",
    "hotmail.com",
    "live.com",
    "protonmail.com",
    "proton.me",
    "fastmail.com",
    "icloud.com",
}


class PetitionClosed(Exception):
    """The petition does not accept signatures any more."""


def canonical_email(email: str) -> str:
    """The form of an address that identifies one mailbox.

    Case is folded everywhere; dots and "+tags" are folded where the provider
    ignores them, so one person cannot sign twice by decorating an address.
    """
    local, _, domain = email.strip().casefold().rpartition("@")
    if domain == "googlemail.com":
        domain = "gmail.com"
    if domain in PLUS_TAG_DOMAINS:
        local = local.split("+", 1)[0]
    if domain in DOTLESS_DOMAINS:
        local = local.replace(".", "")
    return f"{local}@{domain}"


@transaction.atomic
def sign_petition(
    *,
    petition: Petition,
    first_name: str,
    last_name: str,
    email: str,
    country: str,
    wants_updates: bool,
    consent_version: str,
    source: str = "",
) -> Signature:
    """Record a pending signature and queue the right email.

    Signing again is not an error and looks the same: a pending signature gets
    its confirmation again, a confirmed one an "already signed" note, up to the
    per-signature cap. Raises PetitionClosed if the petition is not open.
    """
    if not petition.is_open:
        raise PetitionClosed
    canonical = canonical_email(email)
    try:
        # A savepoint, so a concurrent insert of the same address loses cleanly.
        with transaction.atomic():
            signature = Signature.objects.create(
                petition=petition,
                first_name=first_name,
                last_name=last_name,
                email=email,
                canonical_email=canonical,
                country=country,
                wants_updates=wants_updates,
                consent_version=consent_version if wants_updates else "",
                source=source,
                emails_queued=1,
            )
    except IntegrityError:
        signature = Signature.objects.get(petition=petition, canonical_email=canonical)
        invalidated = signature.state == Signature.State.INVALIDATED
        if invalidated or not signature.reserve_email():
            return signature
        # The owner of the address gets the email, whoever typed it this time.
        email = signature.email
    queue_email(kind=_reply_kind(signature), to_email=email, signature=signature)
    return signature


def _reply_kind(signature: Signature) -> str:
    if signature.state == Signature.State.CONFIRMED:
        return OutboundEmail.Kind.ALREADY_SIGNED
    return OutboundEmail.Kind.CONFIRM


def queue_email(
    *, kind: str, to_email: str, signature: Signature | None = None
) -> OutboundEmail:
    """Write an outbox row and enqueue its delivery once the transaction commits."""
    outbound = OutboundEmail.objects.create(
        kind=kind, to_email=to_email, signature=signature
    )
    transaction.on_commit(lambda: enqueue_email(outbound.pk), robust=True)
    return outbound


def enqueue_email(outbound_email_id: int) -> bool:
    """Hand a row to Celery. False if the broker is unreachable.

    The row is already committed, so a broker outage only delays the email:
    the beat sweeper enqueues it again. Signing must never fail on this.
    """
    from actions.tasks import send_email

    try:
        send_email.delay(outbound_email_id)
    except Exception:  # kombu raises several unrelated types when Redis is down
        logger.warning(
            "Broker unavailable; email %s left for the sweeper", outbound_email_id
        )
        return False
    return True


def make_confirmation_token(signature: Signature) -> str:
    return signing.dumps(signature.pk, salt=CONFIRM_SALT, compress=False)


def signature_from_token(token: str) -> Signature:
    """The signature a confirmation token names.

    Raises signing.SignatureExpired, signing.BadSignature or
    Signature.DoesNotExist.
    """
    pk = signing.loads(token, salt=CONFIRM_SALT, max_age=settings.CONFIRMATION_MAX_AGE)
    return Signature.objects.select_related("petition").get(pk=pk)


@transaction.atomic
def confirm_signature(*, signature: Signature) -> bool:
    """Confirm a signature and count it. Safe to repeat: False the second time."""
    if not signature.confirm():
        return False
    add_to_count(petition_id=signature.petition_id, delta=1)
    # The supporter's next page shows their signature counted.
    key = _count_key(signature.petition_id)
    transaction.on_commit(lambda: cache.delete(key), robust=True)
    return True


def add_to_count(*, petition_id: int, delta: int) -> None:
    """Add delta to a petition's confirmed count; call inside the transaction
    that changes the signatures it counts."""
    # An upsert on a random shard: no hot row, and shards appear as needed.
    table = connection.ops.quote_name(PetitionCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (petition_id, shard, confirmed) VALUES (%s, %s, %s) "
            f"ON CONFLICT (petition_id, shard) "
            f"DO UPDATE SET confirmed = {table}.confirmed + EXCLUDED.confirmed",
            [petition_id, random.randrange(COUNT_SHARDS), delta],
        )


def _count_key(petition_id: int) -> str:
    return f"petition-count:{petition_id}"


def confirmed_counts(petition_ids: Iterable[int]) -> dict[int, int]:
    """Confirmed counts, at most COUNT_CACHE_SECONDS old, for these petitions."""
    petition_ids = list(petition_ids)
    keys = {_count_key(pk): pk for pk in petition_ids}
    try:
        cached = cache.get_many(keys)
    except Exception:  # a cache outage must not take the page down
        cached = {}
    counts = {keys[key]: value for key, value in cached.items()}
    missing = [pk for pk in petition_ids if pk not in counts]
    if missing:
        fresh = dict.fromkeys(missing, 0)
        rows = PetitionCounter.objects.filter(petition_id__in=missing)
        for petition_id, confirmed in rows.values_list("petition_id", "confirmed"):
            fresh[petition_id] += confirmed
        counts.update(fresh)
        try:
            cache.set_many(
                {_count_key(pk): n for pk, n in fresh.items()},
                settings.COUNT_CACHE_SECONDS,
            )
        except Exception:
            logger.warning("Count cache unavailable")
    return counts


def resend_confirmation(*, petition: Petition, email: str) -> None:
    """Send the right email again to whoever owns this address, if they signed.

    Says nothing about whether they did: the caller shows the same page.
    """
    signature = Signature.objects.filter(
        petition=petition, canonical_email=canonical_email(email)
    ).first()
    if signature is None or signature.state == Signature.State.INVALIDATED:
        return
    with transaction.atomic():
        if not signature.reserve_email():
            return
        queue_email(
            kind=_reply_kind(signature), to_email=signature.email, signature=signature
        )


def requeue_stale_emails() -> int:
    """Enqueue outbox rows whose task was lost; return how many.

    Rows due for a while and still queued never reached a worker (broker down
    at signing time, or the broker lost them). Rows "sending" for too long
    belong to a worker that died mid-send and go back to the queue. Repeat-safe:
    a worker claims a row once, however many tasks name it.
    """
    now = timezone.now()
    OutboundEmail.objects.filter(
        state=OutboundEmail.State.SENDING,
        sending_at__lt=now - timedelta(seconds=settings.OUTBOX_STALE_SENDING_AFTER),
    ).update(state=OutboundEmail.State.QUEUED)  # its due time is past: sent below
    stale = OutboundEmail.objects.filter(
        state=OutboundEmail.State.QUEUED,
        next_attempt_at__lt=now - timedelta(seconds=settings.OUTBOX_REQUEUE_AFTER),
    ).values_list("pk", flat=True)
    requeued = 0
    while batch := list(stale[:500]):
        enqueued = [pk for pk in batch if enqueue_email(pk)]
        # Pushed forward, so a backlog is not enqueued again at every sweep.
        OutboundEmail.objects.filter(pk__in=batch).update(next_attempt_at=now)
        requeued += len(enqueued)
        if len(enqueued) < len(batch):
            break  # the broker is down; the next sweep tries again
    return requeued
