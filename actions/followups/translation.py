"""A follow-up in each language (django-modeltranslation): signers get the
text in the language they signed in, or the original where none is written."""

from modeltranslation.translator import TranslationOptions, register

from actions.followups.models import FollowUp


@register(FollowUp)
class FollowUpTranslation(TranslationOptions):
    fields = ("subject", "body")
