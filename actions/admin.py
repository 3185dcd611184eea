from collections.abc import Callable

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from actions import dashboard
from actions.exports import views as export_views
from actions.exports.services import (
    AUDIT_PERMISSION,
    download_token,
    may_export,
)
from actions.models import (
    OutboundEmail,
    Petition,
    Signature,
    SignatureExport,
    Suppression,
    Target,
)
from actions.services import canonical_email
from campaign.audit import log_state_change


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by the site only: campaigners look, never edit."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Deleting would desynchronise counts; erasure is its own workflow.
        return False


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = ["name", "description"]
    search_fields = ["name", "description"]


@admin.register(Petition)
class PetitionAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "statement",
        "target",
        "state",
        "goal",
        "confirmed",
        "signatures_link",
        "dashboard_link",
    ]
    list_filter = ["state"]
    search_fields = ["title", "demand", "statement__title"]
    list_select_related = ["statement", "target"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["target"]
    readonly_fields = ["closed_at", "delivered_at", "won_at"]
    actions = ["close", "mark_delivered", "mark_won"]

    def get_list_display(self, request: HttpRequest) -> list:
        # Campaigners see counts, never who signed.
        if request.user.has_perm("actions.view_signature"):
            return self.list_display
        return [name for name in self.list_display if name != "signatures_link"]

    @admin.display(description=_("confirmed signatures"))
    def confirmed(self, obj: Petition) -> int:
        return obj.confirmed_count()

    @admin.display(description=_("signatures"))
    def signatures_link(self, obj: Petition) -> str:
        url = reverse("admin:actions_signature_changelist")
        query = urlencode({"petition__id__exact": obj.pk})
        return format_html('<a href="{}?{}">{}</a>', url, query, _("List"))

    @admin.display(description=_("dashboard"))
    def dashboard_link(self, obj: Petition) -> str:
        url = reverse("admin:actions_petition_dashboard", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Dashboard"))

    def get_urls(self) -> list[URLPattern]:
        dashboard_url = path(
            "<path:object_id>/dashboard/",
            self.admin_site.admin_view(self.dashboard_view),
            name="actions_petition_dashboard",
        )
        return [dashboard_url, *super().get_urls()]

    def dashboard_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Counts and charts of one petition, for staff who may view petitions."""
        if not self.has_view_permission(request):
            raise PermissionDenied  # before the lookup: no probing for petitions
        petition = self.get_object(request, unquote(object_id))
        if petition is None:
            raise Http404
        context = self.admin_site.each_context(request) | {
            "opts": self.opts,
            "title": _("Dashboard: %(petition)s") % {"petition": petition},
            "petition": petition,
            "dashboard": dashboard.petition_dashboard(petition=petition),
        }
        return TemplateResponse(
            request, "admin/actions/petition/dashboard.html", context
        )

    def _transition(self, request: HttpRequest, queryset, method: str) -> None:
        moved = [petition for petition in queryset if getattr(petition, method)()]
        for petition in moved:
            log_state_change(self, request, petition)
        done = len(moved)
        self.message_user(
            request, _("%(n)d petition(s) updated.") % {"n": done}, messages.SUCCESS
        )

    @admin.action(description=_("Close selected petitions"))
    def close(self, request: HttpRequest, queryset: QuerySet[Petition]) -> None:
        self._transition(request, queryset, "close")

    @admin.action(description=_("Mark selected petitions delivered"))
    def mark_delivered(
        self, request: HttpRequest, queryset: QuerySet[Petition]
    ) -> None:
        self._transition(request, queryset, "mark_delivered")

    @admin.action(description=_("Mark selected petitions won"))
    def mark_won(self, request: HttpRequest, queryset: QuerySet[Petition]) -> None:
        self._transition(request, queryset, "mark_won")


@admin.register(Signature)
class SignatureAdmin(ReadOnlyAdmin):
    list_display = [
        "canonical_email",
        "first_name",
        "last_name",
        "country",
        "state",
        "created_at",
        "confirmed_at",
        "source",
    ]
    list_filter = ["state", "petition", "wants_updates", "country"]
    search_fields = ["=canonical_email", "last_name"]
    list_select_related = ["petition"]
    # Millions of rows: no exact COUNT(*) for every filter change.
    show_full_result_count = False
    list_per_page = 50
    ordering = ["-created_at"]
    change_list_template = "admin/actions/signature/change_list.html"

    def get_urls(self) -> list:
        export = self.admin_site.admin_view(export_views.export_signatures)
        return [
            path("export/", export, name="actions_signature_export"),
            *super().get_urls(),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict | None = None
    ) -> HttpResponse:
        context = {"may_export": may_export(request.user)} | (extra_context or {})
        return super().changelist_view(request, extra_context=context)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Signature], search_term: str
    ) -> tuple[QuerySet[Signature], bool]:
        # Any spelling of an address finds its signature (Ada@Gmail vs a.da@).
        if "@" in search_term:
            canonical = canonical_email(search_term)
            return queryset.filter(canonical_email=canonical), False
        return super().get_search_results(request, queryset, search_term)


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ReadOnlyAdmin):
    list_display = ["kind", "to_email", "state", "attempts", "created_at", "sent_at"]
    list_filter = ["state", "kind"]
    search_fields = ["=to_email"]
    show_full_result_count = False
    ordering = ["-created_at"]


@admin.register(Suppression)
class SuppressionAdmin(ReadOnlyAdmin):
    list_display = ["canonical_email", "reason", "provider", "created_at"]
    list_filter = ["reason", "provider"]
    search_fields = ["=canonical_email"]
    show_full_result_count = False
    ordering = ["-created_at"]

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Lifting a suppression lets mail reach a box that refused it or whose
        # owner called it spam: a decision for a superuser, on evidence.
        return request.user.is_superuser

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Suppression], search_term: str
    ) -> tuple[QuerySet[Suppression], bool]:
        if "@" in search_term:
            return queryset.filter(canonical_email=canonical_email(search_term)), False
        return super().get_search_results(request, queryset, search_term)


@admin.register(SignatureExport)
class SignatureExportAdmin(ReadOnlyAdmin):
    """The audit trail of exports, and the links to files built in the
    background. Exporters see their own; a superuser or a holder of
    view_signatureexport sees everyone's."""

    list_display = [
        "created_at",
        "username",
        "format",
        "via",
        "state",
        "row_count",
        "filters_summary",
        "finished_at",
    ]
    list_filter = ["state", "format", "via"]
    search_fields = ["username"]
    fields = [
        "username",
        "format",
        "via",
        "state",
        "filters_summary",
        "row_count",
        "error",
        "created_at",
        "started_at",
        "finished_at",
        "failed_at",
        "expired_at",
    ]
    readonly_fields = fields

    def get_urls(self) -> list:
        download = self.admin_site.admin_view(export_views.download_export)
        return [
            path(
                "download/<str:token>/",
                download,
                name="actions_signatureexport_download",
            ),
            *super().get_urls(),
        ]

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return may_export(request.user) or request.user.has_perm(AUDIT_PERMISSION)

    def get_queryset(self, request: HttpRequest) -> QuerySet[SignatureExport]:
        queryset = super().get_queryset(request)
        if request.user.has_perm(AUDIT_PERMISSION):
            return queryset
        return queryset.filter(user=request.user)

    def get_list_display(self, request: HttpRequest) -> list:
        return [*self.list_display, self._download_column(request)]

    def _download_column(self, request: HttpRequest) -> Callable:
        # A link token is bound to the user who sees the page.
        @admin.display(description=_("file"))
        def download(obj: SignatureExport) -> str:
            if obj.state != SignatureExport.State.DONE or not obj.file:
                return "-"
            if not may_export(request.user):
                return "-"
            token = download_token(obj, user=request.user)
            url = reverse("admin:actions_signatureexport_download", args=[token])
            return format_html('<a href="{}">{}</a>', url, _("Download"))

        return download

    @admin.display(description=_("filters"))
    def filters_summary(self, obj: SignatureExport) -> str:
        if not obj.filters:
            return _("all signatures")
        return format_html_join(
            ", ", "{}={}", sorted((str(k), str(v)) for k, v in obj.filters.items())
        )
