from anymail.signals import tracking
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SuppressionsConfig(AppConfig):
    """Addresses the site must not email: hard bounces and spam complaints,
    as the mail provider's signed tracking webhook reports them."""

    name = "actions.suppressions"
    label = "suppressions"
    verbose_name = _("Suppressed addresses")

    def ready(self) -> None:
        # Django's way to connect receivers: their module uses models, which
        # load only after every app config is imported.
        from actions.suppressions import signals

        tracking.connect(
            signals.record_tracking_event,
            dispatch_uid="actions.suppressions.record_tracking_event",
        )
