"""The signing form of a letter action: the petition's form (the same abuse
fields, consent box and checks) with the letter."""

from typing import Any

from crispy_forms.layout import Div, Layout
from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from actions.forms import AtRiskSignatureForm, SignatureForm
from actions.letters import services, text
from actions.letters.models import LetterSettings
from actions.models import Petition


class LetterFields(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(
        label=_("Your letter"),
        # The limit that counts is the action's (clean_body); this one only
        # stops a megabyte of markup before it is parsed.
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_("Plain text: any formatting is removed."),
    )
    postal_town = forms.CharField(
        label=_("Your town (optional)"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
        help_text=_(
            "Shown under your name, so the recipient sees where you write from."
        ),
    )

    letter_settings: LetterSettings
    helper: Any  # the signing form's FormHelper

    # Put before a signing form (LetterForm, AtRiskLetterForm), so that
    # super() here is that form's.
    def __init__(
        self, *args: Any, letter_settings: LetterSettings, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._set_up_letter(letter_settings)

    def clean(self) -> dict[str, Any]:
        super().clean()
        self._clean_letter(self.cleaned_data)
        return self.cleaned_data

    def _set_up_letter(self, letter_settings: LetterSettings) -> None:
        self.letter_settings = letter_settings
        self.fields["subject"].initial = letter_settings.subject
        self.fields["body"].initial = text.plain_text(letter_settings.body)
        if not letter_settings.is_editable:
            # Disabled fields take their initial value whatever is posted.
            self.fields["subject"].disabled = True
            self.fields["body"].disabled = True
            self.fields["body"].help_text = ""
        self.fields["email"].help_text = _(
            "We send you a link to confirm. Your letter is sent only after that."
        )
        names = [n for n in self.helper.layout.fields if isinstance(n, str)]
        names.insert(names.index("country") + 1, "postal_town")
        self.helper.layout = Layout(
            "subject",
            "body",
            *names,
            Div("website", css_class="visually-hidden", aria_hidden="true"),
        )

    def clean_subject(self) -> str:
        subject = text.one_line(self.cleaned_data["subject"])
        if not subject:
            raise forms.ValidationError(_("Please give your letter a subject."))
        return subject

    def clean_body(self) -> str:
        body = text.plain_text(self.cleaned_data["body"])
        limits = self.letter_settings
        if not body:
            raise forms.ValidationError(_("Please write your letter."))
        if text.is_only_links(body):
            raise forms.ValidationError(
                _("A letter needs words of its own, not only a link.")
            )
        if len(body) > limits.max_length:
            raise forms.ValidationError(
                _(
                    "Your letter is %(length)s characters long; it can be at "
                    "most %(limit)s. Please shorten it."
                )
                % {"length": len(body), "limit": limits.max_length}
            )
        if len(body) < limits.min_length:
            raise forms.ValidationError(
                _(
                    "Your letter is %(length)s characters long; please write "
                    "at least %(limit)s."
                )
                % {"length": len(body), "limit": limits.min_length}
            )
        return body

    def clean_postal_town(self) -> str:
        return text.one_line(self.cleaned_data.get("postal_town", ""))[:100]

    def _clean_letter(self, cleaned: dict[str, Any]) -> None:
        """Who the letter goes to, and the letter as signing takes it."""
        country = cleaned.get("country")
        if "country" not in self.errors and not services.recipients_for(
            settings=self.letter_settings, country=country or ""
        ):
            if country:
                message = _(
                    "Sorry, this action is not open to supporters in %(country)s: "
                    "there is no one to write to for your country."
                ) % {"country": countries.name(country)}
            else:  # an action that lets the country out, writing by country
                message = str(
                    _(
                        "Please choose your country: who your letter goes to "
                        "depends on it."
                    )
                )
            self.add_error("country", message)
        letter = [cleaned.pop(name, None) for name in ["subject", "body"]]
        town = cleaned.pop("postal_town", "")
        if all(letter):
            subject, body = letter
            cleaned["letter"] = {
                "subject": subject,
                "body": body,
                "postal_town": town or "",
            }


class LetterForm(LetterFields, SignatureForm):
    """A letter action's form: the signing form and the letter."""


class AtRiskLetterForm(LetterFields, AtRiskSignatureForm):
    """A sensitive letter action's form: the name is optional, as on an
    at-risk petition."""


def letter_form(
    petition: Petition, letter_settings: LetterSettings, *args: Any, **kwargs: Any
) -> SignatureForm:
    """The signing form of this letter action."""
    form_class = AtRiskLetterForm if petition.sensitive else LetterForm
    return form_class(
        *args, petition=petition, letter_settings=letter_settings, **kwargs
    )
