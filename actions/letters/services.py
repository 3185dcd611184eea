"""Letters: who a supporter writes to, what is held for moderation, saving
letters with their signature, and what confirmation and moderation change."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from actions.core.enqueue import enqueue_on_commit
from actions.letters import text
from actions.letters.models import (
    CountryRecipient,
    Letter,
    LetterSettings,
    Recipient,
)
from actions.models import Petition, Signature

Mode = LetterSettings.RecipientMode
Delivery = LetterSettings.DeliveryMode
SEND_LETTERS = "actions.tasks.send_letter_batch"


@dataclass(frozen=True)
class LetterDraft:
    """What a supporter wrote, cleaned (see actions.letters.forms)."""

    subject: str
    body: str
    postal_town: str = ""

    def as_dict(self) -> dict[str, str]:
        return {
            "subject": self.subject,
            "body": self.body,
            "postal_town": self.postal_town,
        }


def settings_of(action_ids: list[int]) -> dict[int, LetterSettings]:
    """The letter settings of these actions, by action id (one query)."""
    rows = LetterSettings.objects.filter(action__in=action_ids)
    return {row.action_id: row for row in rows}


def recipients_for(*, settings: LetterSettings, country: str) -> list[Recipient]:
    """Whom a supporter in ``country`` writes to: the fixed recipients, or
    their country's recipient, else the fallback; [] if none (the action is
    not open to that country). Inactive recipients get no new letters."""
    if settings.recipient_mode == Mode.FIXED:
        return list(settings.recipients.filter(is_active=True).order_by("pk"))
    row = (
        CountryRecipient.objects.filter(
            action=settings.action_id, country=country, recipient__is_active=True
        )
        .select_related("recipient")
        .first()
    )
    if row is not None:
        return [row.recipient]
    fallback = settings.fallback_recipient
    return [fallback] if fallback is not None and fallback.is_active else []


def is_edited(*, settings: LetterSettings, draft: LetterDraft) -> bool:
    """Whether the supporter changed the model letter (as plain text)."""
    return (
        text.one_line(settings.subject) != draft.subject
        or text.plain_text(settings.body) != draft.body
    )


def held_because(*, settings: LetterSettings, draft: LetterDraft) -> str:
    """Why an edited letter waits for moderation ('' when it need not): a
    moderation word, or more links than allowed. The model letter is the
    campaigners' own and is never held."""
    if not is_edited(settings=settings, draft=draft):
        return ""
    written = f"{draft.subject}\n{draft.body}"
    if word := text.matched_word(written, settings.words):
        return _("Holds the word “%(word)s”") % {"word": word}
    links = text.link_count(written)
    if links > settings.max_links:
        return _("%(count)s links (at most %(max)s)") % {
            "count": links,
            "max": settings.max_links,
        }
    return ""


def draft_letters(
    *, petition: Petition, country: str, letter: dict[str, str]
) -> list[Letter]:
    """Unsaved letters of one supporter, one per recipient, held for
    moderation if need be; saved by save_letters with their signature."""
    settings = LetterSettings.objects.get(action=petition.pk)
    draft = LetterDraft(**letter)
    edited = is_edited(settings=settings, draft=draft)
    reason = held_because(settings=settings, draft=draft)
    held = {"moderation_state": Letter.Moderation.HELD} if reason else {}
    now = timezone.now()
    return [
        Letter(
            action_id=petition.pk,
            recipient=recipient,
            subject=draft.subject,
            body=draft.body,
            postal_town=draft.postal_town,
            is_edited=edited,
            created_at=now,
            held_at=now if reason else None,
            held_because=reason[:200],
            **held,
        )
        for recipient in recipients_for(settings=settings, country=country)
    ]


def save_letters(*, signature: Signature, letters: list[Letter]) -> None:
    """Insert a new signature's letters (in the signing's transaction)."""
    for letter in letters:
        letter.signature = signature
    Letter.objects.bulk_create(letters)


def replace_letters(*, signature: Signature, letters: list[Letter]) -> None:
    """A taken-over suspect signature's letters become the new attempt's (in
    the caller's transaction): its unsent letters go, these come in."""
    Letter.objects.filter(
        signature=signature, delivery_state=Letter.Delivery.WAITING
    ).delete()
    save_letters(signature=signature, letters=letters)


def letters_confirmed(*, signature: Signature) -> int:
    """A letter action's signature was confirmed: its letters that need no
    moderation, or were approved, are queued for delivery (the number).
    Repeat-safe: only waiting letters move. Delivery (the outbox, bulk
    queue) starts from the letters this queues."""
    return _queue(Letter.objects.filter(signature=signature))


def _queue(letters: QuerySet[Letter]) -> int:
    """Queue the waiting letters that may go; individual-mode ones start
    going once committed (digest mode's wait for their hour)."""
    queued = _queue_only(letters)
    if (
        queued
        and letters.filter(
            delivery_state=Letter.Delivery.QUEUED,
            action__letter_settings__delivery_mode=Delivery.INDIVIDUAL,
        ).exists()
    ):
        enqueue_on_commit(SEND_LETTERS)
    return queued


def _queue_only(letters: QuerySet[Letter]) -> int:
    return letters.filter(
        delivery_state=Letter.Delivery.WAITING,
        moderation_state__in=[Letter.Moderation.NOT_NEEDED, Letter.Moderation.APPROVED],
        signature__state=Signature.State.CONFIRMED,
    ).update(delivery_state=Letter.Delivery.QUEUED, queued_at=timezone.now())


