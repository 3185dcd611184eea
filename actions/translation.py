"""What campaigners write in each language (django-modeltranslation); see
statements/translation.py."""

from modeltranslation.translator import TranslationOptions, register

from actions.models import Petition, Target


@register(Petition)
class PetitionTranslation(TranslationOptions):
    fields = ("title", "demand")


@register(Target)
class TargetTranslation(TranslationOptions):
    fields = ("name", "description")
