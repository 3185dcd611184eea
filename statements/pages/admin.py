from django.conf import settings
from django.contrib import admin
from modeltranslation.admin import TranslationAdmin
from modeltranslation.utils import build_localized_fieldname

from statements.pages.models import Page


def _language_fields(code: str) -> list[str]:
    return [build_localized_fieldname(name, code) for name in ["title", "body"]]


@admin.register(Page)
class PageAdmin(TranslationAdmin):
    """The original (English) first; each translation in a fieldset of its own,
    folded. A language left empty shows the original, with a note saying so."""

    list_display = ["__str__", "title", "updated_at"]
    readonly_fields = ["updated_at"]
    fieldsets = [
        (None, {"fields": ["slug", *_language_fields(settings.LANGUAGE_CODE)]}),
        *(
            (name, {"fields": _language_fields(code), "classes": ["collapse"]})
            for code, name in settings.LANGUAGES
            if code != settings.LANGUAGE_CODE
        ),
        (None, {"fields": ["updated_at"]}),
    ]
