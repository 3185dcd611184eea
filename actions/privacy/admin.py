from django.contrib import admin

from actions.privacy.models import Erasure
from staff.admin_base import SuperuserOnlyAdmin


@admin.register(Erasure)
class ErasureAdmin(SuperuserOnlyAdmin):
    """When signer data was erased, and why: the record names no one."""

    list_display = ["erased_at", "reason", "petition", "signatures"]
    list_filter = ["reason"]
    list_select_related = ["petition"]
