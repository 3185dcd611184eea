"""The site's standing pages (the privacy notice, about), written and
translated in the admin."""

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from modeltranslation.utils import build_localized_fieldname


class Page(models.Model):
    class Slug(models.TextChoices):
        # A fixed set: each has its own address, linked from every page.
        PRIVACY = "privacy", _("Privacy notice")
        ABOUT = "about", _("About")

    slug = models.CharField(_("page"), max_length=20, choices=Slug.choices)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(
        _("body"), help_text=_("Markdown: **bold**, *italic*, [link](https://...).")
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("page")
        verbose_name_plural = _("pages")
        ordering = ["slug"]
        constraints = [
            models.UniqueConstraint(fields=["slug"], name="one_page_per_slug"),
        ]

    def __str__(self) -> str:
        return str(self.get_slug_display())

    def get_absolute_url(self) -> str:
        return reverse(f"pages:{self.slug}")

    def is_written_in(self, language: str) -> bool:
        """Whether its body has been written in this language (else readers
        get the English original)."""
        return bool(getattr(self, build_localized_fieldname("body", language), ""))
