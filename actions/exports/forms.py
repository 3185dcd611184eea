"""The choice of rows and format for an export, from the admin or the command."""

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from actions.core.forms import CountryField, clean_source
from actions.exports.models import SignatureExport
from actions.exports.services import SENSITIVE_REFUSAL, may_export_petition
from actions.models import Petition, Signature

CONSENT_CHOICES = [
    ("", _("Either")),
    ("yes", _("Agreed to updates")),
    ("no", _("Did not agree to updates")),
]


class ExportForm(forms.Form):
    format = forms.ChoiceField(
        label=_("Format"),
        choices=SignatureExport.Format.choices,
        initial=SignatureExport.Format.CSV,
    )
    petition: "forms.ModelChoiceField[Petition]" = forms.ModelChoiceField(
        label=_("Petition"),
        queryset=Petition.objects.order_by("title"),
        to_field_name="slug",
        required=False,
        empty_label=_("All petitions"),
    )
    state = forms.ChoiceField(
        label=_("State"),
        choices=[("", _("Any state")), *Signature.State.choices],
        required=False,
    )
    # A browser's date input shows the day in the reader's own way and sends
    # it as YYYY-MM-DD, the one format it takes as its value too.
    confirmed_from = forms.DateField(
        label=_("Confirmed on or after"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    confirmed_to = forms.DateField(
        label=_("Confirmed on or before"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    country = CountryField(
        label=_("Country"),
        choices=lambda: [("", _("Any country")), *countries],
        required=False,
    )
    consent = forms.ChoiceField(
        label=_("Consent to updates"), choices=CONSENT_CHOICES, required=False
    )
    source = forms.CharField(
        label=_("Source"),
        max_length=60,
        required=False,
        help_text=_("Exactly as recorded, e.g. newsletter."),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        for name in ("confirmed_from", "confirmed_to"):
            self.fields[name].help_text = day_help()
        if not user.is_superuser:
            self.fields["petition"].help_text = _(
                "Signers of sensitive petitions are left out: only a superuser "
                "exports them."
            )

    def clean_petition(self) -> Petition | None:
        petition = self.cleaned_data.get("petition")
        if petition is not None and not may_export_petition(self.user, petition):
            raise forms.ValidationError(SENSITIVE_REFUSAL)
        return petition

    def clean_source(self) -> str:
        return clean_source(self.cleaned_data.get("source"))

    def clean(self) -> dict:
        cleaned = super().clean()
        assert cleaned is not None  # Django's clean() returns cleaned_data
        start, end = cleaned.get("confirmed_from"), cleaned.get("confirmed_to")
        if start and end and start > end:
            self.add_error(
                "confirmed_to",
                _("The end of the confirmation range is before its start."),
            )
        return cleaned

    def filters(self) -> dict[str, object]:
        """The chosen filters as JSON-ready values, for the export's record."""
        data = {
            name: value
            for name, value in self.cleaned_data.items()
            if name != "format" and value not in (None, "")
        }
        if "petition" in data:
            data["petition"] = data["petition"].pk
        for name in ("confirmed_from", "confirmed_to"):
            if name in data:
                data[name] = data[name].isoformat()
                data["time_zone"] = settings.TIME_ZONE
        return data


def day_help() -> str:
    """Which hours a day in a date filter covers."""
    return _("From midnight to midnight in the site's time zone, %(zone)s.") % {
        "zone": settings.TIME_ZONE
    }
