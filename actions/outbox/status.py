"""The outbox at a glance, for operators (manage.py outbox_status): how many
emails are in each state, by age, and the oldest one still waiting."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from actions.outbox.models import OutboundEmail

# Age buckets by when the row was written (upper bounds; the last has none).
AGE_BUCKETS: list[tuple[str, timedelta | None]] = [
    ("<1m", timedelta(minutes=1)),
    ("1-10m", timedelta(minutes=10)),
    ("10-60m", timedelta(hours=1)),
    ("1-24h", timedelta(days=1)),
    (">24h", None),
]
WAITING = [OutboundEmail.State.QUEUED, OutboundEmail.State.SENDING]
# SMTP replies often quote the recipient; an operator's screen need not.
ADDRESS = re.compile(r"[^\s<>\"'(),;:]+@[^\s<>\"'(),;:]+")


@dataclass(frozen=True)
class Oldest:
    id: int
    kind: str
    state: str
    age: timedelta
    attempts: int
    last_error: str


def counts_by_state_and_age(*, now: datetime | None = None) -> dict[str, list[int]]:
    """Rows per state, split into AGE_BUCKETS, in one query: every state is
    listed, empty ones with zeros."""
    now = now or timezone.now()
    buckets, newer = {}, None
    for label, upper in AGE_BUCKETS:
        age = Q() if newer is None else Q(created_at__lte=now - newer)
        if upper is not None:
            age &= Q(created_at__gt=now - upper)
        buckets[label] = Count("pk", filter=age)
        newer = upper
    rows = (
        OutboundEmail.objects.values("state")
        .annotate(**buckets)
        .values_list("state", *buckets)
        .order_by()
    )
    found = {state: list(counts) for state, *counts in rows}
    empty = [0] * len(AGE_BUCKETS)
    return {state: found.get(state, empty) for state in OutboundEmail.State.values}


def oldest_waiting(*, now: datetime | None = None) -> Oldest | None:
    """The oldest email not yet sent nor failed, its error without addresses."""
    now = now or timezone.now()
    row = (
        OutboundEmail.objects.filter(state__in=WAITING)
        .order_by("created_at", "pk")
        .values("pk", "kind", "state", "created_at", "attempts", "last_error")
        .first()
    )
    if row is None:
        return None
    return Oldest(
        id=row["pk"],
        kind=row["kind"],
        state=row["state"],
        age=now - row["created_at"],
        attempts=row["attempts"],
        last_error=ADDRESS.sub("<address>", row["last_error"]),
    )
