from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TimelineConfig(AppConfig):
    """A petition's public timeline after it closes: delivery, the target's
    response, and the clock that runs between them."""

    name = "actions.timeline"
    label = "timeline"
    verbose_name = _("Timeline")
