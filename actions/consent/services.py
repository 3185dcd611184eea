"""The wording beside a consent box, and the record of each answer.

The wording shown is identified by the SHA-256 of its text in the language
shown; its version number is given the first time it is shown. Changing the
text (or translating it) therefore makes a new version with no one having to
remember to bump a number.
"""

import hashlib
from typing import cast

from django.conf import settings
from django.core.cache import caches
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.functional import Promise
from django.utils.translation import get_language, override
from django.utils.translation import gettext_lazy as _

from actions.consent.models import ConsentRecord, ConsentWording
from actions.models import Signature

# The wording is fixed per deploy and language: each process looks its row up
# once, not on every signature.
CACHE_SECONDS = 24 * 3600

# The wording beside the signing form's updates box. Each answer is recorded
# with the SHA-256 of this text as shown (translated), and a changed text is a
# new version by itself.
UPDATES_CONSENT_TEXT = _(
    "Email me updates about this campaign and what I can do next. "
    "I can unsubscribe at any time."
)


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def updates_wording(label: str | Promise = UPDATES_CONSENT_TEXT) -> ConsentWording:
    """The updates box's wording as the signing form shows it now (its
    ``label``), in the active language."""
    language = get_language() or settings.LANGUAGE_CODE
    with override(language):
        text = str(label)
    return wording_for(text=text, language=language)


def wording_for(*, text: str, language: str) -> ConsentWording:
    """The row for this exact text, made (with the next version) on first use.

    Cached in this process. Safe under concurrent first uses: the unique
    hash and version settle a race, and the loser reads the winner's row.
    """
    digest = text_hash(text)
    return cast(
        ConsentWording,
        caches["rows"].get_or_set(
            f"consent-wording:{digest}",
            lambda: _wording_row(digest, text=text, language=language),
            CACHE_SECONDS,
        ),
    )


def refresh_wording(wording: ConsentWording) -> ConsentWording:
    """The row of this wording's text, read (or made) anew past the cache."""
    caches["rows"].delete(f"consent-wording:{wording.text_hash}")
    return wording_for(text=wording.text, language=wording.language)


def _wording_row(digest: str, *, text: str, language: str) -> ConsentWording:
    for _attempt in range(5):
        found = ConsentWording.objects.filter(text_hash=digest).first()
        if found is not None:
            return found
        latest = ConsentWording.objects.aggregate(latest=Max("version"))["latest"]
        try:
            with transaction.atomic():
                return ConsentWording.objects.create(
                    version=(latest or 0) + 1,
                    text_hash=digest,
                    text=text,
                    language=language,
                )
        except IntegrityError:
            continue  # another process took this hash or version first
    raise RuntimeError("Could not record the consent wording")


def signing_record(*, wants_updates: bool, wording: ConsentWording) -> ConsentRecord:
    """The record of a signing form's answer, unsaved (the signing path writes
    it in the statement that inserts the signature)."""
    return ConsentRecord(
        given=wants_updates, wording=wording, form=ConsentRecord.Form.SIGNING
    )


def record_signing_again(*, signature: Signature, record: ConsentRecord) -> None:
    """Record a signing's answer whose cached wording row had gone (its
    database was reset), with the wording read or made afresh, and set that
    wording's version on the signature."""
    assert record.wording is not None  # a signing's record names its wording
    record.wording = refresh_wording(record.wording)
    record.signature = signature
    record.save(force_insert=True)
    if signature.wants_updates:
        signature.consent_version = str(record.wording.version)
        Signature.objects.filter(pk=signature.pk).update(
            consent_version=signature.consent_version
        )


def record_withdrawal(*, signature_id: int, everything: bool, form: str) -> None:
    """Append a withdrawal: no more updates for this signature's petition, or
    for every petition with everything=True."""
    ConsentRecord.objects.create(
        signature_id=signature_id, given=False, all_petitions=everything, form=form
    )


def records_copy(signature_ids: list[int]) -> list[dict[str, object]]:
    """The consent records of these signatures, oldest first, as a supporter's
    copy of their data shows them. Reads only."""
    records = (
        ConsentRecord.objects.filter(signature__in=signature_ids)
        .select_related("wording", "signature__petition")
        .order_by("recorded_at", "pk")
    )
    return [
        {
            "petition": record.signature.petition.title,
            "given": record.given,
            "all_petitions": record.all_petitions,
            "form": record.get_form_display(),
            "recorded_at": record.recorded_at,
            "wording_version": record.wording.version if record.wording else None,
            "wording": record.wording.text if record.wording else None,
            "wording_sha256": record.wording.text_hash if record.wording else None,
            "wording_language": record.wording.language if record.wording else None,
        }
        for record in records
    ]
