from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExportsConfig(AppConfig):
    """Signature reports for staff: CSV and XLSX, recorded and audited."""

    name = "actions.exports"
    label = "exports"
    verbose_name = _("Signature exports")
