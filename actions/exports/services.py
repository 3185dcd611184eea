"""Exports as workflows: record, write, hand over, expire."""

import logging
import tempfile
from collections.abc import Collection, Iterator
from contextlib import closing
from datetime import timedelta
from typing import Any, BinaryIO, TypeGuard

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from actions.core.enqueue import enqueue
from actions.core.files import delete_files, failure_reason, save_whole
from actions.core.tokens import make_download_token, read_download_token
from actions.exports.models import SignatureExport, export_storage
from actions.exports.query import columns_for, count_rows, filter_signatures
from actions.exports.writers import (
    XLSX_MAX_ROWS,
    Progress,
    TooManyRows,
    csv_chunks,
    write_csv,
    write_xlsx,
)
from actions.models import Petition
from staff.audit import record_export, record_signer_view

logger = logging.getLogger(__name__)

EXPORT_PERMISSION = "actions.export_signature"
# Every audit row, for a role that reviews exports (superusers have it).
AUDIT_PERMISSION = "exports.view_signatureexport"
BUILD_EXPORT = "actions.tasks.build_signature_export"
# The filter that keeps sensitive petitions' signers out of an export.
WITHOUT_SENSITIVE = {"sensitive": "excluded"}
# Why an export's file went before its time (kept on its record).
ERASED_NOTE = gettext_lazy(
    "File deleted: a supporter whose signature it may hold had their data erased."
)
SENSITIVE_REFUSAL = gettext_lazy(
    "This petition is sensitive: only a superuser can export its signatures."
)


class SensitivePetition(PermissionDenied):
    """Only a superuser may export the signers of a sensitive petition."""

    def __init__(self) -> None:
        super().__init__(SENSITIVE_REFUSAL)


def may_export(user: User | AnonymousUser) -> TypeGuard[User]:
    """Whether this account may take signatures out (active, with the permission)."""
    return user.is_active and user.has_perm(EXPORT_PERMISSION)


def may_export_petition(user: User | AnonymousUser, petition: Petition) -> bool:
    """Whether an exporter may take this petition's signers out."""
    return user.is_superuser or not petition.sensitive


def start_export(
    *, user: User, filters: dict[str, Any], format: str, via: str
) -> SignatureExport:
    """Record an export before any row leaves; in the background if too big.

    Above EXPORT_MAX_ROWS_PER_REQUEST rows, an admin export is queued for a
    worker (via becomes "background"). Only a superuser's export includes
    sensitive petitions: anyone else's leaves them out, in its recorded
    filters, so a petition marked sensitive before a background export runs
    is left out too. Raises PermissionDenied for a user without the export
    permission, SensitivePetition for a sensitive petition asked for by name
    and TooManyRows for an XLSX too big for a sheet. Nothing is recorded then.
    """
    if not may_export(user):
        raise PermissionDenied
    if not user.is_superuser:
        named = filters.get("petition")
        if (
            named is not None
            and Petition.objects.filter(pk=named, sensitive=True).exists()
        ):
            raise SensitivePetition
        filters = filters | WITHOUT_SENSITIVE
    xlsx = format == SignatureExport.Format.XLSX
    download = via == SignatureExport.Via.DOWNLOAD
    # A COUNT(*) of millions of rows takes a while: only when it decides.
    rows = count_rows(filters) if xlsx or download else 0
    if xlsx and rows > XLSX_MAX_ROWS:
        raise TooManyRows(rows)
    background = download and rows > settings.EXPORT_MAX_ROWS_PER_REQUEST
    export = SignatureExport.objects.create(
        user=user,
        username=user.get_username(),
        filters=filters,
        format=format,
        via=SignatureExport.Via.BACKGROUND if background else via,
        state=SignatureExport.State.QUEUED,
    )
    if background:
        transaction.on_commit(lambda: enqueue_export(export.pk), robust=True)
    else:
        export.start()
    return export


