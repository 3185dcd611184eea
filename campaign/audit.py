"""The audit log: who changed content or roles, who exported data, and who
looked at the signers of a sensitive petition.

Django's admin already writes a ``LogEntry`` for every add, change and delete
made through it, users and groups included. This module shows those entries to
superusers only, read-only, filtered by kind, and lets an export be written to
the same log with :func:`record_export` (the export workflow calls it once per
file it hands out) and a look at sensitive signers with
:func:`record_signer_view`.
"""

import json
from typing import TYPE_CHECKING

from django.contrib import admin
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Field, Model, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from campaign.admin import SuperuserOnlyAdmin

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

EXPORTED = "exported"
VIEWED_SIGNERS = "viewed_signers"
# How a sensitive petition's signers were seen.
SIGNER_VIEWS = {
    "signature_list": _("the signature list"),
    "signature": _("a signature's page"),
    "export": _("an export"),
    "download": _("an export's download"),
}
INVALIDATED = "invalidated"
RELEASED = "released"
ROLE_MODELS = Q(content_type__app_label="auth") | Q(content_type__app_label="otp_totp")


def record_export(*, user_id: int, obj: Model, rows: int) -> LogEntry:
    """Write to the audit log that ``user_id`` exported ``rows`` rows of ``obj``.

    Writes one row each call (every export is its own event). Raises nothing of
    its own; database errors propagate.
    """
    return _record(user_id=user_id, obj=obj, message={EXPORTED: {"rows": rows}})


def record_invalidation(
    *, user_id: int, obj: Model, signatures: int, filters: dict[str, str]
) -> LogEntry:
    """Write to the audit log that ``user_id`` invalidated ``signatures``
    signatures of ``obj`` (a petition) chosen by ``filters``. One row a call."""
    return _record(
        user_id=user_id,
        obj=obj,
        message={INVALIDATED: {"signatures": signatures, "filters": filters}},
    )


def record_release(*, user_id: int, obj: Model, signatures: int) -> LogEntry:
    """Write to the audit log that ``user_id`` released ``signatures`` suspect
    signatures of ``obj`` (a petition). One row a call."""
    return _record(
        user_id=user_id, obj=obj, message={RELEASED: {"signatures": signatures}}
    )


def _record(*, user_id: int, obj: Model, message: dict) -> LogEntry:
    return LogEntry.objects.create(
        user_id=user_id,
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        action_flag=CHANGE,
        change_message=json.dumps([message]),
    )


def record_signer_view(*, user_id: int, petition: Model, via: str) -> LogEntry:
    """Write to the audit log that ``user_id`` saw signers of a sensitive
    ``petition`` through ``via`` (a key of SIGNER_VIEWS). One row each call."""
    return LogEntry.objects.create(
        user_id=user_id,
        content_type=ContentType.objects.get_for_model(petition),
        object_id=str(petition.pk),
        object_repr=str(petition)[:200],
        action_flag=CHANGE,
        change_message=json.dumps([{VIEWED_SIGNERS: {"via": via}}]),
    )


def log_state_change(
    model_admin: admin.ModelAdmin, request: HttpRequest, obj: Model
) -> None:
    """Write to the audit log that an admin action moved ``obj`` to a new state.

    Admin actions change rows without the change form, so Django writes no
    entry for them by itself. One row per call.
    """
    state = obj._meta.get_field("state")
    assert isinstance(state, Field)  # a column of the model, not a relation
    field = str(state.verbose_name)
    model_admin.log_change(request, obj, [{"changed": {"fields": [field]}}])


def _logged(entry: LogEntry, key: str) -> dict | None:
    """What a message of ours (export, signer view, invalidation) recorded
    under ``key``."""
    try:
        messages = json.loads(entry.change_message)
    except ValueError:
        return None
    for message in messages if isinstance(messages, list) else []:
        if isinstance(message, dict) and isinstance(message.get(key), dict):
            return message[key]
    return None


class KindFilter(admin.SimpleListFilter):
    title = _("kind")
    parameter_name = "kind"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin
    ) -> list[tuple[str, "StrPromise"]]:
        return [
            ("content", _("Content changes")),
            ("roles", _("Users, roles and devices")),
            ("exports", _("Exports")),
            ("signer_views", _("Views of sensitive signers")),
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
        if self.value() == "roles":
            return queryset.filter(ROLE_MODELS).exclude(exports)
        if self.value() == "content":
            return queryset.exclude(ROLE_MODELS).exclude(exports).exclude(views)
        return queryset


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
        exported = _logged(entry, EXPORTED)
        if exported is not None:
            rows = int(exported.get("rows", 0))
            return ngettext("Exported %(rows)d row", "Exported %(rows)d rows", rows) % {
                "rows": rows
            }
        viewed = _logged(entry, VIEWED_SIGNERS)
        if viewed is not None:
            via = SIGNER_VIEWS.get(str(viewed.get("via")), viewed.get("via"))
            return gettext("Saw sensitive signers through %(via)s") % {"via": via}
        invalidated = _logged(entry, INVALIDATED)
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
        released = _logged(entry, RELEASED)
        if released is not None:
            count = int(released.get("signatures", 0))
            return ngettext(
                "Released %(count)d suspect signature",
                "Released %(count)d suspect signatures",
                count,
            ) % {"count": count}
        change = entry.get_change_message()
        if entry.is_addition():
            return change or gettext("Added.")
        if entry.is_deletion():
            return gettext("Deleted.")
        return change


admin.site.register(LogEntry, AuditLogAdmin)
