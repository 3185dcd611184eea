from django.contrib import admin

from actions.revisions.models import Revision
from staff.admin_base import ReadOnlyAdmin


@admin.register(Revision)
class RevisionAdmin(ReadOnlyAdmin):
    """Kept versions of signed text: looked at, never edited (signatures name
    them)."""

    list_display = ["petition_title", "number", "is_minor", "created_at"]
    list_filter = ["is_minor"]
    search_fields = ["petition_title", "statement_title"]
