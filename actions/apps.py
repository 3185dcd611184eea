from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActionsConfig(AppConfig):
    """Calls to action, petitions and their signatures: signing, confirming
    and counting. The features around them are apps of their own inside this
    package (actions.outbox, actions.followups, ...)."""

    name = "actions"
    verbose_name = _("Calls to action")
