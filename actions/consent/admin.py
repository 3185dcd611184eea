from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from actions.consent.models import ConsentRecord, ConsentWording
from staff.admin_base import ReadOnlyAdmin


@admin.register(ConsentRecord)
class ConsentRecordAdmin(ReadOnlyAdmin):
    """Every answer about updates, as given: superusers and Reports look.

    Shows signature ids, not addresses: the signature list (where looks at a
    sensitive petition are logged) is the way from a person to their records.
    """

    list_display = [
        "recorded_at",
        "signature_id",
        "petition",
        "given",
        "all_petitions",
        "form",
        "wording",
    ]
    list_filter = ["given", "form", "wording"]
    search_fields = ["=signature__id"]
    list_select_related = ["signature__petition", "wording"]
    show_full_result_count = False
    fields = [
        "signature_id",
        "petition",
        "given",
        "all_petitions",
        "form",
        "wording",
        "recorded_at",
    ]
    # Plain field names, all read-only; the stubs type fields as field groups.
    readonly_fields = fields  # type: ignore[assignment]

    @admin.display(description=_("petition"))
    def petition(self, obj: ConsentRecord) -> str:
        return str(obj.signature.petition)


@admin.register(ConsentWording)
class ConsentWordingAdmin(ReadOnlyAdmin):
    list_display = ["version", "language", "text", "text_hash", "first_shown_at"]
    list_filter = ["language"]
