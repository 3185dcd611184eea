import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from actions.letters.models import Letter, LetterAction, LetterSettings
from actions.letters.tests.factories import make_letter_action, make_recipient
from actions.models import Petition
from actions.tests.factories import make_signature

pytestmark = pytest.mark.django_db


def _letter(action: Petition, **fields: object) -> Letter:
    signature = make_signature(action)
    recipient = fields.pop("recipient", None) or make_recipient()
    return Letter.objects.create(
        signature=signature,
        action=action,
        recipient=recipient,
        subject="Subject",
        body="A letter.",
        **fields,
    )


def test_a_letter_action_is_a_petition_row_of_kind_letter(petition):
    action = make_letter_action(petition.statement)

    assert Petition.objects.get(pk=action.pk).kind == Petition.Kind.LETTER
    assert list(LetterAction.objects.all()) == [action]
    assert petition.kind == Petition.Kind.PETITION
    assert Petition.objects.get(pk=action.pk).is_letter


def test_one_letter_per_signature_and_recipient():
    action = make_letter_action()
    letter = _letter(action)

    with pytest.raises(IntegrityError), transaction.atomic():
        Letter.objects.create(
            signature=letter.signature,
            action=action,
            recipient=letter.recipient,
            subject="Again",
            body="Again.",
        )


@pytest.mark.parametrize(
    "fields",
    [
        {"moderation_state": "held"},
        {"moderation_state": "approved"},
        {"moderation_state": "rejected"},
        {"delivery_state": "queued"},
        {"delivery_state": "sent"},
        {"delivery_state": "failed"},
    ],
)
def test_each_state_needs_its_time(fields):
    action = make_letter_action()

    with pytest.raises(IntegrityError), transaction.atomic():
        _letter(action, **fields)


def test_only_a_rejection_stops_a_letter_for_good():
    action = make_letter_action()

    with pytest.raises(IntegrityError), transaction.atomic():
        _letter(action, delivery_state="rejected")
    now = timezone.now()
    letter = _letter(
        action, moderation_state="rejected", rejected_at=now, delivery_state="rejected"
    )
    assert letter.pk


@pytest.mark.parametrize("moderation", ["held", "rejected"])
def test_a_held_or_rejected_letter_is_never_queued(moderation):
    action = make_letter_action()
    now = timezone.now()

    with pytest.raises(IntegrityError), transaction.atomic():
        _letter(
            action,
            moderation_state=moderation,
            held_at=now,
            rejected_at=now,
            delivery_state="queued",
            queued_at=now,
        )


def test_the_shortest_letter_is_not_longer_than_the_longest():
    action = make_letter_action()

    with pytest.raises(IntegrityError), transaction.atomic():
        LetterSettings.objects.filter(action=action).update(
            min_length=300, max_length=200
        )


def test_one_recipient_per_country():
    first, second = make_recipient(), make_recipient()
    action = make_letter_action(by_country={"FR": first})

    with pytest.raises(IntegrityError), transaction.atomic():
        action.country_recipients.create(country="FR", recipient=second)
