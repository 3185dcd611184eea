"""Keeping the text people signed: a new version when it changes after
signatures exist, the note and the diff a public page shows."""

import difflib
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from actions.models import Petition
from actions.revisions.models import TEXT_FIELDS, Revision


class NothingChanged(Exception):
    """The text is the same as its current version: no new version."""


def snapshot(petition: Petition) -> dict[str, str]:
    """The text a signer of this petition sees now, in the original language:
    the version that binds; translations render it (docs/languages.md)."""
    statement = petition.statement
    with translation.override(settings.LANGUAGE_CODE):
        return {
            "statement_title": statement.title,
            "standfirst": statement.standfirst,
            "body": statement.body,
            "petition_title": petition.title,
            "target_name": petition.target.name,
            "demand": petition.demand,
        }


@transaction.atomic
def publish_revision(*, petition: Petition, is_minor: bool = False) -> Revision:
    """Keep the petition's text as it is now and make it the version signatures
    record. Nobody signed the current version yet: it is corrected in place.
    Raises NothingChanged if the text is that of the current version."""
    locked = Petition.objects.select_for_update().get(pk=petition.pk)
    text, now = snapshot(petition), timezone.now()
    current = (
        Revision.objects.filter(pk=locked.current_revision_id).first()
        if locked.current_revision_id
        else None
    )
    if current is not None and current.text() == text:
        raise NothingChanged(
            _("Nothing in the signed text changed since version %(number)d.")
            % {"number": current.number}
        )
    if current is not None and not current.signatures.exists():
        Revision.objects.filter(pk=current.pk).update(**text, created_at=now)
        current.refresh_from_db()
        return current
    revision = Revision.objects.create(
        petition=locked,
        number=current.number + 1 if current else 1,
        is_minor=is_minor and current is not None,
        created_at=now,
        **text,
    )
    Petition.objects.filter(pk=locked.pk).update(current_revision=revision)
    petition.current_revision = revision
    return revision


def record_revisions(*, petitions: list[Petition], is_minor: bool = False) -> int:
    """A new version for each of these petitions whose text changed; how many.
    Safe to repeat: an unchanged petition gets none."""
    made = 0
    for petition in petitions:
        try:
            publish_revision(petition=petition, is_minor=is_minor)
        except NothingChanged:
            continue
        made += 1
    return made


@dataclass(frozen=True)
class DiffLine:
    label: str
    kind: str  # "added", "removed" or "same"
    text: str


@dataclass(frozen=True)
class Change:
    """What a public page says of a changed text: since when, and how."""

    changed_at: datetime
    since_number: int
    lines: list[DiffLine]


def latest_changes(petitions: list[Petition]) -> dict[int, Change]:
    """For each petition whose text changed other than in a minor way, its last
    such change as a diff from the version before it to the current one. One
    query, whatever the number of petitions."""
    revisions: dict[int, list[Revision]] = {}
    for revision in Revision.objects.filter(
        petition__in=[p.pk for p in petitions]
    ).order_by("petition", "number"):
        revisions.setdefault(revision.petition_id, []).append(revision)
    changes = {}
    for petition_id, kept in revisions.items():
        major = [r for r in kept[1:] if not r.is_minor]
        if major:
            earlier = kept[kept.index(major[-1]) - 1]
            lines = diff(earlier, kept[-1])
            changes[petition_id] = Change(major[-1].created_at, earlier.number, lines)
    return changes


def diff(old: Revision, new: Revision) -> list[DiffLine]:
    """Line by line, the fields that differ; plain text, escaped where shown."""
    lines = []
    for name in TEXT_FIELDS:
        before, after = getattr(old, name), getattr(new, name)
        if before == after:
            continue
        label = str(getattr(Revision._meta.get_field(name), "verbose_name", name))
        for line in difflib.ndiff(before.splitlines(), after.splitlines()):
            kind = {"+ ": "added", "- ": "removed", "  ": "same"}.get(line[:2])
            if kind:
                lines.append(DiffLine(label, kind, line[2:]))
    return lines
