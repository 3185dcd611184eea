"""The abuse controls in the admin: Campaigners use them and see counts,
domains and hashes only; Reports change nothing here."""

import json
import re
from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from actions.abuse.models import AbuseSettings, BlockListEntry, SignatureFlag
from actions.models import Signature
from actions.services import confirm_signature
from actions.tests.factories import (
    make_petition,
    make_signature,
    make_staff,
    petition_change_data,
)
from staff.tests.otp import log_in_verified

pytestmark = pytest.mark.django_db

BLOCKS = reverse("admin:abuse_blocklistentry_changelist")
ADD_BLOCK = reverse("admin:abuse_blocklistentry_add")
FLAGS = reverse("admin:abuse_signatureflag_changelist")
INVALIDATE = reverse("admin:actions_signature_invalidate")
AUDIT = reverse("admin:admin_logentry_changelist")


@pytest.fixture
def campaigner(client):
    user = make_staff("campaigner", roles=("Campaigners",))
    log_in_verified(client, user)
    return user


@pytest.fixture
def reports(client):
    user = make_staff("reports", roles=("Reports",))
    log_in_verified(client, user)
    return user


def _confirm_form(preview) -> dict[str, str]:
    """The hidden fields of the preview's confirmation form."""
    html = preview.content.decode()
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))


def _matching(response) -> int:
    return int(re.search(r'data-matching="(\d+)"', response.content.decode())[1])


# the block list


def test_a_campaigner_adds_a_range_to_the_block_list(client, campaigner):
    response = client.post(
        ADD_BLOCK,
        {"kind": "network", "value": "198.51.100.9/24", "note": "A bot farm"},
    )

    assert response.status_code == 302
    entry = BlockListEntry.objects.get()
    assert (entry.value, entry.note, entry.created_by) == (
        "198.51.100.0/24",
        "A bot farm",
        campaigner,
    )
    assert LogEntry.objects.filter(user=campaigner, object_id=str(entry.pk)).exists()
    assert "198.51.100.0/24" in client.get(BLOCKS).content.decode()


def test_a_bad_range_is_refused_with_a_clear_message(client, campaigner):
    response = client.post(ADD_BLOCK, {"kind": "network", "value": "198.51.100.0/33"})

    assert response.status_code == 200
    assert "“198.51.100.0/33” is not an address range" in response.content.decode()
    assert not BlockListEntry.objects.exists()


def test_a_campaigner_lifts_a_block(client, campaigner):
    entry = BlockListEntry.objects.create(kind="domain", value="spam.example")

    response = client.post(
        reverse("admin:abuse_blocklistentry_delete", args=[entry.pk]),
        {"post": "yes"},
    )

    assert response.status_code == 302
    assert not BlockListEntry.objects.exists()


def test_reports_neither_see_nor_change_the_block_list(client, reports):
    response = client.post(ADD_BLOCK, {"kind": "domain", "value": "spam.example"})

    assert response.status_code == 403
    assert client.get(BLOCKS).status_code == 403
    assert not BlockListEntry.objects.exists()


# a petition's limits


def _petition_form(petition, **limits: str) -> dict:
    return petition_change_data(
        petition,
        **{f"abuse_settings-0-{name}": value for name, value in limits.items()},
    )


def test_a_campaigner_sets_a_petitions_limits(client, campaigner, petition):
    url = reverse("admin:actions_petition_change", args=[petition.pk])
    page = client.get(url).content.decode()

    response = client.post(
        url, _petition_form(petition, burst_limit="20", sustained_limit="")
    )

    assert "abuse controls" in page.lower()
    assert response.status_code == 302, response.context["errors"]
    limits = AbuseSettings.objects.get(petition=petition)
    assert (limits.burst_limit, limits.sustained_limit) == (20, None)


def test_leaving_the_limits_blank_stores_nothing(client, campaigner, petition):
    url = reverse("admin:actions_petition_change", args=[petition.pk])

    response = client.post(url, _petition_form(petition))

    assert response.status_code == 302
    assert not AbuseSettings.objects.exists()


def test_reports_cannot_change_a_petitions_limits(client, reports, petition):
    url = reverse("admin:actions_petition_change", args=[petition.pk])

    response = client.post(url, _petition_form(petition, burst_limit="1000"))

    assert response.status_code == 403
    assert not AbuseSettings.objects.exists()


# flags


