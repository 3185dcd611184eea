"""Consent records: each signing's answer with the wording shown, a new
version for a new wording, withdrawals, and rows that never change."""

import hashlib

import pytest
from django.db import DatabaseError, transaction
from django.urls import reverse

from actions.consent.models import ConsentRecord, ConsentWording
from actions.consent.services import updates_wording, wording_for
from actions.core.tokens import make_unsubscribe_token
from actions.followups.tests.factories import make_recipient
from actions.forms import SignatureForm
from actions.models import Signature

pytestmark = pytest.mark.django_db

SHOWN = (
    "Email me updates about this campaign and what I can do next. "
    "I can unsubscribe at any time."
)


def _sign(client, petition, sign_data, **extra: str):
    url = reverse("actions:sign", kwargs={"slug": petition.slug})
    response = client.post(url, sign_data | extra)
    assert response.status_code == 302
    return Signature.objects.get(canonical_email=sign_data["email"])


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_a_signing_records_the_answer_with_the_wording_shown(
    client, petition, sign_data
):
    page = client.get(reverse("actions:sign", kwargs={"slug": petition.slug}))
    assert SHOWN in page.content.decode()

    signature = _sign(client, petition, sign_data, wants_updates="on")

    record = ConsentRecord.objects.get()
    assert record.signature == signature
    assert record.given is True
    assert record.form == ConsentRecord.Form.SIGNING
    assert record.wording.text == SHOWN
    assert record.wording.text_hash == _sha256(SHOWN)
    assert record.wording.language == "en"
    assert record.wording.version == 1
    assert signature.consent_version == "1"
    assert record.recorded_at >= signature.created_at


def test_an_unticked_box_is_recorded_too(client, petition, sign_data):
    _sign(client, petition, sign_data)

    record = ConsentRecord.objects.get()
    assert (record.given, record.form) == (False, ConsentRecord.Form.SIGNING)
    assert record.wording.text == SHOWN  # it was shown, and left unticked


def test_signing_again_adds_no_record(client, petition, sign_data):
    _sign(client, petition, sign_data)
    _sign(client, petition, sign_data, wants_updates="on")

    assert ConsentRecord.objects.count() == 1
    assert Signature.objects.get().wants_updates is False


def test_a_changed_wording_is_a_new_version(client, petition, sign_data, monkeypatch):
    first = _sign(client, petition, sign_data, wants_updates="on")
    changed = "Send me news of this campaign by email. I can stop at any time."
    monkeypatch.setattr(SignatureForm.base_fields["wants_updates"], "label", changed)

    page = client.get(reverse("actions:sign", kwargs={"slug": petition.slug}))
    second = _sign(
        client, petition, sign_data | {"email": "grace@example.org"}, wants_updates="on"
    )

    assert changed in page.content.decode()
    versions = {
        r.signature_id: (r.wording.version, r.wording.text_hash)
        for r in ConsentRecord.objects.select_related("wording")
    }
    assert versions == {first.pk: (1, _sha256(SHOWN)), second.pk: (2, _sha256(changed))}
    assert (first.consent_version, second.consent_version) == ("1", "2")
    assert ConsentWording.objects.count() == 2


def test_the_same_wording_keeps_its_version_and_another_language_gets_one(db):
    english = wording_for(text=SHOWN, language="en")
    again = wording_for(text=SHOWN, language="en")
    khmer = wording_for(text="ផ្ញើព័ត៌មានថ្មីមកខ្ញុំ", language="km")

    assert again.pk == english.pk
    assert (english.version, khmer.version) == (1, 2)
    assert khmer.text_hash == _sha256("ផ្ញើព័ត៌មានថ្មីមកខ្ញុំ")


def test_the_wording_row_is_looked_up_once_per_process(db, django_assert_num_queries):
    updates_wording()

    with django_assert_num_queries(0):
        assert updates_wording().version == 1


@pytest.mark.parametrize(
    ("how", "everything", "form"),
    [
        ("one_click", False, ConsentRecord.Form.ONE_CLICK),
        ("link", False, ConsentRecord.Form.LINK),
        ("preferences_here", False, ConsentRecord.Form.PREFERENCES),
        ("preferences_all", True, ConsentRecord.Form.PREFERENCES),
    ],
)
def test_a_withdrawal_is_a_record_of_consent_not_given(
    client, petition, how, everything, form
):
    signature = make_recipient(petition)
    token = make_unsubscribe_token(signature.pk)
    unsubscribe = reverse("actions:unsubscribe", args=[token])
    preferences = reverse("actions:email_preferences", args=[token])

    if how == "one_click":
        response = client.post(unsubscribe, {"List-Unsubscribe": "One-Click"})
    elif how == "link":
        response = client.post(unsubscribe)
    else:
        response = client.post(preferences, {"everything": "1" if everything else "0"})

    assert response.status_code in {200, 302}
    record = ConsentRecord.objects.get()
    assert record.signature == signature
    assert (record.given, record.all_petitions, record.form) == (
        False,
        everything,
        form,
    )
    assert record.wording is None


def test_a_link_opened_but_not_pressed_records_nothing(client, petition):
    signature = make_recipient(petition)
    token = make_unsubscribe_token(signature.pk)

    client.get(reverse("actions:unsubscribe", args=[token]))
    client.get(reverse("actions:email_preferences", args=[token]))

    assert not ConsentRecord.objects.exists()


def test_the_database_refuses_to_change_a_record(client, petition, sign_data):
    _sign(client, petition, sign_data)

    with pytest.raises(DatabaseError), transaction.atomic():
        ConsentRecord.objects.update(given=True)

    assert ConsentRecord.objects.get().given is False


def test_a_given_consent_needs_its_wording(client, petition, sign_data):
    signature = _sign(client, petition, sign_data)

    with pytest.raises(DatabaseError), transaction.atomic():
        ConsentRecord.objects.create(signature=signature, given=True, form="signing")


def test_the_admin_shows_records_and_lets_no_one_change_them(
    admin_client, client, petition, sign_data
):
    signature = _sign(client, petition, sign_data, wants_updates="on")
    record = ConsentRecord.objects.get()
    change = reverse("admin:consent_consentrecord_change", args=[record.pk])

    listing = admin_client.get(reverse("admin:consent_consentrecord_changelist"))
    edit = admin_client.post(change, {"given": ""})
    delete = admin_client.post(
        reverse("admin:consent_consentrecord_delete", args=[record.pk]),
        {"post": "yes"},
    )

    assert listing.status_code == 200
    assert str(signature.pk) in listing.content.decode()
    assert signature.email not in listing.content.decode()  # ids, not addresses
    assert (edit.status_code, delete.status_code) == (403, 403)
    assert ConsentRecord.objects.get().given is True


def test_a_cached_wording_whose_row_is_gone_is_recorded_afresh(
    client, petition, sign_data
):
    # A process keeps the wording's row; its database is reset under it, as
    # between the tests that share one running stack.
    stale = updates_wording()
    ConsentWording.objects.all().delete()
    ConsentWording.objects.create(version=1, text_hash="0" * 64, text="Older")

    signature = _sign(client, petition, sign_data, wants_updates="on")

    record = ConsentRecord.objects.select_related("wording").get()
    assert record.signature == signature
    assert record.wording.text_hash == stale.text_hash
    assert record.wording.version == 2
    assert Signature.objects.get().consent_version == "2"
    assert updates_wording().pk == record.wording.pk
