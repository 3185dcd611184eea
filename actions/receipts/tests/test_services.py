"""Committing days, receipts, checking them, and re-verifying the roots."""

import json
from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.test import override_settings

from actions.core.tokens import make_receipt_token
from actions.models import Signature
from actions.privacy.services import erase
from actions.receipts import checking, merkle, services
from actions.receipts.models import DailyRoot, Leaf
from actions.receipts.tests.factories import DAY, at, committed, confirmed_on
from actions.tests.factories import make_signature

pytestmark = pytest.mark.django_db


def test_a_day_commits_its_confirmed_signatures_in_order_of_confirmation(petition):
    later, earlier = confirmed_on(petition, 2)
    Signature.objects.filter(pk=later.pk).update(confirmed_at=at(seconds=7200))
    make_signature(petition)  # pending: not in the tree
    confirmed_on(petition, 1, DAY + timedelta(days=1))  # another day

    daily = committed()

    assert daily.size == 2
    leaves = list(Leaf.objects.order_by("position"))
    assert [leaf.signature_id for leaf in leaves] == [earlier.pk, later.pk]
    key = services.leaf_key()
    earlier.refresh_from_db()
    expected = merkle.leaf_value(
        key, earlier.pk, earlier.canonical_email, earlier.confirmed_at
    )
    assert leaves[0].leaf == expected.hex()
    values = [bytes.fromhex(leaf.leaf) for leaf in leaves]
    assert daily.root == merkle.fold([merkle.leaf_node(v) for v in values]).hex()


def test_a_committed_day_is_never_written_again(petition):
    confirmed_on(petition, 3)
    first = committed()
    confirmed_on(petition, 1)

    assert services.commit_day(day=DAY) is None
    assert DailyRoot.objects.get().root == first.root
    assert Leaf.objects.count() == 3


def test_a_day_without_confirmations_publishes_nothing(petition):
    assert services.commit_day(day=DAY) is None
    assert not DailyRoot.objects.exists()


def test_the_job_commits_finished_days_only_and_is_repeat_safe(petition):
    confirmed_on(petition, 2, DAY)
    confirmed_on(petition, 1, DAY + timedelta(days=2))
    confirmed_on(petition, 1, DAY + timedelta(days=3))  # "today"
    now = at(DAY + timedelta(days=3), 3600)

    assert services.commit_finished_days(now=now) == [DAY, DAY + timedelta(days=2)]
    assert services.commit_finished_days(now=now) == []
    assert list(DailyRoot.objects.values_list("size", flat=True)) == [1, 2]


def test_just_after_midnight_yesterday_waits_for_late_confirmations(petition):
    confirmed_on(petition, 1, DAY)
    just_after = at(DAY + timedelta(days=1), 60)

    assert services.commit_finished_days(now=just_after) == []
    assert services.commit_finished_days(now=just_after + timedelta(hours=1)) == [DAY]


def test_a_concurrent_commit_of_the_same_leaves_is_refused(petition):
    (signature,) = confirmed_on(petition, 1)
    Leaf.objects.create(signature_id=signature.pk, day=DAY, position=5, leaf="0" * 64)

    with pytest.raises(IntegrityError):
        services.commit_day(day=DAY)
    assert not DailyRoot.objects.exists()


def test_before_its_day_is_committed_a_receipt_says_when_it_will_be_ready(petition):
    (signature,) = confirmed_on(petition, 1)

    status = services.receipt_status(signature_id=signature.pk)

    assert status.receipt is None
    assert status.ready_at == at(DAY + timedelta(days=1)) + services.READY_AFTER


def test_a_pending_signature_is_pending_only_for_its_receipt_link(petition):
    signature = make_signature(petition)

    assert services.receipt_status(signature_id=signature.pk) is None
    status = services.receipt_from_token(make_receipt_token(signature.pk))
    assert status == services.ReceiptStatus(pending=True)


def test_every_receipt_of_a_day_checks_valid(petition):
    signatures = confirmed_on(petition, 5)
    daily = committed()

    for signature in signatures:
        receipt = services.receipt_status(signature_id=signature.pk).receipt
        assert receipt["root"] == daily.root
        assert "@" not in json.dumps(receipt)
        verdict = checking.check_receipt(json.dumps(receipt))
        assert verdict.is_valid, verdict.message
        assert "Valid: this signature is one of the 5 signatures" in verdict.message


