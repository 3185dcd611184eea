import json
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User

from actions.abuse.models import AbuseSettings, SignatureFlag
from actions.abuse.services import (
    SignatureFilter,
    flag_busy_sources,
    invalidate_signatures,
    preview_invalidation,
    release_suspects,
)
from actions.counts import confirmed_counts
from actions.models import Signature
from actions.services import confirm_signature
from actions.tests.factories import make_petition, make_signature

pytestmark = pytest.mark.django_db

State = Signature.State
NOW = datetime(2026, 11, 2, 12, 30, tzinfo=UTC)


@pytest.fixture
def staff(db) -> User:
    return User.objects.create_user("campaigner", is_staff=True)


def _confirmed(petition, **fields) -> Signature:
    signature = make_signature(petition, **fields)
    confirm_signature(signature=signature)
    return signature


def _suspect(petition, **fields) -> Signature:
    return make_signature(
        petition,
        state=State.SUSPECT,
        suspect_reason="honeypot",
        suspected_at=NOW,
        **fields,
    )


# release


def test_released_suspects_become_pending_get_their_confirmation_and_then_count(
    petition, staff, mailoutbox, django_capture_on_commit_callbacks
):
    rally = [_suspect(petition, email=f"rally{n}@example.org") for n in range(2)]
    pending = make_signature(petition, email="pending@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        released = release_suspects(
            signatures=Signature.objects.all(), user_id=staff.pk
        )
    again = release_suspects(signatures=Signature.objects.all(), user_id=staff.pk)
    for signature in rally:
        signature.refresh_from_db()
        confirm_signature(signature=signature)

    assert (released, again) == (2, 0)
    assert sorted(m.to[0] for m in mailoutbox) == [s.email for s in rally]
    assert petition.confirmed_count() == 2
    # When and why it was suspect stay on the row; the pending one is untouched.
    assert {(s.suspect_reason, s.suspected_at) for s in rally} == {("honeypot", NOW)}
    pending.refresh_from_db()
    assert (pending.state, pending.emails_queued) == (State.PENDING, 0)
    entry = LogEntry.objects.get()
    assert json.loads(entry.change_message) == [{"released": {"signatures": 2}}]
    assert "rally" not in entry.object_repr + entry.change_message


# invalidation


def test_invalidating_a_domain_takes_its_confirmed_signatures_off_the_count(
    petition, staff
):
    for n in range(3):
        _confirmed(petition, email=f"bot{n}@bots.example")
    make_signature(petition, email="pending@bots.example")
    _suspect(petition, email="suspect@mail.bots.example")
    _confirmed(petition, email="real@example.org")
    chosen = SignatureFilter(petition=petition, email_domain="bots.example")

    preview = preview_invalidation(signature_filter=chosen)
    done = invalidate_signatures(signature_filter=chosen, user_id=staff.pk)

    assert preview == {State.CONFIRMED: 3, State.PENDING: 1, State.SUSPECT: 1}
    assert done == 5
    assert petition.confirmed_count() == 1
    assert confirmed_counts([petition.pk]) == {petition.pk: 1}
    invalidated = Signature.objects.filter(state=State.INVALIDATED)
    assert invalidated.count() == 5
    assert not invalidated.filter(invalidated_at=None).exists()
    assert Signature.objects.get(email="real@example.org").state == State.CONFIRMED


def test_invalidating_again_changes_and_logs_nothing_more(petition, staff):
    _confirmed(petition, email="bot@bots.example")
    chosen = SignatureFilter(petition=petition, email_domain="bots.example")

    first = invalidate_signatures(signature_filter=chosen, user_id=staff.pk)
    second = invalidate_signatures(signature_filter=chosen, user_id=staff.pk)

    assert (first, second) == (1, 0)
    assert petition.confirmed_count() == 0
    assert preview_invalidation(signature_filter=chosen) == {}
    assert LogEntry.objects.count() == 1


def test_an_invalidation_is_written_to_the_audit_log_without_signer_data(
    petition, staff
):
    _confirmed(petition, email="ada@bots.example", client_hash="ab" * 16)
    chosen = SignatureFilter(
        petition=petition,
        email_domain="bots.example",
        signed_from=NOW - timedelta(days=3650),
    )

    invalidate_signatures(signature_filter=chosen, user_id=staff.pk)

    entry = LogEntry.objects.get()
    assert (entry.user, entry.object_id) == (staff, str(petition.pk))
    assert json.loads(entry.change_message) == [
        {
            "invalidated": {
                "signatures": 1,
                "filters": {
                    "email_domain": "bots.example",
                    "signed_from": (NOW - timedelta(days=3650)).isoformat(),
                },
            }
        }
    ]
    assert "ada" not in entry.change_message


