from collections.abc import Callable

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from actions.deliverypacks import views
from actions.deliverypacks.models import DeliveryPack
from actions.deliverypacks.services import (
    AUDIT_PERMISSION,
    download_token,
    may_request,
)
from staff.admin_base import ReadOnlyAdmin


@admin.register(DeliveryPack)
class DeliveryPackAdmin(ReadOnlyAdmin):
    """The record of delivery packs and the links to their PDFs. Exporters
    see their own; a superuser or a holder of view_deliverypack sees all."""

    list_display = [
        "created_at",
        "petition",
        "username",
        "include_names",
        "state",
        "signature_count",
        "finished_at",
    ]
    list_filter = ["state", "include_names"]
    search_fields = ["username", "petition__title"]
    fields = [
        "petition",
        "username",
        "include_names",
        "state",
        "signature_count",
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
        wrap = self.admin_site.admin_view
        return [
            path(
                "request/",
                wrap(views.request_pack),
                name="deliverypacks_deliverypack_request",
            ),
            path(
                "download/<str:token>/",
                wrap(views.download_pack),
                name="deliverypacks_deliverypack_download",
            ),
            *super().get_urls(),
        ]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return may_request(request.user) or request.user.has_perm(AUDIT_PERMISSION)

    def get_queryset(self, request: HttpRequest) -> QuerySet[DeliveryPack]:
        queryset = super().get_queryset(request).select_related("petition")
        if request.user.has_perm(AUDIT_PERMISSION):
            return queryset
        return queryset.filter(user=request.user)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict | None = None
    ) -> HttpResponse:
        extra = (extra_context or {}) | {"may_request": may_request(request.user)}
        return super().changelist_view(request, extra)

    def get_list_display(self, request: HttpRequest) -> list:
        return [*self.list_display, self._download_column(request)]

    def _download_column(self, request: HttpRequest) -> Callable:
        # A link token is bound to the user who sees the page.
        @admin.display(description=_("file"))
        def download(obj: DeliveryPack) -> str:
            if obj.state != DeliveryPack.State.DONE or not obj.file:
                return "-"
            if not may_request(request.user):
                return "-"
            if obj.include_names and not obj.petition.names_may_leave:
                return "-"  # refused at download too: see pack_for_download
            token = download_token(obj, user=request.user)
            url = reverse("admin:deliverypacks_deliverypack_download", args=[token])
            return format_html('<a href="{}">{}</a>', url, _("Download"))

        return download
