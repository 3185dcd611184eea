"""The staff roles as a matrix: every role against every admin page, the
export views and the command.

Campaigners write content and see counts, never who signed; Reports see and
export signatures and change nothing else; superusers do everything.
"""

import importlib
import io

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.urls import reverse

from actions.consent.models import ConsentRecord
from actions.exports import services
from actions.exports.models import SignatureExport
from actions.followups.tests.factories import make_follow_up
from actions.models import Petition, Target
from actions.outbox.models import OutboundEmail
from actions.tests.factories import make_signature, make_staff, make_target
from staff.tests.otp import log_in_verified
from statements.models import Statement
from statements.tests.factories import make_topic

pytestmark = pytest.mark.django_db

CAMPAIGNER, REPORTS, SUPERUSER, NO_ROLE = "campaigner", "reports", "superuser", "none"
ROLES = [CAMPAIGNER, REPORTS, SUPERUSER, NO_ROLE]
CONTENT = {CAMPAIGNER, SUPERUSER}
SIGNERS = {REPORTS, SUPERUSER}


@pytest.fixture
def world(petition, settings, tmp_path):
    """One of everything a page can show, and a finished background export."""
    settings.MEDIA_ROOT = tmp_path
    signature = make_signature(petition)
    owner = make_staff("owner", roles=("Reports",))
    export = services.start_export(
        user=owner, filters={}, format="csv", via="background"
    )
    return {
        "statement": petition.statement,
        "petition": petition,
        "target": make_target(),
        "topic": make_topic(),
        "signature": signature,
        "outbound": OutboundEmail.objects.create(
            kind="confirm", to_email=signature.email, signature=signature
        ),
        "export": export,
        "follow_up": make_follow_up(petition),
        "consent": ConsentRecord.objects.create(
            signature=signature, given=False, form=ConsentRecord.Form.LINK
        ),
    }


def _as_user(role: str):
    groups = {CAMPAIGNER: ("Campaigners",), REPORTS: ("Reports",)}.get(role, ())
    return make_staff(f"user-{role}", roles=groups, superuser=role == SUPERUSER)


def _as(client, role: str):
    user = _as_user(role)
    log_in_verified(client, user)
    return user


