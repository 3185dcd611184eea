from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsentConfig(AppConfig):
    """Consent to updates: the wordings shown and every answer, append-only."""

    name = "actions.consent"
    label = "consent"
    verbose_name = _("Consent")
