"""The audit log in the admin: every change, export and look at sensitive
signers, for superusers only, never editable."""

from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from staff.admin_base import SuperuserOnlyAdmin
from staff.audit import (
    EXPORTED,
    INVALIDATED,
    PREVIEWED,
    PREVIEWS,
    RELEASED,
    ROLE_MODELS,
    SIGNER_VIEWS,
    TRANSITION,
    VIEWED_SIGNERS,
    logged,
)


class KindFilter(admin.SimpleListFilter):
    title = _("kind")
    parameter_name = "kind"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin
    ) -> list[tuple[str, StrOrPromise]]:
        return [
            ("content", _("Content changes")),
            ("roles", _("Users, roles and devices")),
            ("exports", _("Exports")),
            ("signer_views", _("Views of sensitive signers")),
            ("previews", _("Previews")),
        ]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[LogEntry]
    ) -> QuerySet[LogEntry]:
        exports = Q(change_message__contains=f'"{EXPORTED}"')
        views = Q(change_message__contains=f'"{VIEWED_SIGNERS}"')
        if self.value() == "exports":
            return queryset.filter(exports)
        if self.value() == "signer_views":
            return queryset.filter(views)
        if self.value() == "previews":
            return queryset.filter(change_message__contains=f'"{PREVIEWED}"')
        if self.value() == "roles":
            return queryset.filter(ROLE_MODELS).exclude(exports)
        if self.value() == "content":
            return queryset.exclude(ROLE_MODELS).exclude(exports).exclude(views)
        return queryset


@admin.register(LogEntry)
class AuditLogAdmin(SuperuserOnlyAdmin):
    """Every admin change and export, for superusers only, never editable."""

    list_display = ["action_time", "user", "what", "content_type", "object_repr"]
    list_filter = [KindFilter, "action_flag", "content_type", "user"]
    search_fields = ["object_repr", "user__username"]
    list_select_related = ["user", "content_type"]
    date_hierarchy = "action_time"
    ordering = ["-action_time"]
    show_full_result_count = False

    @admin.display(description=_("what happened"))
    def what(self, entry: LogEntry) -> str:
        exported = logged(entry, EXPORTED)
        if exported is not None:
            rows = int(exported.get("rows", 0))
            return ngettext("Exported %(rows)d row", "Exported %(rows)d rows", rows) % {
                "rows": rows
            }
        viewed = logged(entry, VIEWED_SIGNERS)
        if viewed is not None:
            via = SIGNER_VIEWS.get(str(viewed.get("via")), viewed.get("via"))
            return gettext("Saw sensitive signers through %(via)s") % {"via": via}
        invalidated = logged(entry, INVALIDATED)
        if invalidated is not None:
            count = int(invalidated.get("signatures", 0))
            filters = ", ".join(
                f"{name}={value}"
                for name, value in sorted(invalidated.get("filters", {}).items())
            )
            return ngettext(
                "Invalidated %(count)d signature (%(filters)s)",
                "Invalidated %(count)d signatures (%(filters)s)",
                count,
            ) % {"count": count, "filters": filters}
        previewed = logged(entry, PREVIEWED)
        if previewed is not None:
            what = PREVIEWS.get(str(previewed.get("what")), previewed.get("what"))
            matched = int(previewed.get("matched", 0))
            filters = ", ".join(
                f"{name}={value}"
                for name, value in sorted(previewed.get("filters", {}).items())
            )
            return ngettext(
                "Previewed %(what)s: %(count)d signature matched (%(filters)s)",
                "Previewed %(what)s: %(count)d signatures matched (%(filters)s)",
                matched,
            ) % {"what": what, "count": matched, "filters": filters}
        released = logged(entry, RELEASED)
        if released is not None:
            count = int(released.get("signatures", 0))
            return ngettext(
                "Released %(count)d suspect signature",
                "Released %(count)d suspect signatures",
                count,
            ) % {"count": count}
        moved = logged(entry, TRANSITION)
        if moved is not None:
            return gettext("Moved from %(source)s to %(target)s") % {
                "source": moved.get("from"),
                "target": moved.get("to"),
            }
        change = entry.get_change_message()
        if entry.is_addition():
            return change or gettext("Added.")
        if entry.is_deletion():
            return gettext("Deleted.")
        return change
