"""Base classes for admins of rows the site writes itself."""

from django.contrib import admin
from django.http import HttpRequest


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