def enqueue_export(export_id: int) -> bool:
    """Hand a queued export to Celery; if the broker is down, mark it failed
    (the user asks again) and return False."""
    try:
        enqueue(BUILD_EXPORT, export_id)
    except Exception:  # kombu raises several unrelated types when Redis is down
        logger.warning("Broker unavailable; export %s not queued", export_id)
        SignatureExport(pk=export_id).fail(
            _("The task queue was unavailable. Please export again.")
        )
        return False
    return True


def stream_csv(export: SignatureExport) -> Iterator[bytes]:
    """The running export's CSV as it is written, then its record finished.

    A stream that stops early (the client went away, a database error) marks
    the record failed with the rows sent so far.
    """
    total = 0
    try:
        chunks = csv_chunks(
            filter_signatures(export.filters), columns=columns_for(export.filters)
        )
        with closing(chunks):
            for data, rows in chunks:
                total += rows
                yield data
    except BaseException as exc:  # GeneratorExit included: a dropped download
        export.fail(_stopped(total, exc))
        raise
    finish(export, rows=total)


def write_export(
    export: SignatureExport, file: BinaryIO, *, progress: Progress | None = None
) -> int:
    """Write the running export's rows to a file; the number of rows.

    The caller finishes the record (it knows where the file went). On an error
    the record is marked failed and the error raised.
    """
    writer = write_xlsx if export.format == SignatureExport.Format.XLSX else write_csv
    try:
        return writer(
            filter_signatures(export.filters),
            file,
            progress=progress,
            columns=columns_for(export.filters),
        )
    except BaseException as exc:
        export.fail(_stopped(None, exc))
        raise


def xlsx_file(export: SignatureExport) -> BinaryIO:
    """The running XLSX export written to a temporary file (rewound), its
    record finished. Raises what writing raised."""
    file = tempfile.TemporaryFile()
    try:
        rows = write_export(export, file)
    except BaseException:
        file.close()
        raise
    finish(export, rows=rows)
    file.seek(0)
    return file


def build_file(export_id: int) -> SignatureExport | None:
    """Write a queued export to a private file and finish its record.

    Repeat-safe: a finished, failed or expired export is left alone; a run
    after a worker died starts again. Raises what writing raised (a full disk
    included), the record marked failed and no part of the file left.
    """
    export = SignatureExport.objects.filter(pk=export_id).first()
    if export is None or not export.start():
        return None
    with tempfile.TemporaryFile() as file:
        rows = write_export(export, file)
        file.seek(0)
        try:
            name = save_whole(export_storage(), export_file_name(export), file)
        except BaseException as exc:
            export.fail(_stopped(None, exc))
            raise
    if not finish(export, rows=rows, file_name=name):
        export_storage().delete(name)  # a twin run finished first
    return export


def finish(export: SignatureExport, *, rows: int, file_name: str = "") -> bool:
    """Mark a running export done and write it to the audit log; False (and
    no log entry) unless it was running."""
    if not export.finish(row_count=rows, file_name=file_name):
        return False
    if export.user_id is not None:
        record_export(user_id=export.user_id, obj=export, rows=rows)
        record_sensitive_views(export, user_id=export.user_id, via="export")
    return True


def record_sensitive_views(export: SignatureExport, *, user_id: int, via: str) -> int:
    """Log a look at the signers of each sensitive petition the export may
    hold; how many were logged."""
    logged = 0
    for petition in sensitive_petitions(export):
        record_signer_view(user_id=user_id, petition=petition, via=via)
        logged += 1
    return logged


def sensitive_petitions(export: SignatureExport) -> QuerySet[Petition]:
    """The sensitive petitions (as they are now) whose signers the export's
    file may hold: none when its filters left them out."""
    if export.filters.get("sensitive") == WITHOUT_SENSITIVE["sensitive"]:
        return Petition.objects.none()
    petitions = Petition.objects.filter(sensitive=True)
    if "petition" in export.filters:
        petitions = petitions.filter(pk=export.filters["petition"])
    return petitions


