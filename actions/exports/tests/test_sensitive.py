"""Sensitive petitions: only superusers export their signers, every look at
them is logged, and Campaigners see none of them."""

import io
import json

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.urls import reverse

from actions.exports import services
from actions.exports.models import SignatureExport
from actions.exports.services import SENSITIVE_REFUSAL, SensitivePetition
from actions.exports.tests.expected import read_csv
from actions.models import Petition
from actions.tests.factories import (
    make_petition,
    make_signature,
    make_staff,
    petition_change_data,
)
from staff.tests.otp import log_in_verified

pytestmark = pytest.mark.django_db

EXPORT = reverse("admin:actions_signature_export")
SIGNATURES = reverse("admin:actions_signature_changelist")
AUDIT = reverse("admin:admin_logentry_changelist")


@pytest.fixture
def sensitive(statement):
    petition = make_petition(statement, sensitive=True, title="Witnesses")
    make_signature(petition, email="witness@example.org", last_name="Hidden")
    return petition


@pytest.fixture
def ordinary(statement):
    petition = make_petition(statement, title="Ordinary")
    make_signature(petition, email="open@example.org", last_name="Open")
    return petition


def _views(petition: Petition) -> list[str]:
    """The audit log's entries for looks at this petition's signers."""
    entries = LogEntry.objects.filter(object_id=str(petition.pk)).order_by("pk")
    return [
        json.loads(entry.change_message)[0]["viewed_signers"]["via"]
        for entry in entries
        if "viewed_signers" in entry.change_message
    ]


def _download(response) -> bytes:
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def _as(client, user):
    log_in_verified(client, user)
    return client


# Exports


def test_a_reports_user_cannot_export_a_sensitive_petition(
    client, reports_user, sensitive
):
    response = _as(client, reports_user).post(
        EXPORT, {"format": "csv", "petition": sensitive.slug}
    )

    assert response.status_code == 200
    assert str(SENSITIVE_REFUSAL) in response.content.decode()
    assert not SignatureExport.objects.exists()
    assert _views(sensitive) == []


def test_a_reports_users_export_of_everything_leaves_sensitive_signers_out(
    client, reports_user, sensitive, ordinary
):
    response = _as(client, reports_user).post(EXPORT, {"format": "csv"})

    _, rows = read_csv(_download(response))
    assert [row[3] for row in rows] == ["Open"]
    assert SignatureExport.objects.get().filters == {"sensitive": "excluded"}
    assert _views(sensitive) == []


def test_a_superuser_exports_it_and_the_export_is_logged(
    client, superuser, sensitive, ordinary
):
    response = _as(client, superuser).post(
        EXPORT, {"format": "csv", "petition": sensitive.slug}
    )

    _, rows = read_csv(_download(response))
    assert [row[3] for row in rows] == ["Hidden"]
    assert _views(sensitive) == ["export"]
    assert _views(ordinary) == []


def test_a_superusers_export_of_everything_logs_each_sensitive_petition(
    client, superuser, sensitive, ordinary
):
    response = _as(client, superuser).post(EXPORT, {"format": "xlsx"})

    assert response.status_code == 200
    assert _views(sensitive) == ["export"]
    assert _views(ordinary) == []


def test_the_service_refuses_a_sensitive_petition_named_by_a_reports_user(
    reports_user, sensitive
):
    with pytest.raises(SensitivePetition):
        services.start_export(
            user=reports_user,
            filters={"petition": sensitive.pk},
            format="csv",
            via="background",
        )
    assert not SignatureExport.objects.exists()


def test_a_background_export_leaves_out_a_petition_made_sensitive_meanwhile(
    reports_user, ordinary
):
    export = services.start_export(
        user=reports_user,
        filters={"petition": ordinary.pk},
        format="csv",
        via="background",
    )
    Petition.objects.filter(pk=ordinary.pk).update(sensitive=True)

    services.build_file(export.pk)

    export.refresh_from_db()
    assert export.row_count == 0
    with export.file.open("rb") as file:
        assert read_csv(file.read())[1] == []


