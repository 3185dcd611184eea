from collections.abc import Callable

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from actions.exports import views
from actions.exports.models import SignatureExport
from actions.exports.services import (
    AUDIT_PERMISSION,
    download_token,
    may_export,
    may_have_file,
    sensitive_petition_ids,
)
from staff.admin_base import ReadOnlyAdmin


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
    # Plain field names, all read-only; the stubs type fields as field groups.
    readonly_fields = fields  # type: ignore[assignment]

    def get_urls(self) -> list:
        download = self.admin_site.admin_view(views.download_export)
        return [
            path(
                "download/<str:token>/",
                download,
                name="exports_signatureexport_download",
            ),
            *super().get_urls(),
        ]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

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
        sensitive_ids = sensitive_petition_ids()

        @admin.display(description=_("file"))
        def download(obj: SignatureExport) -> str:
            if obj.state != SignatureExport.State.DONE or not obj.file:
                return "-"
            if not may_export(request.user):
                return "-"
            if not may_have_file(request.user, obj, sensitive_ids=sensitive_ids):
                return str(_("superusers only"))
            token = download_token(obj, user=request.user)
            url = reverse("admin:exports_signatureexport_download", args=[token])
            return format_html('<a href="{}">{}</a>', url, _("Download"))

        return download

    @admin.display(description=_("filters"))
    def filters_summary(self, obj: SignatureExport) -> StrOrPromise:
        if not obj.filters:
            return _("all signatures")
        return format_html_join(
            ", ", "{}={}", sorted((str(k), str(v)) for k, v in obj.filters.items())
        )
