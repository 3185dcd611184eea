"""A supporter's data: the emailed link to it, the copy, erasure, and the
retention job that anonymises the signers of long-closed petitions.

Erasure and retention share one anonymisation (anonymise): names, addresses
and the client hash go; state, times, country and source stay, so every
count is what it was.
"""

import logging
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import CharField, Exists, OuterRef, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from actions import emails
from actions.followups import rendering
from actions.followups.models import FollowUpDelivery, Withdrawal
from actions.followups.services import cancel_deliveries
from actions.models import OutboundEmail, Petition, Signature, Suppression
from actions.privacy.models import ConsentRecord, Erasure
from actions.services import canonical_email, queue_email

logger = logging.getLogger(__name__)

DATA_LINK_SALT = "actions.privacy.data_link"
# What replaces an erased address: no "@", so never an address, and unique
# per row where a unique constraint needs it.
ERASED = "erased"
NOT_SENT = "Not sent: the address was erased."


# The link


def request_data_link(*, email: str) -> bool:
    """Have a worker email a link to this address's data if it signed
    anything. Says nothing about whether it did. False if the broker is down
    (the request is dropped; the supporter can ask again)."""
    from actions.tasks import send_data_link

    try:
        send_data_link.delay(canonical_email(email))
    except Exception:  # kombu raises several unrelated types when Redis is down
        logger.warning("Broker unavailable; a data request was dropped")
        return False
    return True


