from datetime import timedelta

import pytest
from django.core import signing
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from actions.abuse import blocklist
from actions.consent.models import ConsentRecord, ConsentWording
from actions.consent.services import updates_wording
from actions.core.canonical import canonical_email
from actions.core.tokens import CONFIRM_SALT, make_confirmation_token
from actions.counts import confirmed_counts
from actions.models import Petition, Signature
from actions.outbox.models import OutboundEmail
from actions.services import (
    PetitionClosed,
    confirm_signature,
    resend_confirmation,
    sign_petition,
    signature_from_token,
)
from actions.tasks import sign_again
from actions.tests.factories import make_petition, make_signature

pytestmark = pytest.mark.django_db


def _sign(petition: Petition, **fields: object) -> Signature:
    data = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.org",
        "country": "KH",
        "wants_updates": False,
        "consent_wording": updates_wording(),
        "source": "",
    }
    return sign_petition(petition=petition, **data | fields)


# canonical_email


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("Ada@Example.ORG", "ada@example.org"),
        ("  ada@example.org ", "ada@example.org"),
        ("Ada.Lovelace@Gmail.com", "adalovelace@gmail.com"),
        ("ada.love.lace+petition@gmail.com", "adalovelace@gmail.com"),
        ("Ada.Lovelace+x@googlemail.com", "adalovelace@gmail.com"),
        ("ada+news@outlook.com", "ada@outlook.com"),
    ],
)
def test_canonical_email_folds_what_the_provider_ignores(typed, canonical):
    assert canonical_email(typed) == canonical


def test_canonical_email_keeps_plus_tags_for_unknown_domains():
    assert canonical_email("ada+news@example.org") == "ada+news@example.org"


def test_canonical_email_keeps_dots_outside_gmail():
    assert canonical_email("ada.lovelace@example.org") == "ada.lovelace@example.org"
    assert canonical_email("ada.lovelace@outlook.com") == "ada.lovelace@outlook.com"


# sign_petition


def test_signing_creates_a_pending_signature_and_a_queued_confirmation(petition):
    signature = _sign(petition, email="Ada@Example.org", source="newsletter")

    signature.refresh_from_db()
    assert signature.state == Signature.State.PENDING
    assert signature.email == "Ada@Example.org"
    assert signature.canonical_email == "ada@example.org"
    assert signature.source == "newsletter"
    assert signature.confirmed_at is None
    outbound = OutboundEmail.objects.get()
    assert outbound.kind == OutboundEmail.Kind.CONFIRM
    assert outbound.state == OutboundEmail.State.QUEUED
    assert outbound.to_email == "Ada@Example.org"
    assert outbound.signature == signature


