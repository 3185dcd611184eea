"""Abuse settings per petition, the block list and the hourly flags."""

from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Limits:
    """The abuse limits in force on one petition; 0 turns a check off."""

    burst: int
    sustained: int
    min_fill_seconds: int
    flag_threshold: int


class AbuseSettings(models.Model):
    """A petition's own abuse limits. A blank field takes the site default
    (settings.ABUSE_*); 0 turns that check off for the petition."""

    petition = models.OneToOneField(
        "actions.Petition",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="abuse_settings",
        verbose_name=_("petition"),
    )
    burst_limit = models.PositiveIntegerField(
        _("signatures per address in a short window"), null=True, blank=True
    )
    sustained_limit = models.PositiveIntegerField(
        _("signatures per address in a long window"), null=True, blank=True
    )
    min_fill_seconds = models.PositiveSmallIntegerField(
        _("minimum seconds to fill in the form"), null=True, blank=True
    )
    flag_threshold = models.PositiveIntegerField(
        _("flag above this many signatures an hour"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("abuse settings")
        verbose_name_plural = _("abuse settings")

    def __str__(self) -> str:
        return str(_("Abuse settings of petition %(id)s") % {"id": self.petition_id})

    def limits(self) -> Limits:
        return Limits(
            burst=_or_default(self.burst_limit, settings.ABUSE_BURST_LIMIT),
            sustained=_or_default(self.sustained_limit, settings.ABUSE_SUSTAINED_LIMIT),
            min_fill_seconds=_or_default(
                self.min_fill_seconds, settings.ABUSE_MIN_FILL_SECONDS
            ),
            flag_threshold=_or_default(
                self.flag_threshold, settings.ABUSE_FLAG_THRESHOLD
            ),
        )


def _or_default(value: int | None, default: int) -> int:
    return default if value is None else value


def default_limits() -> Limits:
    """The site's limits, for a petition with no settings of its own."""
    return AbuseSettings().limits()


class BlockListEntry(models.Model):
    """An address range, email domain or email address whose signatures are
    taken in as suspect. Values are stored normalised (see the admin form)."""

    class Kind(models.TextChoices):
        NETWORK = "network", _("Address range (CIDR, IPv4 or IPv6)")
        DOMAIN = "domain", _("Email domain, with its subdomains")
        EMAIL = "email", _("Email address (any spelling of it)")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    value = models.CharField(_("value"), max_length=254)
    note = models.CharField(
        _("note"), max_length=300, blank=True, help_text=_("Why it is blocked.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("added by"),
    )
    created_at = models.DateTimeField(_("added at"), default=timezone.now)

    class Meta:
        verbose_name = _("block list entry")
        verbose_name_plural = _("block list")
        ordering = ["kind", "value"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "value"],
                name="one_block_per_value",
                violation_error_message=_("This is on the block list already."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"


class SignatureFlag(models.Model):
    """A client (by its hash) or an email domain that signed one petition more
    than the petition's flag threshold in one clock hour."""

    class Kind(models.TextChoices):
        CLIENT = "client", _("Client address (hashed)")
        DOMAIN = "domain", _("Email domain")

    petition = models.ForeignKey(
        "actions.Petition",
        on_delete=models.CASCADE,
        related_name="flags",
        verbose_name=_("petition"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    value = models.CharField(_("value"), max_length=254)
    hour = models.DateTimeField(_("hour starting"))
    count = models.PositiveIntegerField(_("signatures in the hour"))
    created_at = models.DateTimeField(_("flagged at"), default=timezone.now)

    class Meta:
        verbose_name = _("flag")
        verbose_name_plural = _("flags")
        ordering = ["-hour", "-count"]
        constraints = [
            models.UniqueConstraint(
                fields=["petition", "kind", "value", "hour"],
                name="one_flag_per_source_and_hour",
            ),
            models.CheckConstraint(condition=~Q(value=""), name="flag_has_value"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.value}: {self.count}"
