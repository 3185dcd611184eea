from django.contrib import admin
from modeltranslation.admin import TranslationAdmin

from staff.admin_base import language_fieldsets, original_fields, original_heading
from statements.pages.models import Page


@admin.register(Page)
class PageAdmin(TranslationAdmin):
    """The original (English) first; each translation in a fieldset of its own,
    folded. A language left empty shows the original, with a note saying so."""

    list_display = ["__str__", "title", "updated_at"]
    readonly_fields = ["updated_at"]
    fieldsets = [
        (original_heading(), {"fields": ["slug", *original_fields("title", "body")]}),
        *language_fieldsets("title", "body"),
        (None, {"fields": ["updated_at"]}),
    ]
