from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RevisionsConfig(AppConfig):
    """Versions of the text signers saw."""

    name = "actions.revisions"
    label = "revisions"
    verbose_name = _("Versions of signed text")
