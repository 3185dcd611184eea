from django.contrib import admin

from actions.outbox.models import OutboundEmail
from staff.admin_base import ReadOnlyAdmin


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ReadOnlyAdmin):
    list_display = ["kind", "to_email", "state", "attempts", "created_at", "sent_at"]
    list_filter = ["state", "kind"]
    search_fields = ["=to_email"]
    show_full_result_count = False
    ordering = ["-created_at"]
