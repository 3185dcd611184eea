from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    """The public read-only JSON API (/api/v1/): published statements and
    their calls to action with counts, for partners' sites; no models."""

    name = "statements.api"
    label = "api"
    verbose_name = _("Public API")
