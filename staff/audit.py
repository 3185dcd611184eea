"""The audit log: who changed content or roles, who exported data, and who
looked at the signers of a sensitive petition.

Django's admin already writes a ``LogEntry`` for every add, change and delete
made through it, users and groups included (staff.admin shows them to
superusers). This module writes our own events to the same log: an export with
:func:`record_export` (the export workflow calls it once per file it hands
out), a look at sensitive signers with :func:`record_signer_view`, a
preview (:func:`record_preview`), an invalidation, a release and an admin
action's state change.
"""

import json

from django.contrib import admin
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import Field, Model, Q
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

EXPORTED = "exported"
VIEWED_SIGNERS = "viewed_signers"
# How a sensitive petition's signers were seen.
SIGNER_VIEWS = {
    "signature_list": _("the signature list"),
    "signature": _("a signature's page"),
    "export": _("an export"),
    "download": _("an export's download"),
    "delivery_pack": _("a delivery pack with names"),
    "signature_history": _("a signature's history"),
    "follow_up_preview": _("a follow-up's preview"),
}
PREVIEWED = "previewed"
# What a preview showed the count of.
PREVIEWS = {
    "invalidation": _("an invalidation"),
    "follow_up": _("a follow-up"),
}
INVALIDATED = "invalidated"
RELEASED = "released"
TRANSITION = "transition"
SYSTEM_USERNAME = "system"
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


def record_preview(
    *, user_id: int, obj: Model, what: str, filters: dict[str, str], matched: int
) -> LogEntry:
    """Write to the audit log that ``user_id`` previewed ``what`` (a key of
    PREVIEWS) on ``obj`` with ``filters``, and saw ``matched`` signatures
    match. A preview tells whether someone signed: every one is logged. One
    row a call."""
    return _record(
        user_id=user_id,
        obj=obj,
        message={PREVIEWED: {"what": what, "filters": filters, "matched": matched}},
    )


def record_release(*, user_id: int, obj: Model, signatures: int) -> LogEntry:
    """Write to the audit log that ``user_id`` released ``signatures`` suspect
    signatures of ``obj`` (a petition). One row a call."""
    return _record(
        user_id=user_id, obj=obj, message={RELEASED: {"signatures": signatures}}
    )


def record_transition(
    *, user_id: int, obj: Model, name: str, source: str, target: str
) -> LogEntry:
    """Write to the audit log that ``user_id`` moved ``obj`` by the transition
    ``name`` from state ``source`` to ``target``. One row a call.

    Also says "changed state", so Django's object history reads it.
    """
    state = obj._meta.get_field("state")
    assert isinstance(state, Field)  # a column of the model, not a relation
    changed = {"changed": {"fields": [str(state.verbose_name)]}}
    moved = {TRANSITION: {"name": name, "from": source, "to": target}}
    return _record(user_id=user_id, obj=obj, message=[changed, moved])


def system_user_id() -> int:
    """The id of the system user, who makes the site's own changes; made on
    first use, inactive and without a usable password (it cannot log in)."""
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=SYSTEM_USERNAME, defaults={"is_active": False}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user.pk


def _record(*, user_id: int, obj: Model, message: dict | list[dict]) -> LogEntry:
    messages = message if isinstance(message, list) else [message]
    return LogEntry.objects.create(
        user_id=user_id,
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        action_flag=CHANGE,
        change_message=json.dumps(messages),
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


def logged(entry: LogEntry, key: str) -> dict | None:
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
