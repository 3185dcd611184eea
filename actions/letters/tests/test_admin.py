"""The letters' admin: recipients and their CSV import, letter actions, and
the moderation queue."""

import json

import pytest
from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from actions.letters import services
from actions.letters.models import Letter, Recipient
from actions.letters.tests.factories import make_letter_action, make_recipient
from actions.models import Petition, Signature
from actions.tests.factories import make_signature, make_staff
from staff.tests.otp import log_in_verified

pytestmark = pytest.mark.django_db

GOOD_CSV = (
    "name,role,organisation,country,email,postal_address,active\n"
    "Jeanne Martin,Ambassador,Embassy of Cambodia,France,paris@example.org,"
    '"4 Rue Adolphe Yvon\n75116 Paris",yes\n'
    "Hans Weber,Ambassador,Embassy of Cambodia,DE,berlin@example.org,,\n"
)


def _upload(client, content: str):
    url = reverse("admin:letters_recipient_import")
    upload = SimpleUploadedFile("r.csv", content.encode(), content_type="text/csv")
    return client.post(url, {"file": upload})


def test_a_csv_file_adds_recipients(admin_client):
    response = _upload(admin_client, GOOD_CSV)

    assert response.status_code == 302
    paris = Recipient.objects.get(email="paris@example.org")
    assert (paris.name, paris.country.code, paris.is_active) == (
        "Jeanne Martin",
        "FR",
        True,
    )
    assert paris.postal_address == "4 Rue Adolphe Yvon\n75116 Paris"
    assert Recipient.objects.get(email="berlin@example.org").country.code == "DE"


def test_a_csv_row_with_a_known_email_updates_that_recipient(admin_client):
    make_recipient(email="paris@example.org", name="Old name")

    _upload(admin_client, GOOD_CSV)

    assert Recipient.objects.get(email="paris@example.org").name == "Jeanne Martin"
    assert Recipient.objects.count() == 2


def test_a_csv_file_with_a_bad_row_imports_nothing_and_names_each_line(
    admin_client,
):
    bad = GOOD_CSV + (
        "No Email,Ambassador,Embassy,FR,not-an-address,,\n"
        ",Ambassador,Embassy,Atlantis,x@example.org,,maybe\n"
        "Twice,Ambassador,Embassy,FR,paris@example.org,,\n"
    )

    response = _upload(admin_client, bad)

    assert response.status_code == 400
    content = response.content.decode()
    assert "Nothing was imported" in content
    assert "Line 5: “not-an-address” is not an email address" in content
    assert "Line 6: the name is empty" in content
    assert "Line 6: “Atlantis” is not a country" in content
    assert "Line 6: active must be yes or no" in content
    assert "Line 7: the email is on line 2 too" in content
    assert Recipient.objects.count() == 0


def test_a_csv_file_without_the_columns_imports_nothing(admin_client):
    response = _upload(admin_client, "who,where\nA,B\n")

    assert response.status_code == 400
    assert "Line 1: the columns must be" in response.content.decode()
    assert Recipient.objects.count() == 0


def test_letter_actions_and_petitions_have_their_own_admin_lists(
    admin_client, petition
):
    action = make_letter_action(petition.statement)

    petitions = admin_client.get(reverse("admin:actions_petition_changelist"))
    letters = admin_client.get(reverse("admin:letters_letteraction_changelist"))

    assert petition.title in petitions.content.decode()
    assert action.title not in petitions.content.decode()
    assert action.title in letters.content.decode()
    assert petition.title not in letters.content.decode()
    change = admin_client.get(
        reverse("admin:letters_letteraction_change", args=[action.pk])
    )
    assert change.status_code == 200
    assert "Recipients by country" in change.content.decode()
    dashboard = admin_client.get(
        reverse("admin:letters_letteraction_dashboard", args=[action.pk])
    )
    assert dashboard.status_code == 200


