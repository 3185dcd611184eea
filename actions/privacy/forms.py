from django import forms
from django.utils.translation import gettext_lazy as _

from actions.core.forms import MailboxField


class DataRequestForm(forms.Form):
    email = MailboxField(
        label=_("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_("The address you signed with."),
    )
