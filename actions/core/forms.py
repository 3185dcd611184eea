"""Form parts shared by the forms of several features: the country select
and the source tag."""

import re
from functools import lru_cache

from django import forms
from django.forms.utils import flatatt
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries import countries

SOURCE_PATTERN = re.compile(r"[^a-z0-9_.-]")


def clean_source(value: str | None) -> str:
    """A short, safe tag for where a supporter came from (?source=...)."""
    return SOURCE_PATTERN.sub("", (value or "").strip().lower())[:60]


class CountrySelect(forms.Select):
    """The country <select>, its 250 options joined in one go.

    The stock widget renders a template per option: tens of milliseconds for
    every page with a form and every submission with an error.
    """

    def render(
        self,
        name: str,
        value: object,
        attrs: dict | None = None,
        renderer: object = None,
    ) -> SafeString:
        selected = set(self.format_value(value))
        final_attrs = self.build_attrs(self.attrs, attrs) | {"name": name}
        options = "".join(
            f'<option value="{code}"{" selected" if code in selected else ""}>'
            f"{label}</option>"
            for code, label in _country_options(get_language())
        )
        return format_html(
            "<select{}>{}</select>", flatatt(final_attrs), mark_safe(options)
        )


@lru_cache(maxsize=32)
def _country_options(language: str | None) -> tuple[tuple[str, str], ...]:
    placeholder = ("", escape(_("Choose your country")))
    return (placeholder, *((code, escape(name)) for code, name in countries))


class CountryField(forms.ChoiceField):
    """A select of all countries, validated by a set lookup.

    ChoiceField would walk all 250 choices on every submission.
    """

    def valid_value(self, value: str) -> bool:
        return value in countries
