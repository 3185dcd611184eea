from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.forms import BaseFormSet, Form, ModelForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from modeltranslation.admin import TranslationAdmin, TranslationStackedInline

from actions.forms import PetitionAdminForm
from actions.models import Petition
from actions.revisions.services import (
    NothingChanged,
    publish_revision,
    record_revisions,
)
from staff.admin_base import (
    ZoneNamedTimesAdmin,
    language_fieldsets,
    original_fields,
    original_heading,
)
from staff.audit import log_state_change
from staff.times import site_time
from statements.forms import StatementAdminForm
from statements.models import Quote, Statement, Topic
from statements.views import render_statement


@admin.register(Topic)
class TopicAdmin(TranslationAdmin):
    list_display = ["name", "kind", "slug"]
    list_filter = ["kind"]
    search_fields = original_fields("name")
    prepopulated_fields = {"slug": original_fields("name")}


class QuoteInline(TranslationStackedInline):
    model = Quote
    extra = 0
    fields = [("speaker", "role"), "text", ("is_pull_quote", "position")]


class PetitionInline(ZoneNamedTimesAdmin, TranslationStackedInline):
    model = Petition
    extra = 0
    show_change_link = True
    fields = [
        ("title", "slug"),
        "target",
        "demand",
        ("goal", "position"),
        ("opens_at", "closes_at"),
        ("name_fields", "country_required", "names_to_target"),
        "state",
    ]
    form = PetitionAdminForm
    # A petition's state moves only by its transitions (its own admin page).
    readonly_fields = ["state"]
    prepopulated_fields = {"slug": original_fields("title")}
    autocomplete_fields = ["target"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Petition]:
        # Letter actions have their own admin page (actions.letters).
        return super().get_queryset(request).filter(kind=Petition.Kind.PETITION)


@admin.register(Statement)
class StatementAdmin(ZoneNamedTimesAdmin, TranslationAdmin):
    form = StatementAdminForm
    list_display = ["title", "state", "publish_at", "preview_link"]
    list_filter = ["state", "topics", "publish_at"]
    search_fields = original_fields("title", "standfirst", "body")
    date_hierarchy = "publish_at"
    prepopulated_fields = {"slug": original_fields("title")}
    filter_horizontal = ["topics"]
    readonly_fields = ["published_at", "archived_at", "created_at", "updated_at"]
    fieldsets = [
        (
            original_heading(),
            {
                "fields": [
                    *original_fields("title"),
                    "slug",
                    *original_fields("standfirst", "body", "background"),
                ]
            },
        ),
        *language_fieldsets("title", "standfirst", "body", "background"),
        (
            _("Publishing"),
            {"fields": ["state", "publish_at", "topics", "is_minor_change"]},
        ),
        (
            _("History"),
            {
                "fields": ["published_at", "archived_at", "created_at", "updated_at"],
                "classes": ["collapse"],
            },
        ),
    ]
    inlines = [QuoteInline, PetitionInline]
    actions = ["publish", "archive", "publish_new_version"]

    def save_model(
        self, request: HttpRequest, obj: Statement, form: Form, change: bool
    ) -> None:
        obj.settle_publication()  # published_at is set however it is published
        super().save_model(request, obj, form, change)

    def save_related(
        self,
        request: HttpRequest,
        form: ModelForm,
        formsets: list[BaseFormSet],
        change: bool,
    ) -> None:
        """Keep a version of each petition's text that changed: the statement's
        words or the petition's own, once the inlines are saved too."""
        super().save_related(request, form, formsets, change)
        is_minor = form.cleaned_data.get("is_minor_change", False)
        made = record_revisions(petitions=_petitions(form.instance), is_minor=is_minor)
        if made:
            self.message_user(
                request,
                ngettext(
                    "A new version of the signed text was kept for %d petition.",
                    "A new version of the signed text was kept for %d petitions.",
                    made,
                )
                % made,
                messages.INFO,
            )

    def get_urls(self) -> list:
        preview = self.admin_site.admin_view(self.preview_view)
        return [
            path("<int:pk>/preview/", preview, name="statements_statement_preview"),
            *super().get_urls(),
        ]

    def preview_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The public page as it will look, drafts included, for staff only."""
        statement = get_object_or_404(Statement, pk=pk)
        if not self.has_view_permission(request, statement):
            raise PermissionDenied
        return render_statement(request, statement)

    @admin.display(description=_("Preview"))
    def preview_link(self, obj: Statement) -> str:
        url = reverse("admin:statements_statement_preview", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Preview"))

    def view_on_site(self, obj: Statement) -> str:
        """The public page once it can be opened; the preview until then."""
        if obj.is_visible:
            return obj.get_absolute_url()
        return reverse("admin:statements_statement_preview", args=[obj.pk])

    @admin.action(description=_("Publish selected statements (now or at their time)"))
    def publish(self, request: HttpRequest, queryset: QuerySet[Statement]) -> None:
        published = scheduled = 0
        for statement in queryset:
            if statement.is_scheduled_for_later:
                self._say_scheduled(request, statement, stays=True)
                scheduled += 1
            elif statement.publish():
                log_state_change(self, request, statement)
                record_revisions(petitions=_petitions(statement))
                if statement.is_scheduled_for_later:
                    self._say_scheduled(request, statement, stays=False)
                    scheduled += 1
                else:
                    published += 1
        if published or not scheduled:
            self.message_user(
                request,
                ngettext(
                    "%d statement published.", "%d statements published.", published
                )
                % published,
                messages.SUCCESS,
            )

    def _say_scheduled(
        self, request: HttpRequest, statement: Statement, *, stays: bool
    ) -> None:
        assert statement.publish_at is not None  # scheduled ones have a time
        values = {"title": statement.title, "time": site_time(statement.publish_at)}
        if stays:
            text = _(
                "“%(title)s” stays scheduled: it goes public on %(time)s. To "
                "publish it sooner, change its publish time."
            )
        else:
            text = _("“%(title)s” is scheduled: it goes public on %(time)s.")
        self.message_user(request, text % values, messages.INFO)

    @admin.action(description=_("Archive selected statements"))
    def archive(self, request: HttpRequest, queryset: QuerySet[Statement]) -> None:
        for statement in queryset:
            statement.archive()
            log_state_change(self, request, statement)
        self.message_user(request, _("Statements archived."), messages.SUCCESS)

    @admin.action(description=_("Publish a new version of the signed text"))
    def publish_new_version(
        self, request: HttpRequest, queryset: QuerySet[Statement]
    ) -> None:
        """Each petition's text as it is now becomes its version; a petition
        whose text did not change is named, and gets none."""
        for statement in queryset:
            for petition in _petitions(statement):
                try:
                    revision = publish_revision(petition=petition)
                except NothingChanged as refused:
                    message = _("%(petition)s: %(reason)s")
                    level = messages.WARNING
                    values = {"petition": petition, "reason": refused}
                else:
                    message = _("%(petition)s: version %(number)d published.")
                    level = messages.SUCCESS
                    values = {"petition": petition, "number": revision.number}
                self.message_user(request, message % values, level)


def _petitions(statement: Statement) -> list[Petition]:
    return list(statement.petitions.select_related("statement", "target"))
