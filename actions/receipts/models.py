from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DailyRoot(models.Model):
    """The published Merkle root of one UTC day's confirmed signatures.
    Immutable once written: a receipt checked later must meet the same root."""

    day = models.DateField(_("day (UTC)"), unique=True)
    root = models.CharField(_("root"), max_length=64)
    size = models.PositiveIntegerField(_("signatures"))
    # The tree's nodes at the chunks' level (see merkle.CHUNK), concatenated:
    # a receipt's path then needs only its own chunk's leaves.
    chunk_roots = models.BinaryField(_("chunk roots"))
    committed_at = models.DateTimeField(_("committed at"), default=timezone.now)

    class Meta:
        verbose_name = _("daily root")
        verbose_name_plural = _("daily roots")
        ordering = ["-day"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(size__gt=0), name="daily_root_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day.isoformat()} {self.root}"


class Leaf(models.Model):
    """One confirmed signature's leaf value (hex) and place in its day's tree.

    Keyed by the signature's id as a plain integer, not a foreign key: the
    leaf outlives the signature's data (anonymised) or row (deleted), so the
    day's root still verifies and receipts already given stay valid.
    """

    signature_id = models.BigIntegerField(_("signature id"), primary_key=True)
    day = models.DateField(_("day (UTC)"))
    position = models.PositiveIntegerField(_("position"))
    leaf = models.CharField(_("leaf"), max_length=64)

    class Meta:
        verbose_name = _("leaf")
        verbose_name_plural = _("leaves")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "position"], name="one_leaf_per_place"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day.isoformat()} #{self.position}"
