"""Forms of the staff pages outside the admin's model pages."""

from django import forms
from django.utils.translation import gettext_lazy as _


class EnrolmentForm(forms.Form):
    """The code an authenticator app shows after adding the new key."""

    code = forms.CharField(
        label=_("Code from the app"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}
        ),
    )
