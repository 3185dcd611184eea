"""What the campaign dashboard shows for one petition: counts, never signers.

Every figure is an aggregate, computed in a fixed number of queries whatever
the number of signatures.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, F, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django_countries import countries

from actions.dashboard import charts
from actions.followups import services as followups
from actions.followups.models import FollowUp, FollowUpDelivery
from actions.letters import delivery as letter_delivery
from actions.letters import services as letters
from actions.models import Petition, Signature

DAYS = 90
TOP_COUNTRIES = 20
TOP_SOURCES = 20
TOP_RECIPIENTS = 20


class _PerDayAndCountry:
    """The charts a petition's signatures and a letter action's letters share:
    a count per day over DAYS days, and by country."""

    per_day: list[tuple[date, int]]
    by_country: list[tuple[str, int]]

    @property
    def in_period(self) -> int:
        return sum(count for day, count in self.per_day)

    @property
    def day_chart(self) -> charts.DaySeries:
        return charts.day_series(self.per_day)

    @property
    def country_chart(self) -> charts.BarChart:
        return charts.bar_chart(self.by_country)


@dataclass(frozen=True)
class PetitionDashboard(_PerDayAndCountry):
    petition: Petition
    confirmed: int
    pending: int
    suspect: int
    per_day: list[tuple[date, int]]
    by_country: list[tuple[str, int]]
    by_source: list[tuple[str, int]]
    # Confirmed signatures per version of the text (None: before versions).
    by_version: list[tuple[int | None, int]]
    follow_ups: list["FollowUpProgress"]
    # A letter action's letters; None for a petition.
    letters: "LetterDashboard | None" = None

    @property
    def goal_percent(self) -> int:
        return min(100, self.confirmed * 100 // self.petition.goal)

    @property
    def source_chart(self) -> charts.BarChart:
        return charts.bar_chart(self.by_source)

    @property
    def follow_up_chart(self) -> charts.BarChart:
        return charts.bar_chart(
            [(f.follow_up.subject, f.sent) for f in self.follow_ups]
        )


@dataclass(frozen=True)
class LetterDashboard(_PerDayAndCountry):
    """A letter action's letters: its writers are the signatures above."""

    states: dict[str, int]
    per_day: list[tuple[date, int]]
    by_country: list[tuple[str, int]]
    by_recipient: list[tuple[str, int]]
    bounced: list[letter_delivery.BouncedRecipient]

    @property
    def recipient_chart(self) -> charts.BarChart:
        return charts.bar_chart(self.by_recipient)


@dataclass(frozen=True)
class FollowUpProgress:
    follow_up: FollowUp
    queued: int
    sent: int
    failed: int


def petition_dashboard(
    *, petition: Petition, today: date | None = None
) -> PetitionDashboard:
    """The dashboard's figures for a petition; reads only (seven queries,
    up to nine more for a letter action's letters).

    Confirmed comes from the counter shards, as the public count does; the
    charts count confirmed signatures, the last DAYS days ending ``today``.
    """
    signatures = Signature.objects.filter(petition=petition)
    confirmed = signatures.filter(state=Signature.State.CONFIRMED)
    by_country = _grouped(confirmed, "country")
    uncounted, by_version = _states_and_versions(signatures)
    today = today or timezone.localdate()
    return PetitionDashboard(
        petition=petition,
        confirmed=petition.confirmed_count(),
        pending=uncounted.get(Signature.State.PENDING, 0),
        suspect=uncounted.get(Signature.State.SUSPECT, 0),
        per_day=_per_day(confirmed, today),
        by_country=_countries(by_country),
        by_source=_sources(confirmed, total=sum(by_country.values())),
        by_version=by_version,
        follow_ups=_follow_ups(petition),
        letters=_letters(petition, today) if petition.is_letter else None,
    )


