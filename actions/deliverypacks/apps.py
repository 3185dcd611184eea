from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliveryPacksConfig(AppConfig):
    """PDFs for handing a petition over to its target, recorded and audited."""

    name = "actions.deliverypacks"
    label = "deliverypacks"
    verbose_name = _("Delivery packs")
