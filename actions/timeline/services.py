"""A petition's public timeline and the accountability clock.

The public sees published entries only: the clock runs from a published
delivery until a published response, so an answer not yet published does not
show, and neither does its date.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from actions import lifecycle
from actions.lifecycle import TransitionRefused
from actions.models import Petition
from actions.timeline.models import Delivery, Outcome, Response
from statements.models import Statement


@dataclass(frozen=True)
class Timeline:
    petition: Petition
    delivery: Delivery | None
    response: Response | None
    outcome: Outcome | None
    days: int  # since delivery (no answer yet), or how long the answer took

    @property
    def is_waiting(self) -> bool:
        """Delivered, and no answer yet: the clock runs."""
        return self.delivery is not None and self.response is None


def days_between(start: datetime, end: datetime) -> int:
    """Whole days from start to end, never negative."""
    return max(0, (end - start).days)


def timelines(
    petitions: Iterable[Petition], *, now: datetime | None = None
) -> dict[int, Timeline]:
    """The public timeline of each petition, by id; three queries."""
    now = now or timezone.now()
    petitions = list(petitions)
    ids = [p.pk for p in petitions]
    deliveries = {
        d.petition_id: d
        for d in Delivery.objects.published(now=now).filter(petition_id__in=ids)
    }
    responses = {
        r.petition_id: r
        for r in Response.objects.published(now=now).filter(petition_id__in=ids)
    }
    outcomes = {
        o.petition_id: o
        for o in Outcome.objects.published(now=now).filter(petition_id__in=ids)
    }
    return {
        p.pk: _timeline(
            p, deliveries.get(p.pk), responses.get(p.pk), outcomes.get(p.pk), now=now
        )
        for p in petitions
    }


def _timeline(
    petition: Petition,
    delivery: Delivery | None,
    response: Response | None,
    outcome: Outcome | None,
    *,
    now: datetime,
) -> Timeline:
    days = 0
    if delivery is not None:
        end = response.received_at if response is not None else now
        days = days_between(delivery.delivered_at, end)
    return Timeline(petition, delivery, response, outcome, days)


def open_clocks(*, now: datetime | None = None) -> list[Timeline]:
    """Every public petition delivered with no published answer, longest
    waiting first."""
    now = now or timezone.now()
    deliveries = (
        Delivery.objects.published(now=now)
        .filter(petition__statement__in=Statement.objects.published())
        .exclude(petition__response__in=Response.objects.published(now=now))
        .select_related("petition__target", "petition__statement")
        .order_by("delivered_at", "pk")
    )
    return [_timeline(d.petition, d, None, None, now=now) for d in deliveries]


def published_photo(*, slug: str) -> Delivery:
    """The published delivery with a photo of this public petition; raises
    Http404 if there is none."""
    return get_object_or_404(
        Delivery.objects.published()
        .exclude(photo="")
        .filter(petition__statement__in=Statement.objects.visible()),
        petition__slug=slug,
    )


@transaction.atomic
def record_delivery(*, delivery: Delivery, user_id: int) -> None:
    """Save the delivery and, if the petition is closed, make the "deliver"
    transition at its time. Raises lifecycle.TransitionRefused, saving
    nothing, if the petition still takes signatures."""
    petition = delivery.petition
    if petition.state in {Petition.State.SCHEDULED, Petition.State.OPEN}:
        raise TransitionRefused(lifecycle.refusal(petition, _DELIVER))
    delivery.save()
    if petition.state == Petition.State.CLOSED:
        lifecycle.make_transition(
            petition=petition,
            name="deliver",
            user_id=user_id,
            at=min(delivery.delivered_at, timezone.now()),
        )


@transaction.atomic
def record_response(*, response: Response) -> list[str]:
    """Save the target's response and cancel the petition's reminders not yet
    started: the target has answered. The subjects of those cancelled."""
    response.save()
    cancelled = lifecycle.stop_reminders(petition=response.petition)
    return [follow_up.subject for follow_up in cancelled]


@transaction.atomic
def record_outcome(*, outcome: Outcome, user_id: int) -> None:
    """Save the outcome; "won" also makes the "win" transition, unless the
    petition is won already. Raises TransitionRefused, saving nothing, if a
    scheduled petition is said to be won."""
    outcome.save()
    won = outcome.result == Outcome.Result.WON
    if won and outcome.petition.state != Petition.State.WON:
        lifecycle.make_transition(
            petition=outcome.petition, name="win", user_id=user_id
        )


def statement_ids_with_outcome(result: str) -> "QuerySet[Petition, int]":
    """The statements with a petition of this published outcome (a subquery);
    a petition won by its transition alone counts as won."""
    petitions = Petition.objects.filter(
        pk__in=Outcome.objects.published().filter(result=result).values("petition")
    )
    if result == Outcome.Result.WON:
        petitions = petitions | Petition.objects.filter(state=Petition.State.WON)
    return petitions.values_list("statement_id", flat=True)


_DELIVER = lifecycle.TRANSITIONS["deliver"]
