"""A supporter's data: the emailed link to it, the copy, erasure, and the
retention job that anonymises the signers of long-closed petitions.

Each feature says what it holds about a person and erases it itself (its
services' ``*_copy`` and ``forget_*`` functions); this module composes them.
Erasure and retention share one anonymisation (anonymise): names, addresses
and the client hash go; state, times, country and source stay, so every
count is what it was.
"""

import logging
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import CharField, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from actions.abuse.clientlimits import over_client_limit
from actions.consent import services as consent
from actions.core.canonical import canonical_email
from actions.core.enqueue import enqueue
from actions.core.tokens import read_data_token
from actions.deliverypacks import services as deliverypacks
from actions.exports import services as exports
from actions.followups import services as followups
from actions.followups import withdrawals
from actions.letters import services as letters
from actions.models import Petition, Signature
from actions.outbox import services as outbox
from actions.outbox.models import OutboundEmail
from actions.privacy.models import Erasure
from actions.suppressions import services as suppressions

logger = logging.getLogger(__name__)

SEND_DATA_LINK = "actions.tasks.send_data_link"
# What replaces an erased address: no "@", so never an address, and unique
# per row where a unique constraint needs it.
ERASED = "erased"


# The link


def request_data_link(*, email: str, client_ip: str = "", language: str = "") -> bool:
    """Have a worker email a link to this address's data if it signed
    anything, in ``language`` (the page's; the original when empty). Says
    nothing about whether it did. False if the request is
    dropped: this client asked more than CLIENT_DATA_REQUESTS_PER_HOUR times
    in the hour, or the broker is down (the supporter can ask again)."""
    if over_client_limit(
        action="data-request",
        client_ip=client_ip,
        limit=settings.CLIENT_DATA_REQUESTS_PER_HOUR,
        seconds=3600,
    ):
        logger.info("A client over its data request limit was refused")
        return False
    try:
        enqueue(SEND_DATA_LINK, canonical_email(email), language)
    except Exception:  # kombu raises several unrelated types when Redis is down
        logger.warning("Broker unavailable; a data request was dropped")
        return False
    return True


@transaction.atomic
def send_data_link(*, email: str, language: str = "") -> OutboundEmail | None:
    """Queue an email with a link to everything held about this address, to
    the address it last signed with, in ``language`` (the page it was asked
    for on; the original when empty); None if nothing is held or the address
    had DATA_LINKS_PER_DAY links in the last 24 hours.

    The address's signatures are locked while counting, so concurrent requests
    cannot exceed the cap: no one can turn the form into a mail cannon.
    """
    held = list(
        Signature.objects.select_for_update()
        .filter(canonical_email=canonical_email(email), anonymised_at=None)
        .order_by("pk")
    )
    if not held:
        return None
    since = timezone.now() - timedelta(days=1)
    if outbox.data_requests_since([s.pk for s in held], since) >= (
        settings.DATA_LINKS_PER_DAY
    ):
        return None
    newest = held[-1]
    return outbox.queue_email(
        kind=OutboundEmail.Kind.DATA_REQUEST,
        to_email=newest.email,
        signature=newest,
        language=language or settings.LANGUAGE_CODE,
    )


def signature_from_data_token(token: str) -> Signature:
    """The signature a data link names, if its data is still held.

    Raises signing.SignatureExpired, signing.BadSignature (a link of another
    purpose included) or Signature.DoesNotExist.
    """
    return Signature.objects.get(pk=read_data_token(token), anonymised_at=None)


# The copy


def data_copy(signature: Signature) -> dict[str, object]:
    """Everything held about the address of this signature: its signatures,
    consent records, letters, emails (the outbox and follow-ups), withdrawals
    and suppressions. Reads only."""
    address = signature.canonical_email
    signatures = list(_held(address).select_related("petition").order_by("pk"))
    ids = [s.pk for s in signatures]
    return {
        "email": address,
        "signatures": [_signature_data(s) for s in signatures],
        "consent_records": consent.records_copy(ids),
        "letters": letters.letters_copy(ids),
        "emails": outbox.emails_copy(ids) + followups.emails_copy(ids),
        "withdrawals": withdrawals.withdrawals_copy(address),
        "suppressions": suppressions.suppressions_copy(address),
    }


def _held(address: str) -> QuerySet[Signature]:
    return Signature.objects.filter(canonical_email=address, anonymised_at=None)


