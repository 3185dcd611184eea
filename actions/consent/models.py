"""The wordings supporters were shown beside a consent box, and every answer.

The database refuses any UPDATE of a consent record (outbox of migration
actions 0008, kept through the move to this app).
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ConsentWording(models.Model):
    """One exact wording a supporter was shown beside a consent box.

    Keyed by the SHA-256 of the text in the language shown; the version number
    is given on first use, so a changed wording is a new version by itself.
    """

    version = models.PositiveIntegerField(_("version"), unique=True)
    text_hash = models.CharField(_("SHA-256 of the text"), max_length=64, unique=True)
    text = models.TextField(_("text"))
    language = models.CharField(_("language"), max_length=15)
    first_shown_at = models.DateTimeField(_("first shown at"), default=timezone.now)

    class Meta:
        ordering = ["-version"]
        verbose_name = _("consent wording")
        verbose_name_plural = _("consent wordings")

    def __str__(self) -> str:
        return f"v{self.version} ({self.language})"


class ConsentRecord(models.Model):
    """One answer about updates, given or withdrawn: append-only.

    A signing records the box's answer with the wording shown; a withdrawal
    records given=False and the form it came from (no wording: nothing is
    agreed to). It names the signature and holds no personal data of its own,
    so erasing the signature leaves nothing here to erase. The database
    refuses any UPDATE of a row (a trigger, see
    actions migration 0008).
    """

    class Form(models.TextChoices):
        SIGNING = "signing", _("Signing form")
        ONE_CLICK = "one_click", _("One-click unsubscribe")
        LINK = "link", _("Unsubscribe link")
        PREFERENCES = "preferences", _("Email preferences page")

    signature = models.ForeignKey(
        "actions.Signature",
        on_delete=models.PROTECT,
        related_name="consent_records",
        verbose_name=_("signature"),
    )
    given = models.BooleanField(_("consent given"))
    # A withdrawal from every petition's updates, not only this signature's.
    all_petitions = models.BooleanField(_("all petitions"), default=False)
    wording = models.ForeignKey(
        ConsentWording,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("wording shown"),
    )
    form = models.CharField(_("form"), max_length=20, choices=Form.choices)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        constraints = [
            models.CheckConstraint(
                condition=Q(given=False) | Q(wording__isnull=False),
                name="consent_given_has_wording",
            ),
        ]

    def __str__(self) -> str:
        answer = "given" if self.given else "not given"
        return f"{answer} ({self.form}) for signature {self.signature_id}"
