from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modeltranslation.utils import build_localized_fieldname

from actions.followups.models import MILESTONES, FollowUp
from actions.followups.rendering import PLACEHOLDERS, unknown_placeholders

Trigger = FollowUp.Trigger
AUDIENCES = ["petition", "statement", "topic"]


def placeholder_help() -> str:
    names = ", ".join(
        f"{{{{ {name} }}}} ({label})" for name, label in PLACEHOLDERS.items()
    )
    return _("Markdown. Placeholders: %(names)s.") % {"names": names}


class FollowUpForm(forms.ModelForm):
    """What a campaigner writes; each trigger asks for the field it needs."""

    class Meta:
        model = FollowUp
        fields = [
            "petition",
            "statement",
            "topic",
            "subject",
            "body",
            "trigger",
            "send_at",
            "days_after",
            "signed_version_at_most",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # "body", or in the admin one per language: "body_en", "body_fr", ...
        for name in self._texts("body"):
            self.fields[name].help_text = placeholder_help()

    def _texts(self, base: str) -> list[str]:
        """The form's fields holding this text, in any language."""
        names = {base} | {
            build_localized_fieldname(base, code) for code, _name in settings.LANGUAGES
        }
        return [name for name in self.fields if name in names]

    def clean(self) -> dict:
        cleaned = super().clean()
        assert cleaned is not None  # Django's clean() returns cleaned_data
        self._clean_texts(cleaned)
        self._check_audience(cleaned)
        trigger = cleaned.get("trigger")
        send_at, days_after = cleaned.get("send_at"), cleaned.get("days_after")
        if trigger == Trigger.AT and send_at is None:
            self.add_error("send_at", _("Give the time to send it at."))
        elif (
            trigger == Trigger.AT and send_at is not None and send_at <= timezone.now()
        ):
            self.add_error("send_at", _("This time has passed; choose a later one."))
        if trigger == Trigger.AFTER_CONFIRMATION and not days_after:
            self.add_error("days_after", _("Give a number of days, 1 or more."))
        if trigger in MILESTONES and cleaned.get("petition") is None:
            self.add_error(
                "trigger", _("Only a petition's follow-up can wait for its milestones.")
            )
        if trigger != Trigger.AT:
            cleaned["send_at"] = None
        if trigger != Trigger.AFTER_CONFIRMATION:
            cleaned["days_after"] = None
        return cleaned

    def _clean_texts(self, cleaned: dict) -> None:
        """Subjects on one line; only known placeholders, in every language."""
        for base in ("subject", "body"):
            for name in self._texts(base):
                text = cleaned.get(name)
                if not text:
                    continue
                if base == "subject":
                    text = cleaned[name] = " ".join(text.split())
                try:
                    _known_placeholders(text)
                except forms.ValidationError as error:
                    self.add_error(name, error)

    def _check_audience(self, cleaned: dict) -> None:
        chosen = [name for name in AUDIENCES if cleaned.get(name) is not None]
        if len(chosen) != 1 and all(name in self.fields for name in AUDIENCES):
            self.add_error(
                None,
                _(
                    "Choose whom it goes to: one petition, one statement or one "
                    "topic, and only one."
                ),
            )


def _known_placeholders(text: str) -> str:
    unknown = unknown_placeholders(text)
    if unknown:
        raise forms.ValidationError(
            _("Unknown placeholder: %(names)s. Use one of: %(known)s."),
            params={
                "names": ", ".join(f"{{{{ {name} }}}}" for name in unknown),
                "known": ", ".join(f"{{{{ {name} }}}}" for name in PLACEHOLDERS),
            },
        )
    return text


class PreferencesForm(forms.Form):
    """Which updates a supporter stops: one petition's or all of them."""

    everything = forms.TypedChoiceField(
        choices=[("0", _("This petition")), ("1", _("All petitions"))],
        coerce=lambda value: value == "1",
        error_messages={"required": _("Choose which updates to stop.")},
    )


class SendTestForm(forms.Form):
    """Where a campaigner's test goes when their account has no address."""

    to_email = forms.EmailField(
        label=_("Send the test to"),
        help_text=_("Only for this test; your account is not changed."),
    )
