from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutboxConfig(AppConfig):
    """The outbox: one row per transactional email, delivered by Celery."""

    name = "actions.outbox"
    label = "outbox"
    verbose_name = _("Outbox")
