from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmbedConfig(AppConfig):
    """A call to action's signing form in a frame on partners' own sites."""

    name = "actions.embed"
    label = "embed"
    verbose_name = _("Embedding")
