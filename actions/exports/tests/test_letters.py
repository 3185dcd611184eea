"""A letter action's writers: exported as signatures are (same roles, audit
and sensitive rules), with a row per letter and the letter's columns."""

import io
import json

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from actions.exports.models import SignatureExport
from actions.exports.services import SENSITIVE_REFUSAL
from actions.exports.tests.expected import HEADERS, read_csv, read_xlsx
from actions.letters.models import Letter
from actions.letters.tests.factories import (
    make_letter_action,
    make_letters,
    make_recipient,
)
from actions.tests.factories import make_petition, make_signature
from staff.tests.otp import log_in_verified

pytestmark = pytest.mark.django_db

EXPORT = reverse("admin:actions_signature_export")
LETTER_HEADERS = [
    "recipient",
    "recipient email",
    "subject",
    "letter",
    "postal town",
    "edited",
    "moderation",
    "delivery",
    "letter sent at (UTC)",
]


def _download(response) -> bytes:
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def _writer(action, recipients, *, body: str, **fields) -> None:
    signature = make_signature(action, **fields)
    make_letters(
        action,
        recipients,
        signature=signature,
        subject="Refer the situation",
        body=body,
        postal_town="Lyon",
        is_edited=True,
    )


@pytest.fixture
def action(statement):
    first = make_recipient(name="Mission A", email="a@example.org")
    second = make_recipient(name="Mission B", email="b@example.org")
    action = make_letter_action(statement, recipients=[first, second])
    _writer(action, [first, second], body="=cmd|' /C calc'!A0\nSecond line")
    _writer(action, [first], body="Dear Mission,", last_name="Solo")
    sent_at = timezone.now().replace(microsecond=0)
    Letter.objects.filter(body="Dear Mission,").update(
        delivery_state="sent", queued_at=sent_at, sent_at=sent_at
    )
    return action


def test_a_letter_actions_csv_has_a_row_per_letter_with_its_columns(
    client, reports_user, action, statement
):
    make_signature(make_petition(statement))  # another action's signer
    log_in_verified(client, reports_user)

    response = client.post(EXPORT, {"format": "csv", "petition": action.slug})

    header, rows = read_csv(_download(response))
    assert header == HEADERS + LETTER_HEADERS
    letters = [dict(zip(header, row, strict=True)) for row in rows]
    assert [(row["last name"], row["recipient"]) for row in letters] == [
        (letters[0]["last name"], "Mission A"),
        (letters[0]["last name"], "Mission B"),
        ("Solo", "Mission A"),
    ]
    first = letters[0]
    assert first["petition"] == action.slug
    assert first["recipient email"] == "a@example.org"
    assert first["letter"] == "'=cmd|' /C calc'!A0\nSecond line"  # neutralised
    assert (first["subject"], first["postal town"]) == ("Refer the situation", "Lyon")
    assert (first["edited"], first["moderation"], first["delivery"]) == (
        "true",
        "not_needed",
        "waiting",
    )
    assert first["letter sent at (UTC)"] == ""
    assert letters[2]["delivery"] == "sent"
    assert letters[2]["letter sent at (UTC)"]
    export = SignatureExport.objects.get()
    assert (export.row_count, export.username) == (3, reports_user.username)
    assert LogEntry.objects.filter(
        content_type__model="signatureexport", object_id=str(export.pk)
    ).exists()


def test_a_letter_actions_xlsx_has_the_letter_columns(client, reports_user, action):
    log_in_verified(client, reports_user)

    response = client.post(EXPORT, {"format": "xlsx", "petition": action.slug})

    header, rows = read_xlsx(io.BytesIO(_download(response)))
    assert header == HEADERS + LETTER_HEADERS
    assert len(rows) == 3
    assert [row[len(HEADERS) + 5] for row in rows] == [True, True, True]
    assert SignatureExport.objects.get().row_count == 3


def test_a_petitions_export_and_an_export_of_all_keep_the_signature_columns(
    client, reports_user, action, statement
):
    petition = make_petition(statement)
    make_signature(petition)
    log_in_verified(client, reports_user)

    for data in ({"petition": petition.slug}, {}):
        response = client.post(EXPORT, {"format": "csv"} | data)
        header, _ = read_csv(_download(response))
        assert header == HEADERS


def test_a_sensitive_letter_actions_writers_are_for_superusers_only(
    client, reports_user, superuser, action
):
    action.sensitive = True
    action.save()
    log_in_verified(client, reports_user)

    refused = client.post(EXPORT, {"format": "csv", "petition": action.slug})

    assert str(SENSITIVE_REFUSAL) in refused.content.decode()
    assert not SignatureExport.objects.exists()

    log_in_verified(client, superuser)
    response = client.post(EXPORT, {"format": "csv", "petition": action.slug})

    _, rows = read_csv(_download(response))
    assert len(rows) == 3
    views = [
        json.loads(entry.change_message)[0]["viewed_signers"]
        for entry in LogEntry.objects.filter(object_id=str(action.pk))
        if "viewed_signers" in entry.change_message
    ]
    assert [view["via"] for view in views] == ["export"]


def test_campaigners_cannot_export_writers(client, campaigner, action):
    log_in_verified(client, campaigner)

    response = client.post(EXPORT, {"format": "csv", "petition": action.slug})

    assert response.status_code == 403
    assert not SignatureExport.objects.exists()
