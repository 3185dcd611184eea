"""The suppression list: addresses that bounced hard or complained of spam.

A mail provider's signed tracking webhook (django-anymail) fills it; every
email the site sends checks it first, so nothing more goes to such an address.
"""

import hashlib
import logging
import math
import time

from anymail.signals import AnymailTrackingEvent, EventType
from django.conf import settings
from django.core.cache import caches
from django.db import IntegrityError, transaction
from django.db.models import CharField, Exists, OuterRef, QuerySet, Value
from django.db.models.functions import Cast, Concat

from actions.core.canonical import canonical_email
from actions.models import Signature
from actions.suppressions.models import Suppression

logger = logging.getLogger(__name__)

# A soft bounce or a deferral is not here: the next attempt may well arrive.
# Anymail reports a temporary failure as DEFERRED, a permanent one as BOUNCED.
REASONS = {
    EventType.BOUNCED: Suppression.Reason.BOUNCED,
    EventType.COMPLAINED: Suppression.Reason.COMPLAINED,
}


class StaleEvent(Exception):
    """A signed webhook event outside the freshness window (or with no time)."""


class ReplayedEvent(Exception):
    """A signed webhook event whose token was accepted before."""


class TokenStoreDown(Exception):
    """The store of seen tokens (Redis) did not answer: the event is refused."""


def claim_event_token(*, token: str, timestamp: str) -> None:
    """Accept a signed event's token once, and only within
    WEBHOOK_MAX_AGE_SECONDS of the time it was signed (either way: clocks
    differ). Call it after the signature is checked: a forged request must not
    use up a real event's token.

    The token is remembered in Redis with SET NX for twice the window (an
    event signed up to a window ahead stays fresh that long), so a captured
    event cannot be posted again. Raises StaleEvent, ReplayedEvent or, when
    Redis does not answer, TokenStoreDown: the webhook then fails closed and
    the provider tries again later.
    """
    window = settings.WEBHOOK_MAX_AGE_SECONDS
    try:
        age = time.time() - float(timestamp)
    except (TypeError, ValueError) as exc:
        raise StaleEvent from exc
    if not math.isfinite(age) or abs(age) > window:
        raise StaleEvent
    try:
        claimed = caches["default"].add(_token_key(token), 1, timeout=2 * window)
    except Exception as exc:  # redis-py raises several unrelated types
        raise TokenStoreDown from exc
    if not claimed:
        raise ReplayedEvent


def release_event_token(token: str) -> None:
    """Forget a claimed token whose event could not be recorded, so the
    provider's retry of it is accepted. Never raises."""
    try:
        caches["default"].delete(_token_key(token))
    except Exception:  # redis-py raises several unrelated types
        logger.warning("Could not release a webhook token")


def _token_key(token: str) -> str:
    # Hashed: the token is the sender's text, of any length.
    return "webhook-token:" + hashlib.sha256(token.encode()).hexdigest()


def is_suppressed(email: str) -> bool:
    """Whether nothing may be sent to this address (any spelling of it)."""
    return Suppression.objects.filter(canonical_email=canonical_email(email)).exists()


def suppressed_addresses(emails: list[str]) -> set[str]:
    """Those of these addresses (as given) on the suppression list; one query."""
    by_canonical: dict[str, list[str]] = {}
    for address in emails:
        by_canonical.setdefault(canonical_email(address), []).append(address)
    found = Suppression.objects.filter(canonical_email__in=list(by_canonical))
    canonical = set(found.values_list("canonical_email", flat=True))
    return {a for c in canonical for a in by_canonical[c]}


def exclude_suppressed(signatures: QuerySet[Signature]) -> QuerySet[Signature]:
    """These signatures less those whose address is on the suppression list."""
    suppressed = Suppression.objects.filter(canonical_email=OuterRef("canonical_email"))
    return signatures.filter(~Exists(suppressed))


def suppress(
    *, email: str, reason: str, provider: str, event_id: str, description: str = ""
) -> Suppression | None:
    """Add an address to the suppression list; None if the event or the address
    with this reason is there already (repeat-safe: a replayed event adds nothing).
    """
    try:
        with transaction.atomic():  # a savepoint: a duplicate loses cleanly
            return Suppression.objects.create(
                canonical_email=canonical_email(email),
                reason=reason,
                provider=provider[:40],
                event_id=event_id[:200],
                description=description,
            )
    except IntegrityError:
        return None


def record_tracking_event(
    *, event: AnymailTrackingEvent, provider: str
) -> Suppression | None:
    """Suppress the recipient of a hard bounce or a spam complaint.

    Other events (delivered, opened, deferred...) change nothing. Repeat-safe.
    """
    reason = REASONS.get(event.event_type)
    if reason is None:
        return None
    if not event.recipient or not event.event_id:
        logger.warning("%s %s event without recipient or id", provider, reason)
        return None
    return suppress(
        email=event.recipient,
        reason=reason,
        provider=provider,
        event_id=event.event_id,
        description=event.description or event.mta_response or "",
    )


def suppressions_copy(address: str) -> list[dict[str, object]]:
    """This canonical address's suppressions, as a supporter's copy of their
    data shows them. Reads only."""
    return [
        {"reason": s.get_reason_display(), "recorded_at": s.created_at}
        for s in Suppression.objects.filter(canonical_email=address)
    ]


def forget_address(address: str) -> None:
    """Erase this canonical address from the list, keeping each entry (and so
    its event id, which stops a replayed event adding the address back)."""
    Suppression.objects.filter(canonical_email=address).update(
        canonical_email=Concat(
            Value("erased-suppression-"),
            Cast("pk", CharField()),
            output_field=CharField(),
        ),
        description="",
    )
