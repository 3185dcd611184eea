"""Unsubscribing: a supporter's withdrawals of consent to updates, from one
petition or from all of them, and what erasure does to them."""

from django.db import transaction
from django.db.models import CharField, Exists, OuterRef, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from actions.consent import services as consent
from actions.core.tokens import read_unsubscribe_token
from actions.followups.models import FollowUpDelivery, Withdrawal
from actions.followups.services import cancel_deliveries
from actions.models import Signature


def signature_from_unsubscribe_token(token: str) -> Signature:
    """The signature an unsubscribe link names.

    Raises signing.BadSignature (or its SignatureExpired) or
    Signature.DoesNotExist.
    """
    return Signature.objects.select_related("petition").get(
        pk=read_unsubscribe_token(token), anonymised_at=None
    )


@transaction.atomic
def withdraw(*, signature: Signature, everything: bool, method: str) -> Withdrawal:
    """Record that this address wants no more updates about the signature's
    petition (or any, with everything=True), append it to the consent records
    and cancel follow-ups queued for it. Repeat-safe; withdrawing from
    everything again moves its time forward."""
    now = timezone.now()
    consent.record_withdrawal(
        signature_id=signature.pk, everything=everything, form=method
    )
    petition = None if everything else signature.petition
    withdrawal, created = Withdrawal.objects.get_or_create(
        canonical_email=signature.canonical_email,
        petition=petition,
        defaults={"signature": signature, "method": method, "withdrawn_at": now},
    )
    if everything and not created:
        Withdrawal.objects.filter(pk=withdrawal.pk).update(withdrawn_at=now)
    covered = Signature.objects.filter(canonical_email=signature.canonical_email)
    if petition is not None:
        covered = covered.filter(petition=petition)
    cancel_deliveries(FollowUpDelivery.objects.filter(signature__in=covered))
    return withdrawal


def subscriptions(signature: Signature) -> dict[str, bool]:
    """Whether this signature's address still gets this petition's updates,
    and whether it has withdrawn from all updates since signing."""
    mine = Withdrawal.objects.filter(canonical_email=signature.canonical_email)
    withdrawn_all = mine.filter(
        petition__isnull=True, withdrawn_at__gte=signature.created_at
    ).exists()
    withdrawn_here = mine.filter(petition=signature.petition_id).exists()
    return {
        "consented": signature.wants_updates,
        "petition": signature.wants_updates and not (withdrawn_here or withdrawn_all),
        "withdrawn_all": withdrawn_all,
    }


def withdrawals_copy(address: str) -> list[dict[str, object]]:
    """This canonical address's withdrawals, as a supporter's copy of their
    data shows them. Reads only."""
    return [
        {
            "petition": w.petition.title if w.petition else None,
            "all_petitions": w.petition is None,
            "how": w.get_method_display(),
            "withdrawn_at": w.withdrawn_at,
        }
        for w in Withdrawal.objects.filter(canonical_email=address)
        .select_related("petition")
        .order_by("pk")
    ]


def forget_address(address: str) -> None:
    """Erase this canonical address from its withdrawals; each stays on record."""
    Withdrawal.objects.filter(canonical_email=address).update(canonical_email=_erased())


def forget_withdrawals_of(signature_ids: list[int]) -> None:
    """Erase the address from withdrawals from these signatures' petitions.
    Call it before the signatures lose their addresses: it finds them by those."""
    mine = Signature.objects.filter(
        pk__in=signature_ids,
        canonical_email=OuterRef("canonical_email"),
        petition=OuterRef("petition"),
    )
    Withdrawal.objects.filter(petition__isnull=False).filter(Exists(mine)).update(
        canonical_email=_erased()
    )


def _erased() -> Concat:
    """'erased-withdrawal-<id>': unique per row, and not an address."""
    return Concat(
        Value("erased-withdrawal-"), Cast("pk", CharField()), output_field=CharField()
    )