def test_a_campaigner_sees_flags_with_a_link_to_invalidate(
    client, campaigner, petition
):
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    SignatureFlag.objects.create(
        petition=petition, kind="client", value="ab" * 16, hour=hour, count=31
    )
    SignatureFlag.objects.create(
        petition=petition, kind="domain", value="bots.example", hour=hour, count=40
    )

    page = client.get(FLAGS).content.decode()

    assert "ab" * 16 in page and "bots.example" in page
    start = timezone.localtime(hour).strftime("%Y-%m-%dT%H")
    assert f"email_domain=bots.example&amp;signed_from={start}%3A00" in page
    assert f"client_hash={'ab' * 16}" in page


# invalidation


def test_a_campaigner_previews_then_invalidates_a_domain(client, campaigner, petition):
    for n in range(3):
        confirm_signature(
            signature=make_signature(petition, email=f"b{n}@bots.example")
        )
    make_signature(petition, email="Grace.Hopper@example.org", first_name="Grace")

    preview = client.get(
        INVALIDATE, {"petition": petition.pk, "email_domain": "bots.example"}
    )
    fields = _confirm_form(preview)
    confirmed = client.post(INVALIDATE, fields)

    html = preview.content.decode()
    assert _matching(preview) == 3
    assert "3 of the 4 signatures" in html
    assert "Confirmed: 3" in html
    assert "Grace" not in html and "b0@" not in html
    assert confirmed.status_code == 302
    assert petition.confirmed_count() == 0
    after = client.get(confirmed["Location"])
    assert "3 signatures invalidated." in after.content.decode()
    assert _matching(after) == 0
    assert Signature.objects.filter(state="invalidated").count() == 3


def test_the_preview_alone_changes_nothing(client, campaigner, petition):
    confirm_signature(signature=make_signature(petition, email="b@bots.example"))

    client.get(INVALIDATE, {"petition": petition.pk, "email_domain": "bots.example"})

    assert petition.confirmed_count() == 1
    assert not LogEntry.objects.filter(change_message__contains="invalidated")


def test_a_confirmation_without_a_preview_changes_nothing(client, campaigner, petition):
    confirm_signature(signature=make_signature(petition, email="b@bots.example"))

    response = client.post(
        INVALIDATE, {"petition": petition.pk, "email_domain": "bots.example"}
    )

    assert response.status_code == 200
    assert _matching(response) == 1
    assert petition.confirmed_count() == 1


def test_a_petitions_page_links_to_invalidation_with_the_petition_chosen(
    client, campaigner, petition
):
    change = client.get(reverse("admin:actions_petition_change", args=[petition.pk]))
    page = client.get(INVALIDATE, {"petition": petition.pk})

    assert f"{INVALIDATE}?petition={petition.pk}" in change.content.decode()
    assert page.status_code == 200
    assert "errorlist" not in page.content.decode()
    assert f'<option value="{petition.pk}" selected>' in page.content.decode()


def test_an_empty_filter_is_refused_with_a_message(client, campaigner, petition):
    response = client.get(INVALIDATE, {"petition": petition.pk, "state": "confirmed"})

    assert "Choose an email domain, a client hash or a time range." in (
        response.content.decode()
    )
    assert "data-matching" not in response.content.decode()


def test_reports_cannot_invalidate(client, reports, petition):
    confirm_signature(signature=make_signature(petition, email="b@bots.example"))
    as_of = timezone.now() + timedelta(minutes=1)
    form = {
        "petition": petition.pk,
        "email_domain": "bots.example",
        "as_of": as_of.strftime("%Y-%m-%d %H:%M:%S"),
    }

    assert client.get(INVALIDATE, form).status_code == 403
    assert client.post(INVALIDATE, form).status_code == 403
    assert petition.confirmed_count() == 1


def test_the_audit_log_shows_the_invalidation(admin_client, petition):
    confirm_signature(signature=make_signature(petition, email="b@bots.example"))
    preview = admin_client.get(
        INVALIDATE, {"petition": petition.pk, "email_domain": "bots.example"}
    )
    fields = _confirm_form(preview)
    admin_client.post(INVALIDATE, fields)

    page = admin_client.get(AUDIT).content.decode()

    assert "Invalidated 1 signature (as_of=" in page
    assert "email_domain=bots.example" in page


def _previews(petition) -> list[dict]:
    """What the audit log recorded of each preview on this petition."""
    entries = LogEntry.objects.filter(object_id=str(petition.pk)).order_by("pk")
    return [
        {"user": entry.user.username} | json.loads(entry.change_message)[0]["previewed"]
        for entry in entries
        if "previewed" in entry.change_message
    ]


