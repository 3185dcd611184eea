from django import forms
from django.utils.translation import gettext_lazy as _

from actions.models import Petition
from actions.timeline.models import Delivery, Outcome, Response


class DeliveryForm(forms.ModelForm):
    class Meta:
        model = Delivery
        fields = [
            "petition",
            "delivered_at",
            "to_whom",
            "how",
            "photo",
            "photo_alt",
            "published_at",
        ]

    def clean_petition(self) -> Petition:
        petition = self.cleaned_data["petition"]
        if petition.state in {Petition.State.SCHEDULED, Petition.State.OPEN}:
            raise forms.ValidationError(
                _("This petition still takes signatures: close it first.")
            )
        return petition

    def clean(self) -> dict:
        cleaned = super().clean()
        assert cleaned is not None  # Django's clean() returns cleaned_data
        if cleaned.get("photo") and not cleaned.get("photo_alt", "").strip():
            self.add_error(
                "photo_alt", _("Describe the photo for people who cannot see it.")
            )
        return cleaned


class ResponseForm(forms.ModelForm):
    class Meta:
        model = Response
        fields = [
            "petition",
            "received_at",
            "summary",
            "full_text",
            "link",
            "published_at",
        ]
        error_messages = {
            "received_at": {
                "required": _("A response needs the date it was received."),
                "incomplete": _("A response needs the date it was received."),
            }
        }

    def clean(self) -> dict:
        cleaned = super().clean()
        assert cleaned is not None  # Django's clean() returns cleaned_data
        if not cleaned.get("full_text") and not cleaned.get("link"):
            raise forms.ValidationError(
                _("Give the response's full text or a link to it.")
            )
        return cleaned


class OutcomeForm(forms.ModelForm):
    class Meta:
        model = Outcome
        fields = ["petition", "result", "decided_at", "published_at"]

    def clean(self) -> dict:
        cleaned = super().clean()
        assert cleaned is not None  # Django's clean() returns cleaned_data
        petition = cleaned.get("petition")
        scheduled = petition is not None and petition.state == Petition.State.SCHEDULED
        if scheduled and cleaned.get("result") == Outcome.Result.WON:
            raise forms.ValidationError(
                _("A petition that has not opened cannot be won.")
            )
        return cleaned
