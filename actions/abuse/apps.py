from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AbuseConfig(AppConfig):
    """Abuse controls on signing: limits, the block list, flags, invalidation."""

    name = "actions.abuse"
    label = "abuse"
    verbose_name = _("Abuse controls")
