from django.conf import settings
from django.core.files.storage import Storage, storages
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def pack_storage() -> Storage:
    """Delivery packs hold signers' names: private, in the "exports" storage
    (every host sees it; see docs/operations.md)."""
    return storages["exports"]


class DeliveryPack(models.Model):
    """One PDF for handing a petition over: who asked, with or without names.

    Kept after the file is gone: the record is the audit trail.
    """

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("File deleted")

    petition = models.ForeignKey(
        "actions.Petition",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("petition"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("user"),
    )
    # Kept as typed at the time, so the record survives the account.
    username = models.CharField(_("username"), max_length=150)
    include_names = models.BooleanField(_("with signers' names"), default=False)
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.QUEUED
    )
    signature_count = models.PositiveIntegerField(
        _("confirmed signatures"), null=True, blank=True
    )
    file = models.FileField(
        _("file"), upload_to="deliverypacks/", storage=pack_storage, blank=True
    )
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)
    expired_at = models.DateTimeField(_("file deleted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery pack")
        verbose_name_plural = _("delivery packs")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="done")
                | Q(finished_at__isnull=False, signature_count__isnull=False),
                name="deliverypack_done_has_time_and_count",
            ),
            models.CheckConstraint(
                condition=~Q(state="failed") | Q(failed_at__isnull=False),
                name="deliverypack_failed_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(state="expired") | Q(expired_at__isnull=False),
                name="deliverypack_expired_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"delivery pack {self.pk} for petition {self.petition_id}"

    def start(self) -> bool:
        """Mark running. False if it already finished, failed or expired."""
        return self._move(
            [self.State.QUEUED, self.State.RUNNING], self.State.RUNNING, "started_at"
        )

    def finish(self, *, signature_count: int, file_name: str) -> bool:
        """Mark done with its count and file. False unless running."""
        moved = self._move(
            [self.State.RUNNING],
            self.State.DONE,
            "finished_at",
            signature_count=signature_count,
            file=file_name,
        )
        if moved:
            self.signature_count, self.file.name = signature_count, file_name
        return moved

    def fail(self, error: str) -> bool:
        """Mark failed with the reason. False unless queued or running."""
        moved = self._move(
            [self.State.QUEUED, self.State.RUNNING],
            self.State.FAILED,
            "failed_at",
            error=error,
        )
        if moved:
            self.error = error
        return moved

    def expire(self) -> bool:
        """Record that the file is gone. False unless it was done."""
        return self._move([self.State.DONE], self.State.EXPIRED, "expired_at")

    def _move(
        self, sources: list[str], target: str, stamp: str, **fields: object
    ) -> bool:
        now = timezone.now()
        updated = DeliveryPack.objects.filter(pk=self.pk, state__in=sources).update(
            state=target, **{stamp: now}, **fields
        )
        if updated:
            self.state = target
            setattr(self, stamp, now)
        return updated == 1
