"""A petition's public timeline and the accountability clock.

The public sees published entries only: the clock runs from a published
delivery until a published response, so an answer not yet published does not
show, and neither does its date.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from actions import lifecycle
from actions.lifecycle import TransitionRefused
from actions.models import Petition
from actions.timeline.models import Delivery, Response
from statements.models import Statement


@dataclass(frozen=True)
class Timeline:
    petition: Petition
    delivery: Delivery | None
    response: Response | None
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
    """The public timeline of each petition, by id; two queries."""
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
    return {
        p.pk: _timeline(p, deliveries.get(p.pk), responses.get(p.pk), now=now)
        for p in petitions
    }


def _timeline(
    petition: Petition,
    delivery: Delivery | None,
    response: Response | None,
    *,
    now: datetime,
) -> Timeline:
    days = 0
    if delivery is not None:
        end = response.received_at if response is not None else now
        days = days_between(delivery.delivered_at, end)
    return Timeline(petition, delivery, response, days)


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
    return [_timeline(d.petition, d, None, now=now) for d in deliveries]


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


_DELIVER = lifecycle.TRANSITIONS["deliver"]