PROBE = {"email_domain": "ministry.example", "signed_from": "2026-03-01T10:15"}


def test_a_campaigner_cannot_preview_on_a_sensitive_petition(client, campaigner):
    petition = make_petition(sensitive=True)
    make_signature(petition, email="someone@ministry.example")

    response = client.get(INVALIDATE, {"petition": petition.pk} | PROBE)

    page = response.content.decode()
    assert response.status_code == 200
    assert "only a superuser can look for or invalidate its signatures" in page
    assert "data-matching" not in page
    assert _previews(petition) == []


def test_a_campaigner_cannot_invalidate_on_a_sensitive_petition(client, campaigner):
    petition = make_petition(sensitive=True)
    confirm_signature(signature=make_signature(petition, email="a@ministry.example"))
    as_of = timezone.localtime() + timedelta(minutes=1)
    form = {"petition": petition.pk, "email_domain": "ministry.example"}

    response = client.post(INVALIDATE, form | {"as_of": as_of.isoformat()})

    assert response.status_code == 200
    assert petition.confirmed_count() == 1


def test_a_superuser_previews_a_sensitive_petition_and_it_is_logged(
    admin_client, admin_user
):
    petition = make_petition(sensitive=True)
    make_signature(petition, email="someone@ministry.example")

    response = admin_client.get(INVALIDATE, {"petition": petition.pk} | PROBE)

    assert _matching(response) == 1
    [logged] = _previews(petition)
    assert logged["user"] == admin_user.username
    assert logged["matched"] == 1
    assert logged["filters"]["email_domain"] == "ministry.example"


def test_every_preview_is_logged_with_who_what_and_how_many(
    client, campaigner, petition
):
    for n in range(2):
        make_signature(petition, email=f"s{n}@ministry.example")
    query = {"petition": petition.pk, "email_domain": "ministry.example"}

    client.get(INVALIDATE, query)
    client.get(INVALIDATE, query | {"state": "pending"})

    logged = _previews(petition)
    assert [(e["user"], e["what"], e["matched"]) for e in logged] == [
        ("campaigner", "invalidation", 2),
        ("campaigner", "invalidation", 2),
    ]
    assert logged[0]["filters"]["email_domain"] == "ministry.example"
    assert logged[1]["filters"]["state"] == "pending"
    assert "someone" not in json.dumps(logged)


def test_the_audit_log_shows_the_preview(admin_client, petition):
    make_signature(petition, email="s@ministry.example")
    admin_client.get(
        INVALIDATE, {"petition": petition.pk, "email_domain": "ministry.example"}
    )

    page = admin_client.get(AUDIT).content.decode()

    assert "Previewed an invalidation: 1 signature matched" in page
    assert "email_domain=ministry.example" in page


SIGNATURES = reverse("admin:actions_signature_changelist")


def test_an_administrator_releases_a_suspect_signature_from_the_list(
    admin_client, petition, mailoutbox, django_capture_on_commit_callbacks
):
    suspect = make_signature(
        petition,
        email="rally@example.org",
        state="suspect",
        suspect_reason="burst_limit",
        suspected_at=timezone.now(),
    )
    listing = admin_client.get(SIGNATURES).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            SIGNATURES,
            {"action": "release_suspects", "_selected_action": [suspect.pk]},
            follow=True,
        )

    assert 'value="release_suspects"' in listing
    assert "1 suspect signature released" in response.content.decode()
    suspect.refresh_from_db()
    assert suspect.state == "pending"
    assert [m.to[0] for m in mailoutbox] == ["rally@example.org"]
    audit = admin_client.get(AUDIT).content.decode()
    assert "Released 1 suspect signature" in audit


def test_reports_see_signatures_but_cannot_release_them(client, reports, petition):
    suspect = make_signature(
        petition,
        state="suspect",
        suspect_reason="honeypot",
        suspected_at=timezone.now(),
    )
    listing = client.get(SIGNATURES)

    response = client.post(
        SIGNATURES, {"action": "release_suspects", "_selected_action": [suspect.pk]}
    )

    assert listing.status_code == 200
    assert "release_suspects" not in listing.content.decode()
    assert response.status_code in {200, 302}
    suspect.refresh_from_db()
    assert suspect.state == "suspect"
