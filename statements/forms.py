from django import forms

from actions.forms import minor_change_field
from statements.models import Statement


class StatementAdminForm(forms.ModelForm):
    """The statement's fields in the admin, and whether a change to its text
    is minor (see actions.revisions)."""

    is_minor_change = minor_change_field()

    class Meta:
        model = Statement
        fields = [
            "title",
            "slug",
            "standfirst",
            "body",
            "background",
            "state",
            "publish_at",
            "topics",
        ]
