"""What campaigners write in each language (django-modeltranslation): one
column per language beside the original; docs/languages.md."""

from modeltranslation.translator import TranslationOptions, register

from statements.models import Quote, Statement, Topic


@register(Statement)
class StatementTranslation(TranslationOptions):
    fields = ("title", "standfirst", "body", "background")


@register(Quote)
class QuoteTranslation(TranslationOptions):
    fields = ("speaker", "role", "text")  # a name, in other scripts too


@register(Topic)
class TopicTranslation(TranslationOptions):
    fields = ("name",)
