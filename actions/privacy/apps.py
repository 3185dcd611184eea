from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    """A supporter's data: a copy by emailed link, erasure, and retention."""

    name = "actions.privacy"
    label = "privacy"
    verbose_name = _("Privacy")
