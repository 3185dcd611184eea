from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReceiptsConfig(AppConfig):
    """Signature receipts: each day's confirmed signatures committed to a
    published Merkle root, and a receipt per signer that proves it."""

    name = "actions.receipts"
    label = "receipts"
    verbose_name = _("Receipts")
