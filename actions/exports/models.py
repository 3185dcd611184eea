from django.conf import settings
from django.core.files.storage import Storage, storages
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def export_storage() -> Storage:
    """Where export files go: the "exports" storage of settings.STORAGES (the
    file system by default, object storage on several hosts; see
    docs/operations.md)."""
    return storages["exports"]


class SignatureExport(models.Model):
    """One export of signatures: who took which rows, when, and how.

    Kept after the file is gone: the record is the audit trail.
    """

    class Format(models.TextChoices):
        CSV = "csv", _("CSV")
        XLSX = "xlsx", _("Excel (XLSX)")

    class Via(models.TextChoices):
        DOWNLOAD = "download", _("admin, downloaded at once")
        BACKGROUND = "background", _("admin, built in the background")
        COMMAND = "command", _("command line")

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("File deleted")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("user"),
    )
    # Kept as typed at the time, so the record survives the account.
    username = models.CharField(_("username"), max_length=150)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    format = models.CharField(_("format"), max_length=10, choices=Format.choices)
    via = models.CharField(_("via"), max_length=20, choices=Via.choices)
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.QUEUED
    )
    row_count = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    file = models.FileField(
        _("file"), upload_to="exports/", storage=export_storage, blank=True
    )
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)
    expired_at = models.DateTimeField(_("file deleted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("signature export")
        verbose_name_plural = _("signature exports")
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["finished_at"],
                condition=Q(state="done") & ~Q(file=""),
                name="export_files_by_age",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="done")
                | Q(finished_at__isnull=False, row_count__isnull=False),
                name="export_done_has_time_and_rows",
            ),
            models.CheckConstraint(
                condition=~Q(state="failed") | Q(failed_at__isnull=False),
                name="export_failed_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(state="expired") | Q(expired_at__isnull=False),
                name="export_expired_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.format} export {self.pk} by {self.username}"

    def start(self) -> bool:
        """Mark running. False if it already finished, failed or expired."""
        return self._move(
            [self.State.QUEUED, self.State.RUNNING], self.State.RUNNING, "started_at"
        )

    def finish(self, *, row_count: int, file_name: str = "") -> bool:
        """Mark done with its row count (and file). False unless running."""
        self.row_count, self.file.name = row_count, file_name
        return self._move(
            [self.State.RUNNING],
            self.State.DONE,
            "finished_at",
            row_count=row_count,
            file=file_name,
        )

    def fail(self, error: str) -> bool:
        """Mark failed with the reason. False unless queued or running."""
        self.error = error
        return self._move(
            [self.State.QUEUED, self.State.RUNNING],
            self.State.FAILED,
            "failed_at",
            error=error,
        )

    def expire(self) -> bool:
        """Record that the file is gone. False unless it was done."""
        return self._move([self.State.DONE], self.State.EXPIRED, "expired_at")

    def _move(
        self, sources: list[str], target: str, stamp: str, **fields: object
    ) -> bool:
        now = timezone.now()
        updated = SignatureExport.objects.filter(pk=self.pk, state__in=sources).update(
            state=target, **{stamp: now}, **fields
        )
        if updated:
            self.state = target
            setattr(self, stamp, now)
        return updated == 1
