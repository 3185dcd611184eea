from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowUpsConfig(AppConfig):
    """Follow-up emails to consenting signers, and unsubscribing from them."""

    name = "actions.followups"
    label = "followups"
    verbose_name = _("Follow-ups")
