"""Who a follow-up goes to: one petition's consenting signers, a statement's or
a topic's (each person once), and how many they are."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from actions.followups.models import FollowUp, FollowUpDelivery, Withdrawal
from actions.models import Petition, PetitionCounter, Signature
from actions.suppressions.services import exclude_suppressed


def petitions(follow_up: FollowUp) -> QuerySet[Petition]:
    """The petitions whose signers a follow-up may reach."""
    if follow_up.petition_id is not None:
        return Petition.objects.filter(pk=follow_up.petition_id)
    if follow_up.statement_id is not None:
        return Petition.objects.filter(statement=follow_up.statement_id)
    return Petition.objects.filter(statement__topics=follow_up.topic_id)


def recipients(follow_up: FollowUp) -> QuerySet[Signature]:
    """The signatures a follow-up may be sent to, now.

    Confirmed, with the updates box ticked, not erased, not withdrawn from this
    petition's updates (for a statement's or topic's follow-up: from any of its
    petitions') or from all updates since signing, and not on the suppression
    list (a hard bounce or a spam complaint). The one place that decides:
    applied when deliveries are queued and again when they are sent. With
    ``signed_version_at_most``, only signatures of that version or earlier. A person
    may have several signatures here: one_per_person() picks one to queue.
    """
    if follow_up.petition_id is not None:
        signed = Signature.objects.filter(petition=follow_up.petition_id)
        withdrawn_here = Q(petition=follow_up.petition_id)
    else:
        # An email they unsubscribed from through one petition must not come
        # back to them through another of the same statement or topic.
        signed = Signature.objects.filter(petition__in=petitions(follow_up))
        withdrawn_here = Q(petition__in=petitions(follow_up))
    withdrawn = Withdrawal.objects.filter(
        canonical_email=OuterRef("canonical_email")
    ).filter(
        withdrawn_here
        | Q(petition__isnull=True, withdrawn_at__gte=OuterRef("created_at"))
    )
    consenting = signed.filter(
        state=Signature.State.CONFIRMED,
        wants_updates=True,
        anonymised_at=None,  # erased: no address left to write to
    ).exclude(Exists(withdrawn))
    if follow_up.signed_version_at_most is not None:
        # Each petition numbers its own versions.
        consenting = consenting.filter(
            revision__number__lte=follow_up.signed_version_at_most
        )
    return exclude_suppressed(consenting)


def one_per_person(
    follow_up: FollowUp, signatures: QuerySet[Signature]
) -> QuerySet[Signature]:
    """Of these signatures, the latest (highest id) per canonical email, and
    none of an address the follow-up was queued for already (a days-after one
    queues over days). A petition has one signature per address already."""
    if follow_up.petition_id is not None:
        return signatures
    later = signatures.filter(
        canonical_email=OuterRef("canonical_email"), pk__gt=OuterRef("pk")
    )
    queued = FollowUpDelivery.objects.filter(
        follow_up=follow_up.pk, signature__canonical_email=OuterRef("canonical_email")
    )
    return signatures.filter(~Exists(later), ~Exists(queued))


def signature_count(follow_up: FollowUp) -> int:
    """What {{ signature_count }} shows: the petition's confirmed signatures,
    or those of all the statement's or topic's petitions together."""
    if follow_up.petition is not None:
        return follow_up.petition.confirmed_count()
    counters = PetitionCounter.objects.filter(petition__in=petitions(follow_up))
    return counters.aggregate(total=Sum("confirmed"))["total"] or 0


@dataclass(frozen=True)
class Reach:
    """How many people a follow-up reaches if it is scheduled now.

    One-off: everyone it would go to if it started now. Days after
    confirmation: nobody at once; ``people`` confirmed in the last ``days``
    days and get it on their day, and more follow as people confirm.
    """

    people: int
    days: int | None = None


def reach(follow_up: FollowUp) -> Reach:
    """Count the people a follow-up would reach, scheduled now. Reads only."""
    signatures = recipients(follow_up)
    if follow_up.is_recurring:
        assert follow_up.days_after is not None  # constraint
        since = timezone.now() - timedelta(days=follow_up.days_after)
        signatures = signatures.filter(confirmed_at__gt=since)
    people = signatures.values("canonical_email").distinct().count()
    return Reach(people, follow_up.days_after if follow_up.is_recurring else None)