@transaction.atomic
def send_data_link(*, email: str) -> OutboundEmail | None:
    """Queue an email with a link to everything held about this address, to
    the address it last signed with; None if nothing is held or the address
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
    recent = OutboundEmail.objects.filter(
        kind=OutboundEmail.Kind.DATA_REQUEST,
        signature__in=held,
        created_at__gte=timezone.now() - timedelta(days=1),
    )
    if recent.count() >= settings.DATA_LINKS_PER_DAY:
        return None
    newest = held[-1]
    return queue_email(
        kind=OutboundEmail.Kind.DATA_REQUEST, to_email=newest.email, signature=newest
    )


def make_data_token(signature_id: int) -> str:
    return signing.dumps(signature_id, salt=DATA_LINK_SALT, compress=False)


def signature_from_data_token(token: str) -> Signature:
    """The signature a data link names, if its data is still held.

    Raises signing.SignatureExpired, signing.BadSignature (a link of another
    purpose included) or Signature.DoesNotExist.
    """
    pk = signing.loads(token, salt=DATA_LINK_SALT, max_age=settings.DATA_LINK_MAX_AGE)
    if not isinstance(pk, int):
        raise signing.BadSignature("Not a signature id")
    return Signature.objects.get(pk=pk, anonymised_at=None)


# The copy


def data_copy(signature: Signature) -> dict[str, object]:
    """Everything held about the address of this signature: its signatures,
    consent records, emails (the outbox and follow-ups), withdrawals and
    suppressions. Reads only."""
    address = signature.canonical_email
    signatures = list(_held(address).select_related("petition").order_by("pk"))
    ids = [s.pk for s in signatures]
    return {
        "email": address,
        "signatures": [_signature_data(s) for s in signatures],
        "consent_records": _consent_data(ids),
        "emails": _outbox_data(ids) + _follow_up_data(ids),
        "withdrawals": [
            {
                "petition": w.petition.title if w.petition else None,
                "all_petitions": w.petition is None,
                "how": w.get_method_display(),
                "withdrawn_at": w.withdrawn_at,
            }
            for w in Withdrawal.objects.filter(canonical_email=address)
            .select_related("petition")
            .order_by("pk")
        ],
        "suppressions": [
            {"reason": s.get_reason_display(), "recorded_at": s.created_at}
            for s in Suppression.objects.filter(canonical_email=address)
        ],
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


def _consent_data(ids: list[int]) -> list[dict[str, object]]:
    records = (
        ConsentRecord.objects.filter(signature__in=ids)
        .select_related("wording", "signature__petition")
        .order_by("recorded_at", "pk")
    )
    return [
        {
            "petition": record.signature.petition.title,
            "given": record.given,
            "all_petitions": record.all_petitions,
            "form": record.get_form_display(),
            "recorded_at": record.recorded_at,
            "wording_version": record.wording.version if record.wording else None,
            "wording": record.wording.text if record.wording else None,
            "wording_sha256": record.wording.text_hash if record.wording else None,
            "wording_language": record.wording.language if record.wording else None,
        }
        for record in records
    ]


def _outbox_data(ids: list[int]) -> list[dict[str, object]]:
    rows = (
        OutboundEmail.objects.filter(signature__in=ids)
        .select_related("signature__petition")
        .order_by("created_at", "pk")
    )
    return [
        {
            "subject": emails.subject(outbound),
            "to": outbound.to_email,
            "state": outbound.state,
            "queued_at": outbound.created_at,
            "sent_at": outbound.sent_at,
        }
        for outbound in rows
    ]


def _follow_up_data(ids: list[int]) -> list[dict[str, object]]:
    deliveries = (
        FollowUpDelivery.objects.filter(signature__in=ids)
        .select_related("signature", "follow_up__petition__statement")
        .order_by("created_at", "pk")
    )
    drafts: dict[int, rendering.Draft] = {}
    data = []
    for delivery in deliveries:
        follow_up = delivery.follow_up
        if follow_up.pk not in drafts:
            count = follow_up.petition.confirmed_count()
            drafts[follow_up.pk] = rendering.render_draft(follow_up, count=count)
        email = drafts[follow_up.pk].personalise(
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
    ids = list(_held(address).select_for_update().values_list("pk", flat=True))
    erased = anonymise(ids)
    if not erased:
        return 0  # a concurrent erasure of the same address came first
    Withdrawal.objects.filter(canonical_email=address).update(
        canonical_email=_placeholder("withdrawal")
    )
    Suppression.objects.filter(canonical_email=address).update(
        canonical_email=_placeholder("suppression"), description=""
    )
    Erasure.objects.create(reason=Erasure.Reason.REQUEST, signatures=erased)
    return erased


def anonymise(signature_ids: list[int]) -> int:
    """Remove names, addresses and client hashes from these signatures and from
    the rows that repeat them: their outbox rows and follow-up deliveries
    (unsent ones cancelled) and withdrawals from their petitions. Returns how
    many signatures it changed; those already anonymised are skipped. Call it
    in a transaction: a row is then either fully anonymised or untouched.
    """
    todo = Signature.objects.filter(pk__in=signature_ids, anonymised_at=None)
    ids = list(todo.values_list("pk", flat=True))
    if not ids:
        return 0
    now = timezone.now()
    mine = Signature.objects.filter(
        pk__in=ids,
        canonical_email=OuterRef("canonical_email"),
        petition=OuterRef("petition"),
    )
    # Before the addresses go: these withdrawals are found by them.
    Withdrawal.objects.filter(petition__isnull=False).filter(Exists(mine)).update(
        canonical_email=_placeholder("withdrawal")
    )
    placeholder = _placeholder("signature")
    Signature.objects.filter(pk__in=ids).update(
        first_name="",
        last_name="",
        email=placeholder,
        canonical_email=placeholder,
        client_hash="",
        anonymised_at=now,
    )
    outbox = OutboundEmail.objects.filter(signature__in=ids)
    # SMTP errors often quote the recipient's address.
    outbox.update(to_email=ERASED, last_error="")
    unsent = [OutboundEmail.State.QUEUED, OutboundEmail.State.SENDING]
    outbox.filter(state__in=unsent).update(
        state=OutboundEmail.State.FAILED, failed_at=now, last_error=NOT_SENT
    )
    deliveries = FollowUpDelivery.objects.filter(signature__in=ids)
    deliveries.update(last_error="")
    cancel_deliveries(deliveries)
    return len(ids)


def _placeholder(kind: str) -> Concat:
    """'erased-<kind>-<id>': unique per row, and not an address."""
    return Concat(
        Value(f"{ERASED}-{kind}-"), Cast("pk", CharField()), output_field=CharField()
    )


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
        after = 0
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
    if done:
        logger.info("Retention: %s signatures anonymised", done)
    return done
