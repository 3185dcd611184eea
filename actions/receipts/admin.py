from django.contrib import admin

from actions.receipts.models import DailyRoot
from staff.admin_base import ReadOnlyAdmin


@admin.register(DailyRoot)
class DailyRootAdmin(ReadOnlyAdmin):
    """The published roots; written only by the daily job, never by hand."""

    list_display = ["day", "size", "root", "committed_at"]
    date_hierarchy = "day"
    exclude = ["chunk_roots"]
