"""The model letter in each language (django-modeltranslation)."""

from modeltranslation.translator import TranslationOptions, register

from actions.letters.models import LetterAction, LetterSettings


@register(LetterSettings)
class LetterSettingsTranslation(TranslationOptions):
    fields = ("subject", "body")


@register(LetterAction)
class LetterActionTranslation(TranslationOptions):
    """A proxy of Petition: its translated fields are the petition's."""

    fields = ()