@override_settings(RECEIPT_KEY="")
def test_receipts_of_a_day_bigger_than_a_chunk_check_valid(petition):
    signatures = confirmed_on(petition, merkle.CHUNK + 3)
    committed()

    for signature in [signatures[0], signatures[merkle.CHUNK], signatures[-1]]:
        receipt = services.receipt_status(signature_id=signature.pk).receipt
        assert checking.check_receipt(json.dumps(receipt)).is_valid


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda r: r | {"leaf": "ab" * 32}, "does not lead to the root"),
        (lambda r: r | {"position": r["position"] + 1}, "does not lead to the root"),
        (lambda r: r | {"size": r["size"] + 1}, "does not lead to the root"),
        (lambda r: r | {"path": r["path"][:-1]}, "does not lead to the root"),
        (lambda r: r | {"day": "2026-11-03"}, "No root is published for 2026-11-03"),
        (lambda r: r | {"path": "nope"}, "could not be read"),
        (lambda r: r | {"leaf": "zz" * 32}, "could not be read"),
        (lambda r: r | {"position": True}, "could not be read"),
        (lambda r: r | {"day": "yesterday"}, "could not be read"),
        (lambda r: {"kind": "other"}, "could not be read"),
        (lambda r: [r], "could not be read"),
    ],
)
def test_a_changed_receipt_is_invalid_in_plain_words(petition, change, words):
    signatures = confirmed_on(petition, 3)
    committed()
    receipt = services.receipt_status(signature_id=signatures[1].pk).receipt

    verdict = checking.check_receipt(json.dumps(change(receipt)))

    assert not verdict.is_valid
    assert words in verdict.message


@pytest.mark.parametrize("text", ["", "{", "[[[[" * 10000, "null", '"receipt"'])
def test_text_that_is_no_receipt_is_invalid_not_an_error(text):
    assert not checking.check_receipt(text).is_valid


def test_committed_days_verify(petition):
    confirmed_on(petition, 4)
    committed()

    (check,) = services.verify_days()

    assert check.matches


def test_a_signature_added_to_a_committed_day_is_reported(petition):
    confirmed_on(petition, 2)
    committed()
    (added,) = confirmed_on(petition, 1)

    (check,) = services.verify_days()

    assert not check.matches
    assert check.added == [added.pk]


def test_a_deleted_signature_is_reported(petition):
    first, _second = confirmed_on(petition, 2)
    committed()
    Signature.objects.filter(pk=first.pk).delete()

    (check,) = services.verify_days()

    assert not check.matches
    assert check.missing == [first.pk]
    assert Leaf.objects.filter(signature_id=first.pk).exists()


def test_a_changed_confirmation_time_is_reported(petition):
    first, _second = confirmed_on(petition, 2)
    committed()
    Signature.objects.filter(pk=first.pk).update(
        confirmed_at=first.confirmed_at + timedelta(seconds=1)
    )

    assert not services.verify_days()[0].matches


def test_a_confirmation_on_an_uncommitted_earlier_day_is_reported(petition):
    confirmed_on(petition, 1, DAY + timedelta(days=1))
    committed(DAY + timedelta(days=1))
    (late,) = confirmed_on(petition, 1, DAY)

    checks = services.verify_days()

    assert [(c.day, c.matches, c.added) for c in checks] == [
        (DAY, False, [late.pk]),
        (DAY + timedelta(days=1), True, []),
    ]


def test_an_erased_signer_keeps_the_leaf_and_the_day_still_verifies(petition):
    signatures = confirmed_on(petition, 3)
    committed()
    receipt = services.receipt_status(signature_id=signatures[1].pk).receipt

    erase(signature=signatures[1])

    signatures[1].refresh_from_db()
    assert signatures[1].anonymised_at is not None
    assert "@" not in signatures[1].canonical_email
    assert services.verify_days()[0].matches
    assert checking.check_receipt(json.dumps(receipt)).is_valid
    # The link no longer fetches it: the data behind it is gone.
    assert services.receipt_status(signature_id=signatures[1].pk) is None


def test_a_signer_erased_before_the_commit_is_committed_and_verifies(petition):
    signatures = confirmed_on(petition, 2)
    erase(signature=signatures[0])
    committed()

    assert services.verify_days()[0].matches


@override_settings(RECEIPT_KEY="a dedicated key")
def test_the_receipt_key_setting_replaces_the_secret_key(petition):
    confirmed_on(petition, 1)
    committed()

    with override_settings(RECEIPT_KEY="", SECRET_KEY="rotated " * 8):
        assert not services.verify_days()[0].matches
    with override_settings(SECRET_KEY="rotated " * 8):
        assert services.verify_days()[0].matches


def test_the_database_writes_the_same_leaf_messages_as_python(petition):
    """On PostgreSQL the messages come from SQL; they must equal merkle's."""
    signatures = confirmed_on(petition, 3)
    Signature.objects.filter(pk=signatures[0].pk).update(
        confirmed_at=at(seconds=86399) + timedelta(microseconds=999999)
    )
    Signature.objects.filter(pk=signatures[1].pk).update(
        confirmed_at=at(seconds=3) + timedelta(microseconds=7)
    )

    rows = list(services._day_rows(DAY))

    held = Signature.objects.order_by("confirmed_at", "pk")
    assert rows == [
        (s.pk, merkle.leaf_message(s.pk, s.canonical_email, s.confirmed_at), False)
        for s in held
    ]
    assert rows[-1][1].endswith("\n2026-11-02T23:59:59.999999Z")
    assert rows[0][1].endswith("\n2026-11-02T00:00:03.000007Z")
    assert rows[1][1].endswith("\n2026-11-02T00:02:01.000000Z")
