from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Suppression(models.Model):
    """An address the site must not email: it bounced hard or its owner
    reported spam, as the mail provider's signed tracking webhook said."""

    class Reason(models.TextChoices):
        BOUNCED = "bounced", _("Bounced")
        COMPLAINED = "complained", _("Complained of spam")

    canonical_email = models.EmailField(_("canonical email"))
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    provider = models.CharField(_("provider"), max_length=40)
    # The provider's id for the event: the same event posted twice adds nothing.
    event_id = models.CharField(_("event id"), max_length=200, unique=True)
    description = models.TextField(_("provider's description"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppressed addresses")
        constraints = [
            # Also the index behind every "is this address suppressed?" lookup.
            models.UniqueConstraint(
                fields=["canonical_email", "reason"],
                name="one_suppression_per_email_and_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.canonical_email} ({self.get_reason_display()})"