def test_a_letter_action_made_in_the_admin_is_of_kind_letter(admin_client, petition):
    recipient = make_recipient()
    url = reverse("admin:letters_letteraction_add")
    data = {
        "statement": petition.statement.pk,
        "target": petition.target.pk,
        "title_en": "Write to the Council",
        "slug": "write-to-the-council",
        "demand_en": "Refer the situation.",
        "position": 0,
        "goal": 1000,
        "name_fields": "given_family",
        "country_required": "on",
        "names_to_target": "on",
        "opens_at_0": "2026-01-01",
        "opens_at_1": "00:00:00",
        "letter_settings-TOTAL_FORMS": 1,
        "letter_settings-INITIAL_FORMS": 0,
        "letter_settings-MIN_NUM_FORMS": 1,
        "letter_settings-MAX_NUM_FORMS": 1,
        "letter_settings-0-subject_en": "Refer it",
        "letter_settings-0-body_en": "Dear members of the Council, please refer it.",
        "letter_settings-0-is_editable": "on",
        "letter_settings-0-min_length": 20,
        "letter_settings-0-max_length": 2000,
        "letter_settings-0-recipient_mode": "fixed",
        "letter_settings-0-recipients": [recipient.pk],
        "letter_settings-0-delivery_mode": "individual",
        "letter_settings-0-daily_cap": 1000,
        "letter_settings-0-max_links": 2,
        "country_recipients-TOTAL_FORMS": 0,
        "country_recipients-INITIAL_FORMS": 0,
        "abuse_settings-TOTAL_FORMS": 0,
        "abuse_settings-INITIAL_FORMS": 0,
    }

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["errors"]
    action = Petition.objects.get(slug="write-to-the-council")
    assert action.kind == Petition.Kind.LETTER
    assert list(action.letter_settings.recipients.all()) == [recipient]


def _held_letter(action: Petition, *, confirmed: bool) -> Letter:
    state = Signature.State.CONFIRMED if confirmed else Signature.State.PENDING
    return Letter.objects.create(
        signature=make_signature(action, state=state),
        action=action,
        recipient=action.letter_settings.recipients.get(),
        subject="Subject",
        body="A rude letter.",
        is_edited=True,
        moderation_state=Letter.Moderation.HELD,
        held_at=timezone.now(),
        held_because="Holds the word “rude”",
    )


def _moderate(client, action_name: str, letters: list[Letter]):
    return client.post(
        reverse("admin:letters_letter_changelist"),
        {"action": action_name, "_selected_action": [letter.pk for letter in letters]},
    )


def test_campaigners_approve_held_letters_in_bulk(client, settings):
    action = make_letter_action()
    confirmed = _held_letter(action, confirmed=True)
    pending = _held_letter(action, confirmed=False)
    campaigner = make_staff("camille", roles=("Campaigners",))
    log_in_verified(client, campaigner)

    queue = client.get(
        reverse("admin:letters_letter_changelist") + "?moderation_state=held"
    )
    assert "A rude letter." not in queue.content.decode()  # the list: subjects
    assert confirmed.signature.email not in queue.content.decode()
    response = _moderate(client, "approve_selected", [confirmed, pending])

    assert response.status_code == 302
    confirmed.refresh_from_db()
    pending.refresh_from_db()
    assert confirmed.moderation_state == Letter.Moderation.APPROVED
    assert confirmed.delivery_state == Letter.Delivery.QUEUED
    assert pending.moderation_state == Letter.Moderation.APPROVED
    assert pending.delivery_state == Letter.Delivery.WAITING
    entries = LogEntry.objects.filter(user=campaigner, object_id=str(confirmed.pk))
    assert [json.loads(e.change_message) for e in entries] == [
        [{"changed": {"fields": ["moderation"], "to": "approved"}}]
    ]
    # Confirming later queues the approved letter.
    services.letters_confirmed(signature=pending.signature)  # not confirmed yet
    assert Letter.objects.get(pk=pending.pk).delivery_state == "waiting"


def test_rejected_letters_are_never_queued_even_when_their_writer_confirms(
    client,
):
    action = make_letter_action()
    letter = _held_letter(action, confirmed=False)
    campaigner = make_staff("camille", roles=("Campaigners",))
    log_in_verified(client, campaigner)

    _moderate(client, "reject_selected", [letter])
    signature = letter.signature
    signature.confirm()
    services.letters_confirmed(signature=signature)

    letter.refresh_from_db()
    assert letter.moderation_state == Letter.Moderation.REJECTED
    assert letter.delivery_state == Letter.Delivery.REJECTED
    assert letter.rejected_at is not None
    assert LogEntry.objects.filter(object_id=str(letter.pk)).count() == 1


def test_staff_without_the_moderation_permission_cannot_moderate(client):
    action = make_letter_action()
    letter = _held_letter(action, confirmed=True)
    reports = make_staff("rita", roles=("Reports",))
    log_in_verified(client, reports)

    _moderate(client, "approve_selected", [letter])

    letter.refresh_from_db()
    assert letter.moderation_state == Letter.Moderation.HELD
