"""Base classes for admins of rows the site writes itself."""

from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.options import BaseModelAdmin
from django.db import models
from django.http import HttpRequest
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise
from modeltranslation.admin import TranslationAdmin

from staff.times import zone_note

if TYPE_CHECKING:
    from django.contrib.admin.options import _FieldOpts


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows the site writes itself (signatures, the outbox, the audit log):
    staff look, never add, edit or delete. Deleting would desynchronise counts
    and the record; erasure is its own workflow."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class SuperuserOnlyAdmin(ReadOnlyAdmin):
    """Records for superusers' eyes only (the audit log, erasures)."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return request.user.is_active and request.user.is_superuser


class ZoneNamedTimesAdmin(BaseModelAdmin):
    """Date and time inputs say which time zone they are read in.

    Put first among the bases of a model admin or inline. The zone is named
    in the help of each date-and-time field, where Django's widget offers
    only "Now" and a note on the browser's offset.
    """

    def formfield_for_dbfield(
        self, db_field: models.Field, request: HttpRequest, **kwargs: Any
    ) -> forms.Field | None:
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and isinstance(db_field, models.DateTimeField):
            field.help_text = with_zone_note(field.help_text)
        return field


def with_zone_note(help_text: StrOrPromise) -> StrOrPromise:
    """A field's help, then the zone its times are read in."""
    if not help_text:
        return zone_note()
    return format_lazy("{} {}", help_text, zone_note())


def original_fields(*fields: str) -> list[str]:
    """The original language's columns of translated fields (modeltranslation
    names them title_en, ...): what a campaigner writes first, required."""
    return [f"{field}_{settings.LANGUAGE_CODE}" for field in fields]


def original_heading() -> StrOrPromise:
    """The heading of the fieldset holding the original language's columns."""
    name = dict(settings.LANGUAGES)[settings.LANGUAGE_CODE]
    return format_lazy(_("Original ({language})"), language=name)


def language_fieldsets(
    *fields: str, description: StrOrPromise | None = None
) -> list[tuple[StrOrPromise | None, "_FieldOpts"]]:
    """One folded section per other language with its columns of ``fields``,
    for an admin's fieldsets: empty ones read as the original on the site."""
    return [
        (
            format_lazy(_("In {language}"), language=name),
            {
                "fields": [f"{field}_{code}" for field in fields],
                "classes": ["collapse"],
                "description": description
                or _(
                    "Left empty, a field shows the original, with a note "
                    "that this page is not translated yet."
                ),
            },
        )
        for code, name in settings.LANGUAGES
        if code != settings.LANGUAGE_CODE
    ]


class TranslatedAdmin(TranslationAdmin):
    """An admin of a model with translated fields and no fieldsets of its own:
    the form's fields with the original language's columns in their places,
    then the read-only fields, then one folded section per other language.

    (modeltranslation's admin would show only the form's fields and drop the
    read-only ones.)"""

    def get_fieldsets(
        self, request: HttpRequest, obj: models.Model | None = None
    ) -> list[tuple[StrOrPromise | None, "_FieldOpts"]]:
        form_fields = getattr(getattr(self.form, "_meta", None), "fields", None)
        if self.fieldsets or not form_fields:
            return list(super().get_fieldsets(request, obj))
        translated = set(self.trans_opts.all_fields)
        excluded = set(self.get_exclude(request, obj) or [])
        names = [
            name
            for name in dict.fromkeys(
                [*form_fields, *self.get_readonly_fields(request, obj)]
            )
            if name not in excluded
        ]
        main = [
            original_fields(name)[0] if name in translated else name for name in names
        ]
        return [
            (None, {"fields": main}),
            *language_fieldsets(*[name for name in names if name in translated]),
        ]
