from django.db import models
from django.utils.translation import gettext_lazy as _

# The words a revision keeps, in the order a diff shows them.
TEXT_FIELDS = [
    "statement_title",
    "standfirst",
    "body",
    "petition_title",
    "target_name",
    "demand",
]


class Revision(models.Model):
    """The text a petition's signers saw: its statement's words and its own
    title, target and demand, together, as one numbered version."""

    petition = models.ForeignKey(
        "actions.Petition",
        on_delete=models.CASCADE,
        related_name="revisions",
        verbose_name=_("petition"),
    )
    number = models.PositiveIntegerField(_("version"))
    statement_title = models.CharField(_("statement title"), max_length=200)
    standfirst = models.TextField(_("standfirst"))
    body = models.TextField(_("body"))
    petition_title = models.CharField(_("petition title"), max_length=200)
    target_name = models.CharField(_("target"), max_length=200)
    demand = models.TextField(_("demand"))
    is_minor = models.BooleanField(
        _("minor change"),
        default=False,
        help_text=_("A typo fix: kept, but no 'changed' note on the page."),
    )
    created_at = models.DateTimeField(_("published at"))

    class Meta:
        ordering = ["petition", "number"]
        verbose_name = _("version")
        verbose_name_plural = _("versions")
        constraints = [
            models.UniqueConstraint(
                fields=["petition", "number"], name="one_revision_number_per_petition"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.petition_title} v{self.number}"

    def text(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in TEXT_FIELDS}