@transaction.atomic
def approve_letters(*, letter_ids: list[int]) -> list[int]:
    """Approve held letters; those whose writers confirmed are queued. The
    ids approved (letters no longer held are left as they are)."""
    held = Letter.objects.held().filter(pk__in=letter_ids)
    approved = list(held.values_list("pk", flat=True))
    Letter.objects.filter(pk__in=approved).update(
        moderation_state=Letter.Moderation.APPROVED, approved_at=timezone.now()
    )
    _queue(Letter.objects.filter(pk__in=approved))
    return approved


@transaction.atomic
def reject_letters(*, letter_ids: list[int]) -> list[int]:
    """Reject held letters: never sent, and their writers are not told. The
    ids rejected (letters no longer held are left as they are)."""
    held = Letter.objects.held().filter(pk__in=letter_ids)
    rejected = list(held.values_list("pk", flat=True))
    Letter.objects.filter(pk__in=rejected).update(
        moderation_state=Letter.Moderation.REJECTED,
        rejected_at=timezone.now(),
        delivery_state=Letter.Delivery.REJECTED,
    )
    return rejected


@dataclass(frozen=True)
class LetterCount:
    letters: int
    recipients: int


def letter_counts(action_ids: Iterable[int]) -> dict[int, LetterCount]:
    """Per letter action: its confirmed letters (queued or sent) and the
    distinct recipients they go to. One query for all."""
    ids = list(action_ids)
    rows = (
        Letter.objects.counted()
        .filter(action__in=ids)
        .values("action")
        .annotate(letters=Count("pk"), recipients=Count("recipient", distinct=True))
    )
    counts = {pk: LetterCount(0, 0) for pk in ids}
    for row in rows:
        counts[row["action"]] = LetterCount(row["letters"], row["recipients"])
    return counts


def delivery_states(action_id: int) -> dict[str, int]:
    """How many of an action's letters are in each state, for the dashboard:
    waiting, held (waiting for moderation), queued, sent, failed and
    rejected (one query)."""
    rows = (
        Letter.objects.filter(action=action_id)
        .values("delivery_state", "moderation_state")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("delivery_state", "moderation_state", "n")
    )
    states = {"held": 0} | dict.fromkeys(Letter.Delivery.values, 0)
    for delivery, moderation, n in rows:
        held = moderation == Letter.Moderation.HELD
        states["held" if held else delivery] += n
    # A letter a worker is sending is still queued until it is sent.
    states[Letter.Delivery.QUEUED] += states.pop(Letter.Delivery.SENDING)
    return states


def letters_per_day(action_id: int, *, since: datetime) -> dict[date, int]:
    """An action's counted letters (queued or sent) by the day they were
    queued, since then (one query)."""
    return dict(
        Letter.objects.counted()
        .filter(action=action_id, queued_at__gte=since)
        .annotate(day=TruncDate("queued_at"))
        .values("day")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("day", "n")
    )


def letters_by_country(action_id: int) -> dict[str, int]:
    """An action's counted letters by their writers' country, most first."""
    return _counted_by(action_id, "signature__country")


def letters_by_recipient(action_id: int) -> list[tuple[str, int]]:
    """An action's counted letters by recipient (their name), most first."""
    counts = _counted_by(action_id, "recipient")
    names = Recipient.objects.in_bulk(list(counts))
    return [(str(names[pk]), n) for pk, n in counts.items()]


def _counted_by(action_id: int, field: str) -> dict[Any, int]:
    rows = (
        Letter.objects.counted()
        .filter(action=action_id)
        .values(field)
        .annotate(n=Count("pk"))
        .order_by("-n", field)
        .values_list(field, "n")
    )
    return dict(rows)


def letters_copy(signature_ids: list[int]) -> list[dict[str, object]]:
    """A supporter's letters for their copy of their data. Reads only."""
    rows = Letter.objects.filter(signature__in=signature_ids).select_related(
        "action", "recipient"
    )
    return [
        {
            "action": letter.action.title,
            "recipient": str(letter.recipient),
            "subject": letter.subject,
            "body": letter.body,
            "postal_town": letter.postal_town,
            "written_at": letter.created_at,
            "delivery": letter.delivery_state,
            "sent_at": letter.sent_at,
        }
        for letter in rows.order_by("pk")
    ]


def erase_letters(*, signature_ids: Iterable[int]) -> int:
    """An erased supporter's letters lose what they wrote (their text may
    name them) and never leave any more: unsent ones fail, held ones are
    rejected. Counts stay. The number of letters erased."""
    letters = Letter.objects.filter(signature__in=list(signature_ids))
    now = timezone.now()
    letters.held().update(
        moderation_state=Letter.Moderation.REJECTED,
        rejected_at=now,
        delivery_state=Letter.Delivery.REJECTED,
    )
    # A claimed letter too: its sent mark then finds it no longer claimed.
    unsent = [Letter.Delivery.WAITING, Letter.Delivery.QUEUED, Letter.Delivery.SENDING]
    letters.filter(delivery_state__in=unsent).update(
        delivery_state=Letter.Delivery.FAILED, failed_at=now
    )
    return letters.update(body="", subject="", postal_town="", failure="erased")
