"""Form parts shared by the forms of several features: the email field, the
country select and the source tag."""

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from actions.core.canonical import ascii_domain

SOURCE_PATTERN = re.compile(r"[^a-z0-9_.-]")


class MailboxField(forms.EmailField):
    """An email address, kept with its domain as DNS knows it.

    A domain outside ASCII is kept in its ASCII form (actions.core.canonical
    .ascii_domain): "me@ｇmail．com" (full-width) as "me@gmail.com",
    "me@bücher.example" as "me@xn--bcher-kva.example"; staff then see a
    look-alike domain for what it is. An ASCII address is kept as typed. Then
    it is checked like any address. A local part outside ASCII is refused
    with its own message: Django accepts "ſam" (its pattern ignores case, and
    "ſ" matches "s"), few mail servers deliver to it, and case folding would
    make it sam's address.
    """

    default_error_messages = {
        "not_ascii": _(
            "Use only unaccented Latin letters, digits and . _ + - before the @ "
            "in your email address."
        ),
    }

    def to_python(self, value: Any) -> str:
        address = super().to_python(value) or ""  # "" when left empty
        local, at, domain = address.rpartition("@")
        if not at or domain.isascii():  # kept as typed, as it always was
            return address
        try:
            return f"{local}@{ascii_domain(domain)}"
        except ValueError:  # no such domain: the validators refuse it as typed
            return address

    def validate(self, value: str) -> None:
        super().validate(value)
        if not value.rpartition("@")[0].isascii():
            raise forms.ValidationError(
                self.error_messages["not_ascii"], code="not_ascii"
            )


def clean_source(value: str | None) -> str:
    """A short, safe tag for where a supporter came from (?source=...)."""
    return SOURCE_PATTERN.sub("", (value or "").strip().lower())[:60]


UTM_PARAMETERS = ("utm_source", "utm_medium", "utm_campaign")


def arrival_source(query: Mapping[str, str]) -> str:
    """Where a visitor says they came from: ?source=..., else their utm_
    parameters ("utm.newsletter.email.myanmar" for source, medium and
    campaign), each part cleaned as clean_source cleans a source."""
    source = clean_source(query.get("source"))
    if source:
        return source
    parts = [clean_source(query.get(name)).replace(".", "-") for name in UTM_PARAMETERS]
    while parts and not parts[-1]:
        parts.pop()
    return clean_source(".".join(["utm", *parts])) if parts else ""


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
