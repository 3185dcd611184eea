"""Workflows of the abuse controls: hourly flags and invalidation by filter."""

from collections import Counter
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet, Value
from django.db.models.functions import Coalesce, StrIndex, Substr, TruncHour
from django.utils import timezone

from actions.abuse.models import SignatureFlag
from actions.counts import add_to_count, forget_count
from actions.models import Petition, Signature
from actions.outbox.services import queue_confirmations
from staff import audit

State = Signature.State


@dataclass(frozen=True)
class SignatureFilter:
    """Some signatures of one petition, as a campaigner chose them."""

    petition: Petition
    email_domain: str = ""  # its subdomains match too
    client_hash: str = ""
    signed_from: datetime | None = None
    signed_to: datetime | None = None  # exclusive
    state: str = ""
    # Signatures made up to this time only: the set a preview counted.
    as_of: datetime | None = None

    def signatures(self) -> QuerySet[Signature]:
        """The matching signatures not invalidated yet."""
        queryset = Signature.objects.filter(petition=self.petition).exclude(
            state=State.INVALIDATED
        )
        if self.email_domain:
            queryset = queryset.filter(
                Q(canonical_email__endswith=f"@{self.email_domain}")
                | Q(canonical_email__endswith=f".{self.email_domain}")
            )
        if self.client_hash:
            queryset = queryset.filter(client_hash=self.client_hash)
        if self.signed_from:
            queryset = queryset.filter(created_at__gte=self.signed_from)
        if self.signed_to:
            queryset = queryset.filter(created_at__lt=self.signed_to)
        if self.as_of:
            queryset = queryset.filter(created_at__lte=self.as_of)
        if self.state:
            queryset = queryset.filter(state=self.state)
        return queryset

    def describe(self) -> dict[str, str]:
        """The filter for the audit log: the criteria set, no signer's data."""
        return {
            name: value.isoformat() if isinstance(value, datetime) else str(value)
            for name, value in asdict(self).items()
            if value and name != "petition"
        }


def preview_invalidation(*, signature_filter: SignatureFilter) -> dict[str, int]:
    """How many signatures the filter matches, by state (reads only)."""
    rows = (
        signature_filter.signatures()
        .order_by()
        .values_list("state")
        .annotate(n=Count("pk"))
    )
    return dict(rows)


@transaction.atomic
def invalidate_signatures(*, signature_filter: SignatureFilter, user_id: int) -> int:
    """Invalidate the matching signatures; confirmed ones leave the count.

    One transaction, written to the audit log; repeat-safe (signatures
    invalidated already do not match again). Returns how many it invalidated.
    """
    matching = signature_filter.signatures()
    now = timezone.now()
    # The uncounted first: one confirmed meanwhile is then caught, and taken
    # off the count, by the second update, which sees the confirmation.
    uncounted = matching.filter(state__in=[State.PENDING, State.SUSPECT]).update(
        state=State.INVALIDATED, invalidated_at=now
    )
    counted = matching.filter(state=State.CONFIRMED).update(
        state=State.INVALIDATED, invalidated_at=now
    )
    petition = signature_filter.petition
    if counted:
        add_to_count(petition_id=petition.pk, delta=-counted)
        forget_count(petition_id=petition.pk)
    if uncounted + counted:
        audit.record_invalidation(
            user_id=user_id,
            obj=petition,
            signatures=uncounted + counted,
            filters=signature_filter.describe(),
        )
    return uncounted + counted


@transaction.atomic
def release_suspects(*, signatures: QuerySet[Signature], user_id: int) -> int:
    """Give suspect signatures that staff judged genuine (a rally behind one
    address, a slow reader's old form) the ordinary path: pending, with their
    confirmation email, to be counted once their owner confirms. Keeps when
    and why each was suspect. Others in ``signatures`` are left alone;
    repeat-safe. Returns how many it released, each logged in the audit log.
    """
    suspects = list(
        signatures.filter(state=State.SUSPECT).select_for_update().order_by("pk")
    )
    Signature.objects.filter(pk__in=[s.pk for s in suspects]).update(
        state=State.PENDING, emails_queued=F("emails_queued") + 1
    )
    queue_confirmations(suspects)
    # Logged per petition, with no signer's data: the log outlives erasure.
    per_petition = Counter(signature.petition_id for signature in suspects)
    for petition in Petition.objects.filter(pk__in=per_petition):
        audit.record_release(
            user_id=user_id, obj=petition, signatures=per_petition[petition.pk]
        )
    return len(suspects)


def flag_busy_sources(*, now: datetime | None = None) -> int:
    """Flag each client hash and email domain with more signatures in one
    clock hour on one petition than the petition's flag threshold.

    Looks at the last ABUSE_FLAG_LOOKBACK_HOURS complete hours, so a missed
    run is made up. Repeat-safe: one flag per source and hour, its count
    refreshed. Returns how many flags it wrote.
    """
    end = (now or timezone.now()).replace(minute=0, second=0, microsecond=0)
    recent = Signature.objects.filter(
        created_at__gte=end - timedelta(hours=settings.ABUSE_FLAG_LOOKBACK_HOURS),
        created_at__lt=end,
    ).annotate(
        hour=TruncHour("created_at"),
        threshold=Coalesce(
            "petition__abuse_settings__flag_threshold",
            Value(settings.ABUSE_FLAG_THRESHOLD),
        ),
        domain=Substr("canonical_email", StrIndex("canonical_email", Value("@")) + 1),
    )
    sources = {
        SignatureFlag.Kind.CLIENT: recent.exclude(client_hash=""),
        SignatureFlag.Kind.DOMAIN: recent.exclude(
            domain__in=settings.ABUSE_FLAG_IGNORED_DOMAINS
        ),
    }
    column = {
        SignatureFlag.Kind.CLIENT: "client_hash",
        SignatureFlag.Kind.DOMAIN: "domain",
    }
    flags = [
        SignatureFlag(
            petition_id=group["petition_id"],
            kind=kind,
            value=group[column[kind]],
            hour=group["hour"],
            count=group["n"],
        )
        for kind, signatures in sources.items()
        for group in signatures.filter(threshold__gt=0)
        .values("petition_id", "hour", "threshold", column[kind])
        .annotate(n=Count("pk"))
        .filter(n__gt=F("threshold"))
        .order_by()
    ]
    SignatureFlag.objects.bulk_create(
        flags,
        update_conflicts=True,
        unique_fields=["petition", "kind", "value", "hour"],
        update_fields=["count"],
    )
    return len(flags)
