"""Confirmed signatures on a given UTC day, and that day committed."""

from datetime import UTC, date, datetime, timedelta

from actions.models import Petition, Signature
from actions.receipts.models import DailyRoot
from actions.receipts.services import commit_day
from actions.tests.factories import make_signature

DAY = date(2026, 11, 2)


def at(day: date = DAY, seconds: int = 0) -> datetime:
    """A time on that day, ``seconds`` after midnight UTC."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
        seconds=seconds
    )


def confirmed_on(
    petition: Petition, count: int, day: date = DAY, **fields: object
) -> list[Signature]:
    return [
        make_signature(
            petition,
            state=Signature.State.CONFIRMED,
            confirmed_at=at(day, 60 * i + 1),
            **fields,
        )
        for i in range(count)
    ]


def committed(day: date = DAY) -> DailyRoot:
    daily = commit_day(day=day)
    assert daily is not None
    return daily
