"""A petition's course: scheduled, open, closed, delivered, won.

States move only through the named transitions here. Each is one conditional
UPDATE (Petition.move) that stamps its time, with its audit entry and the
follow-ups it starts, all or none: of two campaigners pressing the same
button at once, one moves the petition and the other is told it moved already.
Campaigners press them in the admin; the beat job (run_petition_schedule)
opens and closes petitions at their times, as the system user
(staff.audit.system_user_id).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.contrib.humanize.templatetags.humanize import intcomma
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django_stubs_ext import StrOrPromise

from actions.followups import services as followups
from actions.followups.models import FollowUp
from actions.models import Petition
from staff import audit

State = Petition.State


@dataclass(frozen=True)
class Transition:
    name: str
    label: StrOrPromise  # the button
    sources: tuple[str, ...]
    move: Callable[..., bool]  # the Petition method, called with at=
    rule: StrOrPromise  # why it is refused from any other state
    milestone: str = ""  # the trigger of the follow-ups it starts


TRANSITIONS = {
    transition.name: transition
    for transition in [
        Transition(
            "open",
            gettext_lazy("Open now"),
            (State.SCHEDULED,),
            Petition.open,
            gettext_lazy("only a scheduled petition can be opened"),
        ),
        Transition(
            "close",
            gettext_lazy("Close"),
            (State.SCHEDULED, State.OPEN),
            Petition.close,
            gettext_lazy("only a scheduled or open petition can be closed"),
            milestone=followups.Trigger.CLOSED,
        ),
        Transition(
            "deliver",
            gettext_lazy("Mark delivered"),
            (State.CLOSED,),
            Petition.mark_delivered,
            gettext_lazy("only a closed petition can be marked delivered"),
            milestone=followups.Trigger.DELIVERED,
        ),
        Transition(
            "win",
            gettext_lazy("Mark won"),
            (State.OPEN, State.CLOSED, State.DELIVERED),
            Petition.mark_won,
            gettext_lazy("only an open, closed or delivered petition can be won"),
            milestone=followups.Trigger.WON,
        ),
    ]
}


class TransitionRefused(Exception):
    """Not allowed from the petition's state; the message says why."""


def allowed(petition: Petition) -> list[Transition]:
    """The transitions a campaigner may make from the petition's state."""
    return [t for t in TRANSITIONS.values() if not refusal(petition, t)]


def refusal(
    petition: Petition, transition: Transition, *, at: datetime | None = None
) -> str:
    """Why the transition cannot be made at ``at`` (now); empty if it can."""
    state = State(petition.state).label
    if petition.state not in transition.sources:
        return _("“%(petition)s” is %(state)s: %(rule)s.") % {
            "petition": petition,
            "state": str(state).lower(),
            "rule": transition.rule,
        }
    at = at or timezone.now()
    closed = petition.closes_at is not None and petition.closes_at <= at
    if transition.name == "open" and closed:
        return _(
            "“%(petition)s” cannot open: its closing time has passed. "
            "Move its closing time first."
        ) % {"petition": petition}
    return ""


def describe(petition: Petition, transition: Transition) -> list[str]:
    """What the transition will do, as the confirmation page says it."""
    count = petition.confirmed_count()
    numbers = {"count": intcomma(count)}
    if transition.name == "open":
        lines = [_("This opens the petition now: it takes signatures from now on.")]
    elif transition.name == "close":
        lines = [
            ngettext(
                "This closes the petition at %(count)s signature: it takes no more.",
                "This closes the petition at %(count)s signatures: it takes no more.",
                count,
            )
            % numbers
        ]
    elif transition.name == "deliver":
        lines = [
            ngettext(
                "This marks the petition delivered, at %(count)s signature.",
                "This marks the petition delivered, at %(count)s signatures.",
                count,
            )
            % numbers
        ]
    else:
        lines = [
            ngettext(
                "This marks the petition won, at %(count)s signature.",
                "This marks the petition won, at %(count)s signatures.",
                count,
            )
            % numbers
        ]
        if petition.state == State.OPEN:
            lines.append(_("It closes the petition too: it takes no more signatures."))
    return lines + _follow_ups(petition, transition)


def milestones(transition: Transition, source: str) -> list[str]:
    """The follow-up triggers the transition fires from this state: winning
    an open petition closes it too."""
    triggers = [transition.milestone] if transition.milestone else []
    if transition.name == "win" and source == State.OPEN:
        triggers.insert(0, followups.Trigger.CLOSED)
    return triggers


def _follow_ups(petition: Petition, transition: Transition) -> list[str]:
    triggers = milestones(transition, petition.state)
    if not triggers:
        return []
    started = [
        follow_up
        for trigger in triggers
        for follow_up in followups.milestone_follow_ups(
            petition=petition, trigger=trigger
        )
    ]
    if not started:
        return [_("No follow-up is scheduled to start with it.")]
    return [
        _("It starts the follow-up “%(subject)s”.") % {"subject": follow_up.subject}
        for follow_up in started
    ]


@transaction.atomic
def make_transition(
    *, petition: Petition, name: str, user_id: int, at: datetime | None = None
) -> None:
    """Make the transition ``name`` at ``at`` (now): stamp its time, log it for
    ``user_id`` and start its follow-ups, all or none. Raises
    TransitionRefused, having changed nothing, if its state does not allow it
    (another campaigner may have moved it a moment ago)."""
    transition = TRANSITIONS[name]
    # Locked: a concurrent press waits here, then sees the state it left.
    current = Petition.objects.select_for_update().get(pk=petition.pk)
    if reason := refusal(current, transition, at=at):
        raise TransitionRefused(reason)
    source = current.state
    if not transition.move(current, at=at):
        current.refresh_from_db()  # moved meanwhile, where rows are not locked
        raise TransitionRefused(
            refusal(current, transition, at=at)
            or _("“%(petition)s” changed meanwhile: nothing was done.")
            % {"petition": current}
        )
    audit.record_transition(
        user_id=user_id, obj=current, name=name, source=source, target=current.state
    )
    for trigger in milestones(transition, source):
        followups.start_milestones(petition_ids=[current.pk], trigger=trigger)
    petition.refresh_from_db()


def stop_reminders(*, petition: Petition) -> list[FollowUp]:
    """The target answered: the days-after-delivery reminders not yet started
    are cancelled; the ones cancelled."""
    return followups.cancel_reminders(petition=petition)


def run_petition_schedule(*, now: datetime | None = None) -> int:
    """Open scheduled petitions whose opening time has come and close those
    whose closing time has passed, each stamped with that time and logged as
    the system user; how many moved. Repeat-safe."""
    now = now or timezone.now()
    moved = 0
    due = Petition.objects.filter(state=State.SCHEDULED, opens_at__lte=now)
    for petition in due.order_by("pk"):
        moved += _on_time(petition, "open", at=petition.opens_at)
    # Scheduled ones too, should one have failed to open.
    due = Petition.objects.filter(
        state__in=[State.SCHEDULED, State.OPEN], closes_at__lte=now
    )
    for petition in due.order_by("pk"):
        assert petition.closes_at is not None  # filtered on it
        moved += _on_time(petition, "close", at=petition.closes_at)
    return moved


def _on_time(petition: Petition, name: str, *, at: datetime) -> int:
    try:
        make_transition(
            petition=petition, name=name, user_id=audit.system_user_id(), at=at
        )
    except TransitionRefused:
        return 0  # a campaigner or another run moved it first
    return 1
