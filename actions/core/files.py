"""Files that background jobs (exports, delivery packs) leave in storage.

Both keep a row per file with a ``file`` field, an ``expire()`` transition
and an ``error`` note; this is the one place that deletes such files early.
"""

import errno
import logging
from collections.abc import Iterable
from typing import BinaryIO, Protocol

from django.core.files import File
from django.core.files.storage import Storage
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


class FileJob(Protocol):
    pk: int
    file: FieldFile

    def expire(self) -> bool: ...


def save_whole(storage: Storage, name: str, content: BinaryIO) -> str:
    """Save a job's file under ``name`` (or the free name the storage picks)
    and return that name. All or nothing: a file left half written (a full
    disk) is deleted before the error is raised again."""
    name = storage.get_available_name(name)
    try:
        return storage.save(name, File(content))
    except BaseException:
        try:
            if storage.exists(name):
                storage.delete(name)
        except Exception:  # the error that matters is the one raised below
            logger.exception("Half-written file %s not deleted", name)
        raise


def failure_reason(exc: BaseException) -> str:
    """Why a job failed, for its record: a full disk said plainly."""
    if isinstance(exc, OSError) and exc.errno in {errno.ENOSPC, errno.EDQUOT}:
        return _("the disk is full (free some space, then ask again)")
    return str(exc) or type(exc).__name__


def delete_files(jobs: Iterable[FileJob], *, storage: Storage, note: str) -> int:
    """Delete each job's file and mark its row expired with ``note``; how
    many went. A file the storage fails to delete is logged and left for the
    expiry job, so the caller (an erasure) never fails on it."""
    deleted = 0
    for job in jobs:
        assert job.file.name  # callers pass finished jobs with a file
        try:
            storage.delete(job.file.name)
        except Exception:  # storages raise their own types (OSError, boto...)
            logger.exception("%s %s: file not deleted", type(job).__name__, job.pk)
            continue
        if job.expire():
            type(job)._default_manager.filter(pk=job.pk).update(error=note)  # type: ignore[attr-defined]
            deleted += 1
    return deleted