# (page, its URL from the world, the roles that may open it)
PAGES = [
    ("statement list", lambda w: ("statements_statement_changelist",), CONTENT),
    ("statement add", lambda w: ("statements_statement_add",), CONTENT),
    (
        "statement change",
        lambda w: ("statements_statement_change", w["statement"].pk),
        CONTENT,
    ),
    (
        "statement preview",
        lambda w: ("statements_statement_preview", w["statement"].pk),
        CONTENT,
    ),
    ("topic list", lambda w: ("statements_topic_changelist",), CONTENT),
    ("topic change", lambda w: ("statements_topic_change", w["topic"].pk), CONTENT),
    ("target list", lambda w: ("actions_target_changelist",), CONTENT),
    ("target add", lambda w: ("actions_target_add",), CONTENT),
    ("petition list", lambda w: ("actions_petition_changelist",), CONTENT),
    ("petition add", lambda w: ("actions_petition_add",), CONTENT),
    (
        "petition change",
        lambda w: ("actions_petition_change", w["petition"].pk),
        CONTENT,
    ),
    ("signature list", lambda w: ("actions_signature_changelist",), SIGNERS),
    (
        "signature detail",
        lambda w: ("actions_signature_change", w["signature"].pk),
        SIGNERS,
    ),
    ("export form", lambda w: ("actions_signature_export",), SIGNERS),
    ("export records", lambda w: ("exports_signatureexport_changelist",), SIGNERS),
    ("follow-up list", lambda w: ("followups_followup_changelist",), CONTENT),
    ("follow-up add", lambda w: ("followups_followup_add",), CONTENT),
    (
        "follow-up change",
        lambda w: ("followups_followup_change", w["follow_up"].pk),
        CONTENT,
    ),
    (
        "follow-up preview",
        lambda w: ("followups_followup_preview", w["follow_up"].pk),
        CONTENT,
    ),
    (
        "follow-up deliveries",
        lambda w: ("followups_followupdelivery_changelist",),
        {SUPERUSER},
    ),
    ("withdrawals", lambda w: ("followups_withdrawal_changelist",), {SUPERUSER}),
    ("suppressions", lambda w: ("suppressions_suppression_changelist",), {SUPERUSER}),
    (
        "dashboard",
        lambda w: ("actions_petition_dashboard", w["petition"].pk),
        CONTENT,
    ),
    ("consent records", lambda w: ("consent_consentrecord_changelist",), SIGNERS),
    (
        "consent record",
        lambda w: ("consent_consentrecord_change", w["consent"].pk),
        SIGNERS,
    ),
    ("consent wordings", lambda w: ("consent_consentwording_changelist",), SIGNERS),
    ("erasures", lambda w: ("privacy_erasure_changelist",), {SUPERUSER}),
    ("block list", lambda w: ("abuse_blocklistentry_changelist",), CONTENT),
    ("block list add", lambda w: ("abuse_blocklistentry_add",), CONTENT),
    ("flags", lambda w: ("abuse_signatureflag_changelist",), CONTENT),
    ("invalidate signatures", lambda w: ("actions_signature_invalidate",), CONTENT),
    ("outbox", lambda w: ("outbox_outboundemail_changelist",), {SUPERUSER}),
    (
        "outbox row",
        lambda w: ("outbox_outboundemail_change", w["outbound"].pk),
        {SUPERUSER},
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("page", "where", "allowed"), PAGES, ids=[p[0] for p in PAGES])
def test_each_role_opens_only_its_pages(client, world, role, page, where, allowed):
    name, *args = where(world)
    _as(client, role)

    response = client.get(reverse(f"admin:{name}", args=args))

    assert response.status_code == (200 if role in allowed else 403), page


@pytest.mark.parametrize(("page", "where", "allowed"), PAGES, ids=[p[0] for p in PAGES])
def test_anonymous_visitors_are_sent_to_the_login(client, world, page, where, allowed):
    name, *args = where(world)

    response = client.get(reverse(f"admin:{name}", args=args))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("role", ROLES)
def test_only_exporters_post_an_export(client, world, role):
    _as(client, role)

    response = client.post(reverse("admin:actions_signature_export"), {"format": "csv"})

    if role in SIGNERS:
        assert response.status_code == 200
        assert b"".join(response.streaming_content).count(b"\n") == 2
        assert SignatureExport.objects.filter(via="download").count() == 1
    else:
        assert response.status_code == 403
        assert not SignatureExport.objects.filter(via="download").exists()


@pytest.mark.parametrize("role", ROLES)
def test_only_exporters_run_the_command(world, role, tmp_path):
    user = _as_user(role)
    output = tmp_path / "out.csv"
    args = [f"--user={user.username}", "--format=csv", f"--output={output}"]

    if role in SIGNERS:
        call_command("export_signatures", *args, stdout=io.StringIO())
        assert output.exists()
    else:
        with pytest.raises(CommandError, match="may not export"):
            call_command("export_signatures", *args, stdout=io.StringIO())
        assert not output.exists()


@pytest.mark.parametrize("role", ROLES)
def test_a_download_link_works_only_for_its_exporter(client, world, role):
    services.build_file(world["export"].pk)
    user = _as(client, role)
    token = services.download_token(world["export"], user=user)

    response = client.get(
        reverse("admin:exports_signatureexport_download", args=[token])
    )

    # The export is someone else's: only a superuser may fetch it.
    assert response.status_code == (200 if role == SUPERUSER else 403)


def test_a_campaigners_stolen_link_is_refused(client, world):
    services.build_file(world["export"].pk)
    owner = world["export"].user
    token = services.download_token(world["export"], user=owner)
    _as(client, CAMPAIGNER)

    response = client.get(
        reverse("admin:exports_signatureexport_download", args=[token])
    )

    assert response.status_code == 403


def test_campaigners_see_counts_but_no_way_to_the_signers(client, world):
    _as(client, CAMPAIGNER)

    page = client.get(reverse("admin:actions_petition_changelist")).content.decode()
    index = client.get(reverse("admin:index")).content.decode()

    assert '<td class="field-confirmed">0</td>' in page
    assert reverse("admin:actions_signature_changelist") not in page
    assert reverse("admin:actions_signature_changelist") not in index
    assert reverse("admin:exports_signatureexport_changelist") not in index
    assert reverse("admin:statements_statement_changelist") in index


def test_reports_see_signatures_and_exports_and_no_content(client, world):
    _as(client, REPORTS)

    index = client.get(reverse("admin:index")).content.decode()
    signatures = client.get(reverse("admin:actions_signature_changelist"))

    assert reverse("admin:actions_signature_changelist") in index
    assert reverse("admin:exports_signatureexport_changelist") in index
    assert reverse("admin:statements_statement_changelist") not in index
    assert reverse("admin:actions_petition_changelist") not in index
    assert "Export signatures" in signatures.content.decode()


def test_a_reports_user_cannot_edit_content(client, world):
    statement, petition = world["statement"], world["petition"]
    _as(client, REPORTS)

    edit = client.post(
        reverse("admin:statements_statement_change", args=[statement.pk]),
        {"title_en": "Changed", "slug": statement.slug, "state": "draft"},
    )
    close = client.post(
        reverse("admin:actions_petition_changelist"),
        {"action": "close_selected", "_selected_action": [petition.pk]},
    )
    publish = client.post(
        reverse("admin:statements_statement_changelist"),
        {"action": "archive", "_selected_action": [statement.pk]},
    )
    add = client.post(reverse("admin:actions_target_add"), {"name": "New target"})

    assert [r.status_code for r in (edit, close, publish, add)] == [403] * 4
    statement.refresh_from_db()
    petition.refresh_from_db()
    assert statement.title != "Changed"
    assert statement.state == Statement.State.PUBLISHED
    assert petition.state == Petition.State.OPEN
    assert not Target.objects.filter(name="New target").exists()


def test_a_campaigner_cannot_change_signatures_or_the_outbox(client, world):
    signature = world["signature"]
    _as(client, CAMPAIGNER)

    response = client.post(
        reverse("admin:actions_signature_change", args=[signature.pk]),
        {"first_name": "Mallory"},
    )

    assert response.status_code == 403
    signature.refresh_from_db()
    assert signature.first_name != "Mallory"


def test_the_roles_migration_grants_exactly_the_listed_permissions(db):
    roles = importlib.import_module("actions.migrations.0005_roles")
    Group.objects.filter(name__in=roles.ROLES).delete()

    roles.add_roles(apps, None)
    roles.add_roles(apps, None)  # repeat-safe

    for name, permissions in roles.ROLES.items():
        group = Group.objects.get(name=name)
        granted = {
            f"{p.content_type.app_label}.{p.codename}"
            for p in group.permissions.select_related("content_type")
        }
        assert granted == set(permissions)
    campaigners = set(roles.ROLES["Campaigners"])
    assert not {p for p in campaigners if p.endswith(("signature", "outboundemail"))}


def test_the_abuse_migration_gives_campaigners_the_abuse_controls_only(db):
    migration = importlib.import_module(
        "actions.migrations.0010_campaigners_handle_abuse"
    )
    campaigners = Group.objects.get(name="Campaigners")
    campaigners.permissions.clear()

    migration.add_abuse_controls(apps, None)
    migration.add_abuse_controls(apps, None)  # repeat-safe

    granted = set(campaigners.permissions.values_list("codename", flat=True))
    assert granted == set(migration.PERMISSIONS)
    assert not {"view_signature", "export_signature"} & granted
    reports = Group.objects.get(name="Reports")
    assert not reports.permissions.filter(codename__in=migration.PERMISSIONS).exists()