def may_have_file(
    user: User | AnonymousUser,
    export: SignatureExport,
    *,
    sensitive_ids: set[int] | None = None,
) -> bool:
    """Whether this user may have the export's file as far as sensitive
    petitions go: a file that may hold their signers is for superusers only.

    ``sensitive_ids`` (the sensitive petitions' ids) spares a query a row when
    a list page asks for many exports.
    """
    if user.is_superuser:
        return True
    if sensitive_ids is None:
        return not sensitive_petitions(export).exists()
    if export.filters.get("sensitive") == WITHOUT_SENSITIVE["sensitive"]:
        return True
    named = export.filters.get("petition")
    return not sensitive_ids if named is None else int(named) not in sensitive_ids


def sensitive_petition_ids() -> set[int]:
    return set(Petition.objects.filter(sensitive=True).values_list("pk", flat=True))


def export_file_name(export: SignatureExport) -> str:
    return f"exports/signatures-{export.pk}.{export.format}"


def download_name(export: SignatureExport) -> str:
    return f"signatures-{export.created_at:%Y%m%d-%H%M}-{export.pk}.{export.format}"


def download_token(export: SignatureExport, *, user: User) -> str:
    """A link token for this user and this export, valid EXPORT_LINK_MAX_AGE."""
    return make_download_token(export_id=export.pk, user_id=user.pk)


def export_for_download(token: str, *, user: User | AnonymousUser) -> SignatureExport:
    """The finished export a token names, if this user may have its file.

    Raises signing.BadSignature (SignatureExpired included), PermissionDenied
    (no permission, or someone else's token or export), SensitivePetition (a
    file that may hold a sensitive petition's signers, to anyone but a
    superuser) or SignatureExport.DoesNotExist (gone, not ready or its file
    deleted).
    """
    export_id, user_id = read_download_token(token)
    if not may_export(user) or user_id != user.pk:
        raise PermissionDenied
    export = SignatureExport.objects.exclude(file="").get(
        pk=export_id, state=SignatureExport.State.DONE
    )
    if export.user_id != user.pk and not user.has_perm(AUDIT_PERMISSION):
        raise PermissionDenied
    if not may_have_file(user, export):
        raise SensitivePetition
    return export


def delete_expired_files() -> int:
    """Delete export files older than EXPORT_FILE_MAX_AGE; the records stay.

    Repeat-safe; returns how many files went.
    """
    cutoff = timezone.now() - timedelta(seconds=settings.EXPORT_FILE_MAX_AGE)
    expired = SignatureExport.objects.filter(
        state=SignatureExport.State.DONE, finished_at__lt=cutoff
    ).exclude(file="")
    deleted = 0
    for export in expired.iterator():
        assert export.file.name  # excluded above when empty
        export_storage().delete(export.file.name)
        deleted += export.expire()
    return deleted


def delete_files_holding(petition_ids: Collection[int]) -> int:
    """Delete every finished export file that may hold signers of these
    petitions (those exported for one of them, and those of every petition),
    after an erasure: the record stays, marked "file deleted" with the reason.

    A file the storage fails to delete is logged and left for the expiry job.
    Returns how many files went.
    """
    petitions = set(petition_ids)
    if not petitions:
        return 0
    finished = SignatureExport.objects.filter(state=SignatureExport.State.DONE).exclude(
        file=""
    )
    holding = (
        export
        for export in finished.iterator()
        # Made for one of these petitions, or for all of them.
        if export.filters.get("petition") in petitions | {None}
    )
    return delete_files(holding, storage=export_storage(), note=str(ERASED_NOTE))


def _stopped(rows: int | None, exc: BaseException) -> str:
    reason = failure_reason(exc)
    if isinstance(exc, GeneratorExit):
        reason = _("the download was interrupted")
    elif isinstance(exc, TooManyRows):
        reason = _("more rows than a spreadsheet holds")
    if rows is None:
        return _("Failed: %(reason)s") % {"reason": reason}
    return _("Stopped after %(rows)d rows: %(reason)s") % {
        "rows": rows,
        "reason": reason,
    }
