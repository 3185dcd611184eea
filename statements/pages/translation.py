"""A page's title and body in each language (django-modeltranslation)."""

from modeltranslation.translator import TranslationOptions, register

from statements.pages.models import Page


@register(Page)
class PageTranslation(TranslationOptions):
    fields = ("title", "body")
