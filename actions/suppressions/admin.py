from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from actions.core.canonical import canonical_email
from actions.suppressions.models import Suppression
from staff.admin_base import ReadOnlyAdmin


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
