"""The audit log: admin changes, role changes and exports, for superusers only."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.urls import reverse

from staff.audit import record_export, record_transition, system_user_id
from staff.twofactor import enrol_totp_device
from statements.models import Statement
from statements.tests.factories import make_statement

pytestmark = pytest.mark.django_db

AUDIT = reverse("admin:admin_logentry_changelist")


def _listed(response) -> list[LogEntry]:
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def test_editing_content_and_roles_through_the_admin_is_logged(admin_client, statement):
    editor = get_user_model().objects.create_user("editor", password="x" * 20)
    admin_client.post(
        reverse("admin:auth_user_change", args=[editor.pk]),
        {
            "username": "editor",
            "is_staff": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )
    admin_client.post(
        reverse("admin:statements_statement_delete", args=[statement.pk]),
        {"post": "yes"},
    )

    roles = _listed(admin_client.get(AUDIT, {"kind": "roles"}))
    content = _listed(admin_client.get(AUDIT, {"kind": "content"}))

    assert [(e.object_repr, e.is_change()) for e in roles] == [("editor", True)]
    assert "Staff status" in roles[0].get_change_message()
    assert [(e.object_repr, e.is_deletion()) for e in content] == [
        (str(statement), True)
    ]
    assert not Statement.objects.exists()


def test_an_export_is_listed_with_its_row_count(admin_client, admin_user, petition):
    record_export(user_id=admin_user.pk, obj=petition, rows=1234)

    response = admin_client.get(AUDIT, {"kind": "exports"})

    [entry] = _listed(response)
    assert entry.object_repr == str(petition)
    assert "Exported 1234 rows" in response.text
    assert _listed(admin_client.get(AUDIT, {"kind": "content"})) == []


def test_staff_who_are_not_superusers_cannot_see_the_audit_log(client):
    staff = get_user_model().objects.create_user(
        "campaigner", password="x" * 20, is_staff=True
    )
    device = enrol_totp_device(user=staff)
    client.force_login(staff)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()

    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(AUDIT).status_code == 403


def test_nobody_can_edit_or_delete_an_audit_entry(admin_client, admin_user, petition):
    entry = record_export(user_id=admin_user.pk, obj=petition, rows=1)

    change = admin_client.post(
        reverse("admin:admin_logentry_change", args=[entry.pk]), {}
    )
    delete = admin_client.post(
        reverse("admin:admin_logentry_delete", args=[entry.pk]), {"post": "yes"}
    )

    assert delete.status_code == 403
    assert change.status_code in {200, 403}  # a read-only view at most
    assert LogEntry.objects.filter(pk=entry.pk).exists()


def test_publishing_and_closing_through_admin_actions_are_logged(
    admin_client, petition
):
    draft = make_statement(state=Statement.State.DRAFT)
    admin_client.post(
        reverse("admin:statements_statement_changelist"),
        {"action": "publish", "_selected_action": [draft.pk]},
    )
    admin_client.post(
        reverse("admin:actions_petition_changelist"),
        {
            "action": "close_selected",
            "_selected_action": [petition.pk],
            "confirmed": "yes",
        },
    )

    content = _listed(admin_client.get(AUDIT, {"kind": "content"}))

    assert sorted(e.object_repr for e in content) == sorted([str(draft), str(petition)])
    assert {e.get_change_message() for e in content} == {"Changed state."}


def test_a_transition_reads_as_a_move_between_states_in_the_log(
    admin_client, statement
):
    record_transition(
        user_id=system_user_id(),
        obj=statement,
        name="publish",
        source="scheduled",
        target="published",
    )

    response = admin_client.get(AUDIT)

    assert "Moved from scheduled to published" in response.text
    assert _listed(response)[0].user.username == "system"
