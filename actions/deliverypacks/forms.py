"""The request for a delivery pack, from the admin."""

from django import forms
from django.utils.translation import gettext_lazy as _

from actions.deliverypacks.services import names_refusal
from actions.models import Petition


class DeliveryPackForm(forms.Form):
    petition: "forms.ModelChoiceField[Petition]" = forms.ModelChoiceField(
        label=_("Petition"), queryset=Petition.objects.order_by("title")
    )
    include_names = forms.BooleanField(
        label=_("List the confirmed signers' names and countries"),
        required=False,
        help_text=_(
            "Never for a sensitive petition, nor for one whose signers were "
            "told that their names are not given to the target."
        ),
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        assert cleaned is not None  # Django's clean() returns cleaned_data
        petition = cleaned.get("petition")
        refusal = names_refusal(petition) if petition else None
        if cleaned.get("include_names") and refusal:
            self.add_error("include_names", refusal)
        return cleaned