def test_a_background_file_of_sensitive_signers_is_logged_at_each_download(
    client, superuser, sensitive
):
    export = services.start_export(
        user=superuser,
        filters={"petition": sensitive.pk},
        format="csv",
        via="background",
    )
    services.build_file(export.pk)
    token = services.download_token(export, user=superuser)
    url = reverse("admin:exports_signatureexport_download", args=[token])

    _as(client, superuser)
    first, second = client.get(url), client.get(url)

    assert first.status_code == second.status_code == 200
    assert _views(sensitive) == ["export", "download", "download"]


def test_the_command_refuses_a_sensitive_petition_to_a_reports_user(
    reports_user, sensitive, tmp_path
):
    output = tmp_path / "out.csv"

    with pytest.raises(CommandError, match="only a superuser can export"):
        call_command(
            "export_signatures",
            "--user=rita",
            "--format=csv",
            f"--output={output}",
            f"--petition={sensitive.slug}",
            stdout=io.StringIO(),
        )

    assert not output.exists()
    assert not SignatureExport.objects.exists()


def test_the_command_exports_it_for_a_superuser_and_logs_it(
    superuser, sensitive, tmp_path
):
    output = tmp_path / "out.csv"

    call_command(
        "export_signatures",
        "--user=root",
        "--format=csv",
        f"--output={output}",
        f"--petition={sensitive.slug}",
        stdout=io.StringIO(),
    )

    assert [row[3] for row in read_csv(output.read_bytes())[1]] == ["Hidden"]
    assert _views(sensitive) == ["export"]


# Looking at signers in the admin


def test_a_reports_users_look_at_the_list_filtered_to_it_is_logged(
    client, reports_user, sensitive
):
    response = _as(client, reports_user).get(
        SIGNATURES, {"petition__id__exact": sensitive.pk}
    )

    assert response.status_code == 200
    assert "witness@example.org" in response.content.decode()
    assert _views(sensitive) == ["signature_list"]
    assert LogEntry.objects.get().user == reports_user


def test_a_list_page_showing_its_signers_is_logged_and_others_are_not(
    client, superuser, sensitive, ordinary
):
    _as(client, superuser)

    client.get(SIGNATURES)
    client.get(SIGNATURES, {"petition__id__exact": ordinary.pk})

    assert _views(sensitive) == ["signature_list"]
    assert _views(ordinary) == []


def test_a_look_at_one_of_its_signatures_is_logged(client, reports_user, sensitive):
    signature = sensitive.signatures.get()

    response = _as(client, reports_user).get(
        reverse("admin:actions_signature_change", args=[signature.pk])
    )

    assert response.status_code == 200
    assert _views(sensitive) == ["signature"]


def test_a_look_at_one_of_its_signatures_history_is_logged(
    client, reports_user, sensitive
):
    signature = sensitive.signatures.get()
    url = reverse("admin:actions_signature_history", args=[signature.pk])

    response = _as(client, reports_user).get(url)

    assert response.status_code == 200
    assert _views(sensitive) == ["signature_history"]


def test_the_looks_are_listed_in_the_audit_log(client, superuser, sensitive):
    _as(client, superuser)
    client.get(SIGNATURES, {"petition__id__exact": sensitive.pk})

    response = client.get(AUDIT, {"kind": "signer_views"})

    assert "Saw sensitive signers through the signature list" in response.text
    assert list(response.context["cl"].result_list)[0].object_repr == "Witnesses"


def test_a_campaigner_cannot_see_its_signers_anywhere(client, campaigner, sensitive):
    signature = sensitive.signatures.get()
    _as(client, campaigner)

    pages = {
        "list": client.get(SIGNATURES, {"petition__id__exact": sensitive.pk}),
        "signature": client.get(
            reverse("admin:actions_signature_change", args=[signature.pk])
        ),
        "export form": client.get(EXPORT, {"petition__id__exact": sensitive.pk}),
        "export": client.post(EXPORT, {"format": "csv", "petition": sensitive.slug}),
        "consent records": client.get(
            reverse("admin:consent_consentrecord_changelist")
        ),
    }
    petitions = client.get(reverse("admin:actions_petition_changelist"))
    dashboard = client.get(
        reverse("admin:actions_petition_dashboard", args=[sensitive.pk])
    )

    assert {name: r.status_code for name, r in pages.items()} == dict.fromkeys(
        pages, 403
    )
    assert petitions.status_code == dashboard.status_code == 200
    for page in (petitions, dashboard):
        assert "witness@example.org" not in page.content.decode()
        assert "Hidden" not in page.content.decode()
        assert SIGNATURES not in page.content.decode()
    assert not SignatureExport.objects.exists()
    assert _views(sensitive) == []