def test_the_confirmation_is_sent_once_the_signature_commits(
    petition, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _sign(petition)

    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["ada@example.org"]
    assert OutboundEmail.objects.get().state == OutboundEmail.State.SENT


@pytest.mark.parametrize(
    "again",
    [
        "ada.lovelace@gmail.com",
        "ADA.LOVELACE@GMAIL.COM",
        "adalovelace@gmail.com",
        "a.d.a.lovelace+petition@gmail.com",
        "Ada.Lovelace@googlemail.com",
    ],
)
def test_signing_again_with_a_variant_keeps_one_row_and_resends_the_confirmation(
    petition, mailoutbox, django_capture_on_commit_callbacks, again
):
    with django_capture_on_commit_callbacks(execute=True):
        _sign(petition, email="Ada.Lovelace@gmail.com")
        _sign(petition, email=again)

    assert Signature.objects.count() == 1
    assert len(mailoutbox) == 2
    assert mailoutbox[0].subject == mailoutbox[1].subject
    assert list(OutboundEmail.objects.values_list("kind", flat=True)) == [
        OutboundEmail.Kind.CONFIRM,
        OutboundEmail.Kind.CONFIRM,
    ]


def test_signing_again_emails_the_original_address_not_the_new_spelling(
    petition, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _sign(petition, email="Ada.Lovelace@gmail.com", first_name="Ada")
        _sign(petition, email="adalovelace+x@googlemail.com", first_name="Mallory")

    assert [m.to for m in mailoutbox] == [["Ada.Lovelace@gmail.com"]] * 2
    signature = Signature.objects.get()
    assert signature.email == "Ada.Lovelace@gmail.com"
    assert signature.first_name == "Ada"


def test_signing_again_once_confirmed_sends_already_signed(
    petition, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        signature = _sign(petition)
        confirm_signature(signature=signature)
        _sign(petition, email="ADA@example.org")

    assert Signature.objects.count() == 1
    assert OutboundEmail.objects.latest("pk").kind == OutboundEmail.Kind.ALREADY_SIGNED
    assert len(mailoutbox) == 2
    assert "already signed" in mailoutbox[1].subject
    assert Signature.objects.get().state == Signature.State.CONFIRMED
    assert petition.confirmed_count() == 1


def test_signing_eight_times_sends_at_most_five_emails(
    petition, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(8):
            _sign(petition)

    assert Signature.objects.count() == 1
    assert Signature.objects.get().emails_queued == 5
    assert OutboundEmail.objects.count() == 5
    assert len(mailoutbox) == 5


def test_signing_an_invalidated_signature_again_sends_nothing(
    petition, mailoutbox, django_capture_on_commit_callbacks
):
    make_signature(
        petition,
        email="ada@example.org",
        state=Signature.State.INVALIDATED,
        invalidated_at=timezone.now(),
    )
    with django_capture_on_commit_callbacks(execute=True):
        _sign(petition)

    assert Signature.objects.count() == 1
    assert OutboundEmail.objects.count() == 0
    assert mailoutbox == []


@pytest.mark.parametrize(
    "fields",
    [
        {"state": Petition.State.CLOSED},
        {"state": Petition.State.DELIVERED},
        {"state": Petition.State.WON},
        {
            "opens_at": timezone.now() - timedelta(days=2),
            "closes_at": timezone.now() - timedelta(days=1),
        },
        {"opens_at": timezone.now() + timedelta(days=1)},
    ],
    ids=["closed", "delivered", "won", "past-closes-at", "future-opens-at"],
)
def test_signing_a_closed_petition_raises_and_saves_nothing(
    statement, mailoutbox, django_capture_on_commit_callbacks, fields
):
    petition = make_petition(statement, **fields)

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(PetitionClosed):
            _sign(petition)

    assert Signature.objects.count() == 0
    assert OutboundEmail.objects.count() == 0
    assert mailoutbox == []


def _close_elsewhere(petition: Petition) -> None:
    """Close the petition as another process would, leaving this copy stale."""
    Petition.objects.filter(pk=petition.pk).update(
        state=Petition.State.CLOSED, closed_at=timezone.now()
    )


def test_a_stale_copy_of_a_petition_closed_elsewhere_signs_nothing(
    petition, mailoutbox, django_capture_on_commit_callbacks
):
    _close_elsewhere(petition)

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(PetitionClosed):
            _sign(petition)  # this copy still says "open"

    assert Signature.objects.count() == 0
    assert OutboundEmail.objects.count() == 0
    assert mailoutbox == []


def test_signing_again_after_the_petition_closed_elsewhere_sends_nothing(
    petition, mailoutbox, django_capture_on_commit_callbacks
):
    _sign(petition)
    _close_elsewhere(petition)

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(PetitionClosed):
            _sign(petition, email="ADA@example.org")

    assert Signature.objects.get().emails_queued == 1
    assert OutboundEmail.objects.count() == 1


def test_consent_version_is_stored_when_updates_are_wanted(petition):
    signature = _sign(petition, wants_updates=True)

    signature.refresh_from_db()
    assert signature.wants_updates is True
    assert signature.consent_version == str(updates_wording().version)


def test_consent_version_is_not_stored_without_consent(petition):
    signature = _sign(petition, wants_updates=False)

    signature.refresh_from_db()
    assert signature.wants_updates is False
    assert signature.consent_version == ""


# confirm_signature and counts


def test_confirming_marks_the_signature_confirmed_and_counts_it(petition):
    signature = make_signature(petition)

    assert confirm_signature(signature=signature) is True

    signature.refresh_from_db()
    assert signature.state == Signature.State.CONFIRMED
    assert signature.confirmed_at is not None
    assert petition.confirmed_count() == 1
    assert confirmed_counts([petition.pk]) == {petition.pk: 1}


def test_confirming_twice_counts_once(petition):
    signature = make_signature(petition)
    confirm_signature(signature=signature)
    confirmed_at = Signature.objects.get().confirmed_at

    assert confirm_signature(signature=Signature.objects.get()) is False

    assert petition.confirmed_count() == 1
    assert Signature.objects.get().confirmed_at == confirmed_at


def test_an_invalidated_signature_is_not_confirmed(petition):
    signature = make_signature(
        petition, state=Signature.State.INVALIDATED, invalidated_at=timezone.now()
    )

    assert confirm_signature(signature=signature) is False

    signature.refresh_from_db()
    assert signature.state == Signature.State.INVALIDATED
    assert signature.confirmed_at is None
    assert petition.confirmed_count() == 0


def test_confirmed_counts_only_count_confirmed_signatures(statement):
    first, second, empty = (make_petition(statement) for _ in range(3))
    for signature in [make_signature(first), make_signature(first)]:
        confirm_signature(signature=signature)
    confirm_signature(signature=make_signature(second))
    make_signature(second)  # pending: not counted

    counts = confirmed_counts([first.pk, second.pk, empty.pk])

    assert counts == {first.pk: 2, second.pk: 1, empty.pk: 0}


def test_a_confirmation_is_counted_at_once_despite_the_count_cache(
    petition, django_capture_on_commit_callbacks
):
    assert confirmed_counts([petition.pk]) == {petition.pk: 0}  # now cached

    with django_capture_on_commit_callbacks(execute=True):
        confirm_signature(signature=make_signature(petition))

    assert confirmed_counts([petition.pk]) == {petition.pk: 1}


# confirmation tokens


def test_a_confirmation_token_names_its_signature(petition):
    signature = make_signature(petition)

    assert signature_from_token(make_confirmation_token(signature.pk)) == signature


def test_a_tampered_token_is_refused(petition):
    token = make_confirmation_token(make_signature(petition).pk)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")

    with pytest.raises(signing.BadSignature):
        signature_from_token(tampered)


def test_a_token_naming_another_signature_is_refused(petition):
    first, second = make_signature(petition), make_signature(petition)
    _, rest = make_confirmation_token(first.pk).split(":", 1)
    other_payload, _ = make_confirmation_token(second.pk).split(":", 1)
    forged = f"{other_payload}:{rest}"

    with pytest.raises(signing.BadSignature):
        signature_from_token(forged)


@override_settings(CONFIRMATION_MAX_AGE=-1)
def test_an_expired_token_is_refused(petition):
    token = make_confirmation_token(make_signature(petition).pk)

    with pytest.raises(signing.SignatureExpired):
        signature_from_token(token)


def test_a_token_signed_without_the_salt_is_refused(petition):
    signature = make_signature(petition)

    with pytest.raises(signing.BadSignature):
        signature_from_token(signing.dumps(signature.pk))
    with pytest.raises(signing.BadSignature):
        signature_from_token(signing.dumps(signature.pk, salt="another.salt"))


def test_a_token_for_a_deleted_signature_is_refused(petition):
    token = signing.dumps(987654, salt=CONFIRM_SALT)

    with pytest.raises(Signature.DoesNotExist):
        signature_from_token(token)


# resend_confirmation


def test_resending_sends_the_confirmation_to_the_signer(
    petition, mailoutbox, django_capture_on_commit_callbacks
):
    make_signature(petition, email="Ada.Lovelace@gmail.com")

    with django_capture_on_commit_callbacks(execute=True):
        resend_confirmation(petition=petition, email="adalovelace+x@googlemail.com")

    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["Ada.Lovelace@gmail.com"]
    assert OutboundEmail.objects.get().kind == OutboundEmail.Kind.CONFIRM


def test_resending_to_an_unknown_address_sends_nothing(
    petition, mailoutbox, django_capture_on_commit_callbacks
):
    make_signature(petition, email="ada@example.org")
    other = make_petition()
    make_signature(other, email="bob@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        resend_confirmation(petition=petition, email="bob@example.org")

    assert mailoutbox == []
    assert OutboundEmail.objects.count() == 0


def test_resending_respects_the_email_cap(
    petition, mailoutbox, django_capture_on_commit_callbacks
):
    make_signature(petition, email="ada@example.org", emails_queued=5)

    with django_capture_on_commit_callbacks(execute=True):
        resend_confirmation(petition=petition, email="ada@example.org")

    assert mailoutbox == []


def test_a_new_signature_its_email_and_consent_take_one_statement_on_postgresql(
    petition, django_assert_num_queries
):
    # The hot path of a viral petition: one round trip where the database can
    # (elsewhere three inserts in a transaction, here a savepoint in the
    # test's). The wording's row is looked up once per process, before; the
    # petition as the signing view loads it, and the block list as each
    # process keeps it: screening adds no query.
    wording = updates_wording()
    petition = Petition.objects.select_related("abuse_settings").get(pk=petition.pk)
    blocklist.current()
    on_postgresql = connection.vendor == "postgresql"
    with django_assert_num_queries(1 if on_postgresql else 5):
        signature = _sign(
            petition,
            wants_updates=True,
            consent_wording=wording,
            client_ip="203.0.113.9",
            fill_seconds=10.0,
        )

    record = ConsentRecord.objects.get()
    assert (record.signature_id, record.given, record.wording_id) == (
        signature.pk,
        True,
        wording.pk,
    )
    outbound = OutboundEmail.objects.get()
    assert outbound.signature_id == signature.pk
    assert outbound.kind == OutboundEmail.Kind.CONFIRM
    assert outbound.to_email == "ada@example.org"
    assert outbound.state == OutboundEmail.State.QUEUED


def test_a_known_address_signing_again_finishes_though_its_wording_row_is_gone(
    petition, mailoutbox, django_capture_on_commit_callbacks
):
    """The task names the wording by its text: a row the web process had
    cached may be gone (a reset database), and the worker makes it again."""

    make_signature(petition, email="ada@example.org")
    fields = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.org",
        "canonical_email": "ada@example.org",
        "country": "KH",
        "wants_updates": True,
        "consent_version": "v1",
        "source": "",
        "client_hash": "",
        "revision_id": None,
    }
    ConsentWording.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True):
        sign_again(petition.pk, fields, {"text": "Send me news", "language": "en"})

    assert ConsentWording.objects.get().text == "Send me news"
    assert [message.to for message in mailoutbox] == [["ada@example.org"]]
