from datetime import datetime
from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Layout
from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from actions.abuse import stamp
from actions.consent.services import UPDATES_CONSENT_TEXT
from actions.core.canonical import canonical_email
from actions.core.forms import (
    CountryField,
    CountrySelect,
    MailboxField,
    clean_source,
)
from actions.models import Petition, Signature


class SignatureForm(forms.Form):
    """The signing form, with the name fields and country its petition asks
    for (Petition.name_fields, Petition.country_required); without a petition,
    the defaults: given and family name, the family name optional, and a
    country."""

    first_name = forms.CharField(
        label=_("Given name"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
        error_messages={"required": _("Please enter your given name.")},
    )
    last_name = forms.CharField(
        label=_("Family name (optional)"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
        help_text=_("Leave it empty if you have no family name."),
    )
    email = MailboxField(
        label=_("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_("We send you a link to confirm your signature."),
    )
    country = CountryField(
        label=_("Country"),
        choices=lambda: [("", _("Choose your country")), *countries],
        widget=CountrySelect(attrs={"autocomplete": "country"}),
        error_messages={"required": _("Please choose your country.")},
    )
    wants_updates = forms.BooleanField(
        label=UPDATES_CONSENT_TEXT, required=False, initial=False
    )
    source = forms.CharField(required=False, widget=forms.HiddenInput)
    # The honeypot: hidden from people (out of sight, from screen readers and
    # from the tab order), filled in by scripts that fill in every field.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )
    # When the page was served (actions.abuse.stamp), to tell a script's
    # instant post from a person's.
    started = forms.CharField(
        required=False,
        initial=stamp.placeholder,
        widget=forms.HiddenInput,
    )

    def __init__(
        self, *args: Any, petition: Petition | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._ask_as(petition)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # no cookie: see same_origin_post
        names = [name for name in ["first_name", "last_name"] if name in self.fields]
        self.helper.layout = Layout(
            *names,
            "email",
            "country",
            "wants_updates",
            "source",
            Div("website", css_class="visually-hidden", aria_hidden="true"),
            "started",
        )

    def _ask_as(self, petition: Petition | None) -> None:
        """Fit the name fields and the country to what the petition asks."""
        asks_full_name = (
            petition is not None
            and petition.name_fields == Petition.NameFields.FULL
            and "last_name" in self.fields  # at risk: one field already
        )
        if asks_full_name:
            del self.fields["last_name"]
            first = self.fields["first_name"]
            first.label = _("Full name")
            first.error_messages["required"] = _("Please enter your name.")
            first.widget.attrs["autocomplete"] = "name"
        if petition is not None and not petition.country_required:
            country = self.fields["country"]
            country.required = False
            country.label = _("Country (optional)")

    def clean_first_name(self) -> str:
        return _clean_name(self.cleaned_data["first_name"])

    def clean_last_name(self) -> str:
        value = self.cleaned_data["last_name"]
        printable = "".join(ch for ch in value if ch.isprintable()).strip()
        return _clean_name(value) if printable else ""

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        # Case folding can make an address longer (ß becomes ss, İ two
        # characters): its canonical form must still fit the unique column.
        limit = Signature._meta.get_field("canonical_email").max_length
        assert limit is not None  # a CharField
        if len(canonical_email(email)) > limit:
            raise forms.ValidationError(
                _("Enter a valid email address."), code="invalid"
            )
        return email

    def clean_source(self) -> str:
        return clean_source(self.cleaned_data.get("source"))

    def clean(self) -> dict:
        """Turn the two anti-script fields into what signing screens: the
        honeypot's text and the seconds taken (0 when the stamp is missing or
        tampered with). Neither is an error: a script sees the usual page."""
        cleaned = super().clean()
        assert cleaned is not None  # Django's clean() returns cleaned_data
        if "last_name" not in self.fields:  # a name in one field
            cleaned["last_name"] = ""
        cleaned["honeypot"] = cleaned.pop("website", "").strip()
        # Bound to the petition whose page served it, when the view says which.
        bound_to = self.initial.get("petition_id")
        seconds = stamp.seconds_since(cleaned.pop("started", ""), petition_id=bound_to)
        cleaned["fill_seconds"] = seconds or 0.0
        return cleaned


def _clean_name(value: str) -> str:
    # Line breaks and control characters have no place in a name, and would
    # otherwise reach email headers and spreadsheets.
    spaced = " ".join(value.split())  # line breaks and tabs become one space
    cleaned = "".join(ch for ch in spaced if ch.isprintable()).strip()
    if not cleaned:
        raise forms.ValidationError(_("Please enter your name."))
    return cleaned


class AtRiskSignatureForm(SignatureForm):
    """The signing form of a sensitive petition, whose signers may be at risk:
    the name is optional (a display name or initials do) and is one field;
    email and country are asked as on any petition."""

    first_name = forms.CharField(
        label=_("Name or initials (optional)"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text=_(
            "Signing this petition may put people at risk, so a name is not "
            "needed: you may give initials or a display name, or leave it empty."
        ),
    )
    last_name = None  # type: ignore[assignment]  # one optional field only

    def clean_first_name(self) -> str:
        value = self.cleaned_data["first_name"]
        printable = "".join(ch for ch in value if ch.isprintable()).strip()
        return _clean_name(value) if printable else ""


def signature_form(petition: Petition, *args: Any, **kwargs: Any) -> SignatureForm:
    """The signing form this petition asks for (AtRiskSignatureForm when it
    is sensitive)."""
    form_class = AtRiskSignatureForm if petition.sensitive else SignatureForm
    return form_class(*args, petition=petition, **kwargs)


class ResendForm(forms.Form):
    email = MailboxField(
        label=_("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


def _when(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def minor_change_field() -> forms.BooleanField:
    """The admin's box that marks a change to the signed text as minor."""
    return forms.BooleanField(
        required=False,
        label=_("Minor change (a typo fix)"),
        help_text=_(
            "If the text signers saw changes, the new version is kept either "
            "way; a minor one shows no 'changed' note on the public page."
        ),
    )


class PetitionAdminForm(forms.ModelForm):
    """The petition's fields in the admin (its page and the statement's
    inline). Its state is read-only there: it moves by transitions only
    (actions.lifecycle); a new petition starts scheduled or open by its time."""

    is_minor_change = minor_change_field()

    class Meta:
        model = Petition
        # Not the state, nor its stamps: the admin's own fields list wins.
        fields = [
            "statement",
            "target",
            "title",
            "slug",
            "demand",
            "position",
            "goal",
            "opens_at",
            "closes_at",
            "name_fields",
            "country_required",
            "names_to_target",
            "sensitive",
            "retention_days",
            "embed_origins",
            "embed_anywhere",
        ]

    def clean_retention_days(self) -> int | None:
        """A petition made sensitive now, without a retention period of its
        own, gets the shorter one for at-risk signers; an empty period saved
        again later is kept (a superuser's explicit choice)."""
        days = self.cleaned_data["retention_days"]
        made_sensitive = (
            self.cleaned_data.get("sensitive") and "sensitive" in self.changed_data
        )
        if days is None and made_sensitive:
            return settings.SENSITIVE_RETENTION_DAYS
        return days

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        assert cleaned is not None  # Django's clean() returns cleaned_data
        opens_at, closes_at = cleaned.get("opens_at"), cleaned.get("closes_at")
        if opens_at and closes_at and closes_at <= opens_at:
            self.add_error(
                "closes_at",
                _(
                    "A petition must close after it opens: choose a closing "
                    "time after its opening time (%(opens)s)."
                )
                % {"opens": _when(opens_at)},
            )
        is_later = opens_at is not None and opens_at > timezone.now()
        if self.instance.pk is None:
            self.instance.state = (
                Petition.State.SCHEDULED if is_later else Petition.State.OPEN
            )
        elif (
            self.instance.state == Petition.State.OPEN
            and is_later
            and "opens_at" in self.changed_data
        ):
            self.add_error(
                "opens_at",
                _(
                    "This petition is open already: its opening time cannot "
                    "move into the future. Close it if it must stop taking "
                    "signatures."
                ),
            )
        return cleaned
