"""Admin forms of the abuse controls: the block list and invalidation."""

import ipaddress
import re
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ValidationError
from django.core.validators import DomainNameValidator, validate_email
from django.utils.translation import gettext_lazy as _

from actions.abuse.models import AbuseSettings, BlockListEntry
from actions.abuse.services import SignatureFilter
from actions.core.canonical import canonical_email
from actions.models import Petition, Signature
from staff.times import zone_note

Kind = BlockListEntry.Kind
# Wider ranges than these are refused: one slip would make every signature
# from a continent suspect, silently.
WIDEST_PREFIX = {4: 8, 6: 16}
CLIENT_HASH = re.compile(r"[0-9a-f]{8,64}")


class BlockListEntryForm(forms.ModelForm):
    class Meta:
        model = BlockListEntry
        fields = ["kind", "value", "note"]

    def clean(self) -> dict:
        cleaned = super().clean()
        assert cleaned is not None  # Django's clean() returns cleaned_data
        if cleaned.get("kind") and cleaned.get("value"):
            try:
                cleaned["value"] = normalise(cleaned["kind"], cleaned["value"])
            except ValidationError as error:
                self.add_error("value", error)
        return cleaned


def normalise(kind: str, value: str) -> str:
    """The stored form of a block list value; ValidationError with a message
    a person can act on when it is not one."""
    value = value.strip()
    if kind == Kind.NETWORK:
        return _normalise_network(value)
    if kind == Kind.DOMAIN:
        return _normalise_domain(value)
    if kind == Kind.EMAIL:
        validate_email(value)
        return canonical_email(value)
    raise ValidationError(_("Choose what kind of value this is."))


def _normalise_network(value: str) -> str:
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise ValidationError(
            _(
                "“%(value)s” is not an address range. Write an address "
                "(203.0.113.7, 2001:db8::7) or a range in CIDR notation "
                "(203.0.113.0/24, 2001:db8::/48)."
            ),
            params={"value": value},
        ) from None
    if network.prefixlen < WIDEST_PREFIX[network.version]:
        raise ValidationError(
            _(
                "The range is too wide: an IPv%(version)s range needs a prefix "
                "of /%(prefix)s or longer."
            ),
            params={
                "prefix": WIDEST_PREFIX[network.version],
                "version": network.version,
            },
        )
    return str(network)


def _normalise_domain(value: str) -> str:
    domain = value.casefold().lstrip("@").removeprefix("*.").strip(".")
    try:
        DomainNameValidator(accept_idna=True)(domain)
    except ValidationError:
        raise ValidationError(
            _(
                "“%(value)s” is not an email domain. Write the part after the "
                "@, e.g. example.org (its subdomains are blocked with it)."
            ),
            params={"value": value},
        ) from None
    return domain


class AbuseSettingsForm(forms.ModelForm):
    """A petition's limits, each field saying what blank falls back to."""

    class Meta:
        model = AbuseSettings
        fields = [
            "burst_limit",
            "sustained_limit",
            "min_fill_seconds",
            "flag_threshold",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        defaults = {
            "burst_limit": (settings.ABUSE_BURST_LIMIT, settings.ABUSE_BURST_SECONDS),
            "sustained_limit": (
                settings.ABUSE_SUSTAINED_LIMIT,
                settings.ABUSE_SUSTAINED_SECONDS,
            ),
        }
        for name, (limit, seconds) in defaults.items():
            self.fields[name].help_text = _(
                "Signatures from one address within %(seconds)s seconds. Blank: "
                "the site default (%(limit)s). 0: no limit."
            ) % {"seconds": seconds, "limit": limit}
        self.fields["min_fill_seconds"].help_text = _(
            "A form sent sooner after the page loaded is suspect. Blank: the "
            "site default (%(seconds)s). 0: no check."
        ) % {"seconds": settings.ABUSE_MIN_FILL_SECONDS}
        self.fields["flag_threshold"].help_text = _(
            "The hourly check flags an address or email domain with more "
            "signatures than this in one hour. Blank: the site default "
            "(%(threshold)s). 0: no flags."
        ) % {"threshold": settings.ABUSE_FLAG_THRESHOLD}


class InvalidateForm(forms.Form):
    """Which signatures of a petition to invalidate. Preview first: the
    preview stamps ``as_of``, and confirming acts on signatures made up to
    then only, so a confirmation never reaches further than its preview."""

    petition: "forms.ModelChoiceField[Petition]" = forms.ModelChoiceField(
        label=_("Petition"), queryset=Petition.objects.order_by("-pk")
    )
    email_domain = forms.CharField(
        label=_("Email domain"),
        required=False,
        help_text=_("Its subdomains match too."),
    )
    client_hash = forms.CharField(
        label=_("Client hash"),
        required=False,
        help_text=_("As a flag shows it."),
    )
    signed_from = forms.DateTimeField(
        label=_("Signed from"),
        required=False,
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
        ),
    )
    signed_to = forms.DateTimeField(
        label=_("Signed before"),
        required=False,
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
        ),
    )
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[
            ("", _("Any state")),
            *(
                choice
                for choice in Signature.State.choices
                if choice[0] != Signature.State.INVALIDATED
            ),
        ],
    )
    as_of = forms.DateTimeField(required=False, widget=forms.HiddenInput)

    def __init__(
        self, *args: Any, user: User | AnonymousUser | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        for name in ("signed_from", "signed_to"):
            self.fields[name].help_text = zone_note()

    def clean_petition(self) -> Petition:
        # A count narrowed to a domain and a minute says who signed: on a
        # sensitive petition, only superusers may ask.
        petition = self.cleaned_data["petition"]
        if petition.sensitive and not (self.user and self.user.is_superuser):
            raise ValidationError(
                _(
                    "This petition is sensitive: only a superuser can look for "
                    "or invalidate its signatures."
                )
            )
        return petition

    def clean_email_domain(self) -> str:
        value = self.cleaned_data["email_domain"].strip()
        return _normalise_domain(value) if value else ""

    def clean_client_hash(self) -> str:
        value = self.cleaned_data["client_hash"].strip().lower()
        if value and not CLIENT_HASH.fullmatch(value):
            raise ValidationError(
                _("A client hash is 8 to 64 hexadecimal digits (0-9, a-f).")
            )
        return value

    def clean(self) -> dict:
        cleaned = super().clean()
        assert cleaned is not None  # Django's clean() returns cleaned_data
        narrowing = ("email_domain", "client_hash", "signed_from", "signed_to")
        if not any(cleaned.get(name) for name in narrowing):
            raise ValidationError(
                _("Choose an email domain, a client hash or a time range.")
            )
        start, end = cleaned.get("signed_from"), cleaned.get("signed_to")
        if start and end and start >= end:
            self.add_error("signed_to", _("This must be after “signed from”."))
        return cleaned

    def signature_filter(self) -> SignatureFilter:
        return SignatureFilter(**self.cleaned_data)