def test_a_filter_matches_by_client_hash_time_and_state(petition):
    hashed = "cd" * 16
    early = make_signature(
        petition, client_hash=hashed, created_at=NOW - timedelta(hours=2)
    )
    inside = make_signature(petition, client_hash=hashed, created_at=NOW)
    _suspect(petition, client_hash=hashed, created_at=NOW)
    make_signature(petition, client_hash="ef" * 16, created_at=NOW)
    in_the_hour = SignatureFilter(
        petition=petition,
        client_hash=hashed,
        signed_from=NOW - timedelta(minutes=30),
        signed_to=NOW + timedelta(minutes=30),
    )

    assert set(in_the_hour.signatures().values_list("state", flat=True)) == {
        State.PENDING,
        State.SUSPECT,
    }
    assert list(
        SignatureFilter(**vars(in_the_hour) | {"state": State.PENDING})
        .signatures()
        .values_list("pk", flat=True)
    ) == [inside.pk]
    assert early.pk in SignatureFilter(
        petition=petition, client_hash=hashed
    ).signatures().values_list("pk", flat=True)


def test_a_confirmation_reaches_only_as_far_as_its_preview(petition, staff):
    make_signature(petition, email="before@bots.example", created_at=NOW)
    later = make_signature(
        petition, email="after@bots.example", created_at=NOW + timedelta(seconds=1)
    )
    chosen = SignatureFilter(petition=petition, email_domain="bots.example", as_of=NOW)

    assert invalidate_signatures(signature_filter=chosen, user_id=staff.pk) == 1
    later.refresh_from_db()
    assert later.state == State.PENDING


def test_a_domain_filter_does_not_match_a_longer_domain(petition):
    make_signature(petition, email="a@notbots.example")
    make_signature(petition, email="a@bots.example.org")

    chosen = SignatureFilter(petition=petition, email_domain="bots.example")

    assert not chosen.signatures().exists()


def test_other_petitions_are_untouched(petition, staff):
    other = make_petition()
    _confirmed(other, email="bot@bots.example")

    invalidate_signatures(
        signature_filter=SignatureFilter(
            petition=petition, email_domain="bots.example"
        ),
        user_id=staff.pk,
    )

    assert other.confirmed_count() == 1


# hourly flags


def _signed_at(
    petition, when, count, *, client_hash: str = "", domain: str = "x.example"
) -> None:
    emails = [f"s{when.timestamp():.0f}-{n}@{domain}" for n in range(count)]
    Signature.objects.bulk_create(
        Signature(
            petition=petition,
            first_name="A",
            last_name="B",
            email=email,
            canonical_email=email,
            country="KH",
            created_at=when,
            client_hash=client_hash,
        )
        for email in emails
    )


def test_a_busy_client_and_a_busy_domain_are_flagged_for_their_hour(petition, settings):
    settings.ABUSE_FLAG_THRESHOLD = 5
    hour = NOW.replace(minute=0) - timedelta(hours=1)
    _signed_at(petition, hour + timedelta(minutes=5), 6, client_hash="aa" * 16)
    _signed_at(petition, hour + timedelta(minutes=50), 5, client_hash="bb" * 16)
    _signed_at(petition, hour + timedelta(minutes=9), 6, domain="bots.example")

    written = flag_busy_sources(now=NOW)

    flags = {(f.kind, f.value, f.hour, f.count) for f in SignatureFlag.objects.all()}
    assert flags == {
        ("client", "aa" * 16, hour, 6),
        ("domain", "x.example", hour, 11),
        ("domain", "bots.example", hour, 6),
    }
    assert written == 3


def test_the_hour_under_way_is_left_for_the_next_run(petition, settings):
    settings.ABUSE_FLAG_THRESHOLD = 2
    _signed_at(petition, NOW - timedelta(minutes=10), 5, client_hash="aa" * 16)

    assert flag_busy_sources(now=NOW) == 0
    assert flag_busy_sources(now=NOW + timedelta(hours=1)) == 2


def test_running_again_keeps_one_flag_per_source_and_hour(petition, settings):
    settings.ABUSE_FLAG_THRESHOLD = 2
    hour = NOW.replace(minute=0) - timedelta(hours=1)
    _signed_at(petition, hour, 3, client_hash="aa" * 16)
    flag_busy_sources(now=NOW)
    _signed_at(petition, hour + timedelta(minutes=1), 1, client_hash="aa" * 16)

    flag_busy_sources(now=NOW)
    flag_busy_sources(now=NOW + timedelta(minutes=20))

    assert list(
        SignatureFlag.objects.filter(kind="client").values_list("count", flat=True)
    ) == [4]


def test_each_petition_flags_above_its_own_threshold(petition, settings):
    settings.ABUSE_FLAG_THRESHOLD = 100
    quiet, off = make_petition(), make_petition()
    AbuseSettings.objects.create(petition=petition, flag_threshold=3)
    AbuseSettings.objects.create(petition=off, flag_threshold=0)
    hour = NOW.replace(minute=0) - timedelta(hours=1)
    for each in (petition, quiet, off):
        _signed_at(each, hour, 4, client_hash="aa" * 16)

    flag_busy_sources(now=NOW)

    assert set(SignatureFlag.objects.values_list("petition_id", flat=True)) == {
        petition.pk
    }


def test_big_webmail_domains_and_old_hours_are_not_flagged(petition, settings):
    settings.ABUSE_FLAG_THRESHOLD = 2
    settings.ABUSE_FLAG_LOOKBACK_HOURS = 3
    _signed_at(petition, NOW - timedelta(hours=1), 5, domain="gmail.com")
    _signed_at(petition, NOW - timedelta(hours=4), 5, domain="old.example")

    assert flag_busy_sources(now=NOW) == 0