def _letters(action: Petition, today: date) -> LetterDashboard:
    """A letter action's letters: by state; those counted (queued or sent)
    per day, by writers' country and by recipient; bounced recipients."""
    first = _first_day(today)
    counts = letters.letters_per_day(action.pk, since=_start(first))
    by_recipient = letters.letters_by_recipient(action.pk)
    top, rest = by_recipient[:TOP_RECIPIENTS], by_recipient[TOP_RECIPIENTS:]
    if rest:
        top.append((_("Other recipients"), sum(n for label, n in rest)))
    return LetterDashboard(
        states=letters.delivery_states(action.pk),
        per_day=[(day, counts.get(day, 0)) for day in _days(first)],
        by_country=_countries(letters.letters_by_country(action.pk)),
        by_recipient=top,
        bounced=letter_delivery.bounced_recipients(action_ids=[action.pk]),
    )


def _follow_ups(petition: Petition) -> list[FollowUpProgress]:
    """The petition's follow-ups past draft, newest first, with their emails."""
    sent_or_sending = list(
        FollowUp.objects.filter(petition=petition)
        .exclude(state=FollowUp.State.DRAFT)
        .order_by("-pk")
    )
    counts = followups.progress([f.pk for f in sent_or_sending])
    states = FollowUpDelivery.State
    return [
        FollowUpProgress(
            follow_up=f,
            queued=counts[f.pk].get(states.QUEUED, 0)
            + counts[f.pk].get(states.SENDING, 0),
            sent=counts[f.pk].get(states.SENT, 0),
            failed=counts[f.pk].get(states.FAILED, 0),
        )
        for f in sent_or_sending
    ]


def _states_and_versions(
    signatures: QuerySet[Signature],
) -> tuple[dict[str, int], list[tuple[int | None, int]]]:
    """Pending and suspect signatures, and confirmed ones per version of the
    text, oldest first: one query."""
    states = Signature.State
    rows = (
        signatures.filter(state__in=[states.PENDING, states.SUSPECT, states.CONFIRMED])
        .values("state", "revision__number")
        .annotate(n=Count("pk"))
        .order_by(F("revision__number").asc(nulls_first=True))
        .values_list("state", "revision__number", "n")
    )
    uncounted: dict[str, int] = {}
    by_version: list[tuple[int | None, int]] = []
    for state, number, n in rows:
        if state == states.CONFIRMED:
            by_version.append((number, n))
        else:
            uncounted[state] = uncounted.get(state, 0) + n
    return uncounted, by_version


def _first_day(today: date) -> date:
    return today - timedelta(days=DAYS - 1)


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def _days(first: date) -> list[date]:
    return [first + timedelta(days=n) for n in range(DAYS)]


def _per_day(confirmed: QuerySet[Signature], today: date) -> list[tuple[date, int]]:
    first = _first_day(today)
    counts = dict(
        confirmed.filter(confirmed_at__gte=_start(first))
        .annotate(day=TruncDate("confirmed_at"))
        .values("day")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("day", "n")
    )
    return [(day, counts.get(day, 0)) for day in _days(first)]


def _grouped(
    signatures: QuerySet[Signature], field: str, limit: int | None = None
) -> dict[str, int]:
    rows = (
        signatures.values(field)
        .annotate(n=Count("pk"))
        .order_by("-n", field)
        .values_list(field, "n")
    )
    return dict(rows[:limit] if limit else rows)


def _countries(by_country: dict[str, int]) -> list[tuple[str, int]]:
    named = [
        (countries.name(code) or code or _("Country not given"), n)
        for code, n in by_country.items()
    ]
    top, rest = named[:TOP_COUNTRIES], named[TOP_COUNTRIES:]
    if rest:
        top.append((_("Other countries"), sum(n for label, n in rest)))
    return top


def _sources(confirmed: QuerySet[Signature], *, total: int) -> list[tuple[str, int]]:
    # Sources are free text, perhaps thousands of them: only the top ones are
    # fetched, and the rest is what the total leaves.
    top = _grouped(confirmed, "source", TOP_SOURCES)
    rows = [(source or _("(no source)"), n) for source, n in top.items()]
    rest = total - sum(top.values())
    if rest:
        rows.append((_("Other sources"), rest))
    return rows
