from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from modeltranslation.admin import TranslationStackedInline

from actions.admin import PetitionAdmin
from actions.letters import imports, services
from actions.letters.models import (
    CountryRecipient,
    Letter,
    LetterAction,
    LetterSettings,
    Recipient,
)
from actions.models import Petition
from staff.admin_base import (
    ReadOnlyAdmin,
    language_fieldsets,
    original_fields,
    original_heading,
)


class RecipientImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "UTF-8, with a header row. Columns: name, email, country (required; "
            "country as a code such as FR or an English name, or empty), role, "
            "organisation, postal_address, active (yes/no). A row whose email "
            "is in the directory updates that recipient."
        ),
    )


@admin.register(Recipient)
class RecipientAdmin(admin.ModelAdmin):
    list_display = ["name", "role", "organisation", "country", "email", "is_active"]
    list_filter = ["is_active", "country", "organisation"]
    search_fields = ["name", "role", "organisation", "email"]
    change_list_template = "admin/letters/recipient/change_list.html"

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.import_view)
        url = path("import/", view, name="letters_recipient_import")
        return [url, *super().get_urls()]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Upload a CSV file: every row checked, nothing imported if one is bad."""
        if not self.has_add_permission(request):
            raise PermissionError
        form = RecipientImportForm(request.POST or None, request.FILES or None)
        errors: list[str] = []
        if request.method == "POST" and form.is_valid():
            result = imports.read_recipients(form.cleaned_data["file"].read())
            errors = result.errors
            if not errors:
                added, updated = imports.import_recipients(result.rows)
                self._log_import(request, added, updated)
                return HttpResponseRedirect(
                    reverse("admin:letters_recipient_changelist")
                )
        context = self.admin_site.each_context(request) | {
            "opts": self.opts,
            "title": _("Import recipients from CSV"),
            "form": form,
            "errors": errors,
        }
        status = 400 if errors else 200
        return TemplateResponse(
            request, "admin/letters/recipient/import.html", context, status=status
        )

    def _log_import(self, request: HttpRequest, added: int, updated: int) -> None:
        message = _("%(added)d recipients added, %(updated)d updated.") % {
            "added": added,
            "updated": updated,
        }
        self.message_user(request, message, messages.SUCCESS)


class LetterSettingsInline(TranslationStackedInline):
    model = LetterSettings
    can_delete = False
    min_num = 1
    max_num = 1
    autocomplete_fields = ["recipients", "fallback_recipient"]
    fieldsets = [
        (
            original_heading(),
            {"fields": [*original_fields("subject", "body"), "is_editable"]},
        ),
        *language_fieldsets("subject", "body"),
        (_("Length"), {"fields": [("min_length", "max_length")]}),
        (
            _("Recipients"),
            {"fields": ["recipient_mode", "recipients", "fallback_recipient"]},
        ),
        (_("Delivery"), {"fields": ["delivery_mode", "daily_cap"]}),
        (_("Moderation"), {"fields": ["moderation_words", "max_links"]}),
    ]


class CountryRecipientInline(admin.TabularInline):
    model = CountryRecipient
    extra = 0
    autocomplete_fields = ["recipient"]
    verbose_name_plural = _(
        "Recipients by country (when letters go to the supporter's country's recipient)"
    )


@admin.register(LetterAction)
class LetterActionAdmin(PetitionAdmin):
    """A letter action is a petition row (its statement, state, transitions,
    abuse controls, dashboard), with the letter, its recipients and delivery."""

    kind = Petition.Kind.LETTER
    list_display = [
        "title",
        "statement",
        "state",
        "letters",
        "held_link",
        "dashboard_link",
    ]
    inlines = [LetterSettingsInline, CountryRecipientInline, *PetitionAdmin.inlines]
    # A letter carries its writer's name, whatever this box would say.
    exclude = ["names_to_target"]
    change_form_template = "admin/actions/petition/change_form.html"

    def get_list_display(self, request: HttpRequest) -> list:
        return self.list_display

    @admin.display(description=_("letters sent or queued"))
    def letters(self, obj: Petition) -> int:
        return services.letter_counts([obj.pk])[obj.pk].letters

    @admin.display(description=_("held for moderation"))
    def held_link(self, obj: Petition) -> str:
        held = Letter.objects.held().filter(action=obj).count()
        url = reverse("admin:letters_letter_changelist")
        query = urlencode(
            {"action__id__exact": str(obj.pk), "moderation_state": "held"}
        )
        return format_html('<a href="{}?{}">{}</a>', url, query, held)


@admin.register(Letter)
class LetterAdmin(ReadOnlyAdmin):
    """The letters, and the moderation queue (filter: held). Campaigners see
    what was written and to whom, never who wrote it."""

    list_display = [
        "created_at",
        "action",
        "recipient",
        "subject",
        "moderation_state",
        "held_because",
        "delivery_state",
    ]
    list_filter = ["moderation_state", "delivery_state", "action"]
    list_select_related = ["action", "recipient"]
    search_fields = ["subject", "body"]
    date_hierarchy = "created_at"
    fields = [
        "action",
        "recipient",
        "subject",
        "body",
        "postal_town",
        "is_edited",
        "created_at",
        ("moderation_state", "held_because"),
        ("held_at", "approved_at", "rejected_at"),
        "delivery_state",
        ("queued_at", "sent_at", "failed_at"),
        "failure",
    ]
    actions = ["approve_selected", "reject_selected"]

    def has_moderate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("letters.moderate_letter")

    @admin.action(
        description=_("Approve selected held letters"), permissions=["moderate"]
    )
    def approve_selected(
        self, request: HttpRequest, queryset: QuerySet[Letter]
    ) -> None:
        done = services.approve_letters(
            letter_ids=list(queryset.values_list("pk", flat=True))
        )
        self._log(request, done, "approved")
        message = ngettext(
            "%(count)d letter approved.", "%(count)d letters approved.", len(done)
        )
        self.message_user(request, message % {"count": len(done)}, messages.SUCCESS)

    @admin.action(
        description=_("Reject selected held letters (never sent)"),
        permissions=["moderate"],
    )
    def reject_selected(self, request: HttpRequest, queryset: QuerySet[Letter]) -> None:
        done = services.reject_letters(
            letter_ids=list(queryset.values_list("pk", flat=True))
        )
        self._log(request, done, "rejected")
        message = ngettext(
            "%(count)d letter rejected.", "%(count)d letters rejected.", len(done)
        )
        self.message_user(request, message % {"count": len(done)}, messages.SUCCESS)

    def _log(self, request: HttpRequest, ids: list[int], outcome: str) -> None:
        """One audit entry per letter moderated, as for other staff actions."""
        field = str(Letter._meta.get_field("moderation_state").verbose_name)
        for letter in Letter.objects.filter(pk__in=ids):
            self.log_change(
                request, letter, [{"changed": {"fields": [field], "to": outcome}}]
            )
