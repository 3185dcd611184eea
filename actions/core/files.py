"""Files that background jobs (exports, delivery packs) leave in storage.

Both keep a row per file with a ``file`` field, an ``expire()`` transition
and an ``error`` note; this is the one place that deletes such files early.
"""

import logging
from collections.abc import Iterable
from typing import Protocol

from django.core.files.storage import Storage
from django.db.models.fields.files import FieldFile

logger = logging.getLogger(__name__)


class FileJob(Protocol):
    pk: int
    file: FieldFile

    def expire(self) -> bool: ...


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