def _signature_data(signature: Signature) -> dict[str, object]:
    return {
        "petition": signature.petition.title,
        "first_name": signature.first_name,
        "last_name": signature.last_name,
        "email": signature.email,
        "canonical_email": signature.canonical_email,
        "country": str(signature.country),
        "state": signature.state,
        "signed_at": signature.created_at,
        "confirmed_at": signature.confirmed_at,
        "invalidated_at": signature.invalidated_at,
        "source": signature.source,
        "wants_updates": signature.wants_updates,
        "consent_version": signature.consent_version,
        "client_address_hash": signature.client_hash,
    }


# Erasure and retention


@transaction.atomic
def erase(*, signature: Signature) -> int:
    """Erase everything held about this signature's address, in one
    transaction: every signature of it is anonymised, its withdrawals and
    suppressions lose the address, and its unsent emails are cancelled.
    Returns how many signatures were erased; 0 when done before (repeat-safe).
    """
    address = (
        Signature.objects.filter(pk=signature.pk, anonymised_at=None)
        .values_list("canonical_email", flat=True)
        .first()
    )
    if address is None:
        return 0
    held = _held(address).select_for_update()
    ids = list(held.values_list("pk", flat=True))
    petition_ids = set(held.values_list("petition_id", flat=True))
    erased = anonymise(ids)
    if not erased:
        return 0  # a concurrent erasure of the same address came first
    withdrawals.forget_address(address)
    suppressions.forget_address(address)
    delete_files_naming(petition_ids)
    Erasure.objects.create(reason=Erasure.Reason.REQUEST, signatures=erased)
    return erased


def delete_files_naming(petition_ids: set[int]) -> int:
    """Delete the finished export and delivery pack files that may hold
    signers of these petitions (their records stay, marked as such); how
    many went. Files made after this run no longer hold the erased."""
    return exports.delete_files_holding(petition_ids) + (
        deliverypacks.delete_packs_naming(petition_ids)
    )


def anonymise(signature_ids: list[int]) -> int:
    """Remove names, addresses and client hashes from these signatures and from
    the rows that repeat them: their outbox rows and follow-up deliveries
    (unsent ones cancelled), their letters' text (unsent ones never leave) and
    withdrawals from their petitions. Returns how
    many signatures it changed; those already anonymised are skipped. Call it
    in a transaction: a row is then either fully anonymised or untouched.
    """
    todo = Signature.objects.filter(pk__in=signature_ids, anonymised_at=None)
    ids = list(todo.values_list("pk", flat=True))
    if not ids:
        return 0
    # Before the addresses go: these withdrawals are found by them.
    withdrawals.forget_withdrawals_of(ids)
    placeholder = Concat(
        Value(f"{ERASED}-signature-"), Cast("pk", CharField()), output_field=CharField()
    )
    Signature.objects.filter(pk__in=ids).update(
        first_name="",
        last_name="",
        email=placeholder,
        canonical_email=placeholder,
        client_hash="",
        anonymised_at=timezone.now(),
    )
    outbox.forget_recipients(ids)
    followups.forget_deliveries(ids)
    letters.erase_letters(signature_ids=ids)
    return len(ids)


def expired_petitions() -> list[Petition]:
    """Petitions closed for longer than their retention period."""
    now = timezone.now()
    candidates = Petition.objects.filter(
        retention_days__isnull=False, closed_at__isnull=False
    )
    return [
        petition
        for petition in candidates
        # The query left out petitions without either.
        if petition.retention_days is not None
        and petition.closed_at is not None
        and petition.closed_at <= now - timedelta(days=petition.retention_days)
    ]


def anonymise_expired(
    *,
    batch_size: int | None = None,
    max_batches: int | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Anonymise the signatures of petitions past their retention period,
    batch_size at a time, each batch in a transaction of its own (recorded as
    an Erasure); stops after max_batches. on_batch(count) runs inside each
    batch's transaction: if it raises, that batch is rolled back. Resumable
    and repeat-safe: rows done are skipped. Returns how many were anonymised.
    """
    size = batch_size or settings.RETENTION_BATCH_SIZE
    done = batches = 0
    for petition in expired_petitions():
        after, before = 0, done
        while max_batches is None or batches < max_batches:
            with transaction.atomic():
                ids = list(
                    Signature.objects.select_for_update(skip_locked=True)
                    .filter(petition=petition, anonymised_at=None, pk__gt=after)
                    .order_by("pk")
                    .values_list("pk", flat=True)[:size]
                )
                if not ids:
                    break
                count = anonymise(ids)
                Erasure.objects.create(
                    reason=Erasure.Reason.RETENTION, petition=petition, signatures=count
                )
                if on_batch is not None:
                    on_batch(count)
            done, batches, after = done + count, batches + 1, ids[-1]
        if done > before:
            delete_files_naming({petition.pk})
    if done:
        logger.info("Retention: %s signatures anonymised", done)
    return done