def test_a_superuser_marks_a_petition_sensitive_in_the_admin(
    client, superuser, ordinary
):
    url = reverse("admin:actions_petition_change", args=[ordinary.pk])
    _as(client, superuser)
    page = client.get(url)

    response = client.post(
        url, petition_change_data(ordinary, sensitive="on", retention_days="30")
    )

    assert 'name="sensitive"' in page.content.decode()
    assert response.status_code == 302, response.context["adminform"].form.errors
    ordinary.refresh_from_db()
    assert (ordinary.sensitive, ordinary.retention_days) == (True, 30)


def test_a_campaigner_cannot_mark_a_petition_sensitive(client, campaigner, ordinary):
    url = reverse("admin:actions_petition_change", args=[ordinary.pk])
    _as(client, campaigner)

    response = client.post(
        url, petition_change_data(ordinary, sensitive="on", retention_days="30")
    )

    assert response.status_code == 302
    ordinary.refresh_from_db()
    assert (ordinary.sensitive, ordinary.retention_days) == (False, None)


# Files of sensitive signers: for superusers only, whoever may audit exports

EXPORTS = reverse("admin:exports_signatureexport_changelist")


@pytest.fixture
def auditor(reports_user):
    """A Reports user who may also see everyone's export records."""
    reports_user.user_permissions.add(
        Permission.objects.get(
            codename="view_signatureexport", content_type__app_label="exports"
        )
    )
    return reports_user


def _superusers_file(superuser, filters: dict) -> SignatureExport:
    export = services.start_export(
        user=superuser, filters=filters, format="csv", via="background"
    )
    services.build_file(export.pk)
    export.refresh_from_db()
    return export


@pytest.mark.parametrize("named", [True, False], ids=["named", "everything"])
def test_an_auditor_cannot_download_a_superusers_sensitive_file(
    client, superuser, auditor, sensitive, ordinary, named
):
    filters = {"petition": sensitive.pk} if named else {}
    export = _superusers_file(superuser, filters)
    token = services.download_token(export, user=auditor)
    _as(client, auditor)

    listed = client.get(EXPORTS)
    response = client.get(
        reverse("admin:exports_signatureexport_download", args=[token])
    )

    assert listed.status_code == 200
    assert export.username in listed.content.decode()  # the record, not the file
    assert "/download/" not in listed.content.decode()
    assert response.status_code == 403
    assert b"Hidden" not in response.content
    assert _views(sensitive) == ["export"]  # the superuser's, none of the auditor


def test_an_auditor_downloads_a_superusers_file_without_sensitive_signers(
    client, superuser, auditor, sensitive, ordinary
):
    export = _superusers_file(superuser, {"petition": ordinary.pk})
    token = services.download_token(export, user=auditor)
    _as(client, auditor)

    listed = client.get(EXPORTS)
    response = client.get(
        reverse("admin:exports_signatureexport_download", args=[token])
    )

    assert "/download/" in listed.content.decode()
    assert response.status_code == 200
    assert b"Open" in b"".join(response.streaming_content)


def test_a_superuser_downloads_another_superusers_sensitive_file(
    client, superuser, sensitive
):
    export = _superusers_file(superuser, {})
    other = make_staff("root2", superuser=True)
    token = services.download_token(export, user=other)
    _as(client, other)

    response = client.get(
        reverse("admin:exports_signatureexport_download", args=[token])
    )

    assert response.status_code == 200
    assert b"Hidden" in b"".join(response.streaming_content)
