"""The record of each erasure (a supporter's request or the retention job)."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Erasure(models.Model):
    """A record that signer data was erased: when, why and how many
    signatures. Holds no personal data, by design."""

    class Reason(models.TextChoices):
        REQUEST = "request", _("The supporter asked")
        RETENTION = "retention", _("Retention period over")

    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    petition = models.ForeignKey(
        "actions.Petition",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("petition"),
    )
    signatures = models.PositiveIntegerField(_("signatures"))
    erased_at = models.DateTimeField(_("erased at"), default=timezone.now)

    class Meta:
        ordering = ["-erased_at"]
        verbose_name = _("erasure")
        verbose_name_plural = _("erasures")

    def __str__(self) -> str:
        return f"{self.reason}: {self.signatures} at {self.erased_at:%Y-%m-%d %H:%M}"
