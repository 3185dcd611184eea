from django import forms
from django.utils.translation import gettext_lazy as _


class DataRequestForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_("The address you signed with."),
    )
