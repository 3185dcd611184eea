from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActionsConfig(AppConfig):
    name = "actions"
    verbose_name = _("Calls to action")

    def ready(self) -> None:
        from anymail.signals import tracking

        from actions import signals

        tracking.connect(
            signals.record_tracking_event, dispatch_uid="actions.record_tracking_event"
        )
