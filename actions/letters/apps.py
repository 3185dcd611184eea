from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LettersConfig(AppConfig):
    """Letter actions: supporters write to the decision-makers, through the
    petition's signing and confirmation; a directory of recipients and a
    moderation queue."""

    name = "actions.letters"
    label = "letters"
    verbose_name = _("Letters")
