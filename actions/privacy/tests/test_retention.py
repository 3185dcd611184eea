"""The retention job: signers of petitions closed longer than their retention
period are anonymised in batches that each commit; stopped half way and run
again, every row is anonymised exactly once and none is left half done."""

from datetime import timedelta

import pytest
from django.utils import timezone

from actions.counts import add_to_count
from actions.followups.models import Withdrawal
from actions.followups.withdrawals import withdraw
from actions.models import Petition, Signature
from actions.outbox.models import OutboundEmail
from actions.privacy import services
from actions.privacy.models import Erasure
from actions.privacy.tasks import anonymise_expired_signatures
from actions.tests.factories import make_petition

# Real commits: a batch is a transaction of its own, not a savepoint.
pytestmark = pytest.mark.django_db(transaction=True)

SIGNERS = 250
BATCH = 40


class Stop(Exception):
    """The job killed half way."""


def _closed(days_ago: int, **fields: object) -> Petition:
    now = timezone.now()
    return make_petition(
        opens_at=now - timedelta(days=days_ago + 30),
        state=Petition.State.CLOSED,
        closed_at=now - timedelta(days=days_ago),
        **fields,
    )


def _signers(petition: Petition, prefix: str, count: int) -> list[Signature]:
    now = timezone.now()
    signatures = Signature.objects.bulk_create(
        Signature(
            petition=petition,
            first_name=f"Retained{n}",
            last_name=prefix,
            email=f"{prefix}{n}@example.org",
            canonical_email=f"{prefix}{n}@example.org",
            country="MM",
            client_hash=f"{n:064x}",
            state=Signature.State.CONFIRMED,
            confirmed_at=now,
        )
        for n in range(count)
    )
    add_to_count(petition_id=petition.pk, delta=count)
    OutboundEmail.objects.bulk_create(
        OutboundEmail(kind="confirm", to_email=s.email, signature=s) for s in signatures
    )
    return signatures


def _states(petition: Petition) -> dict[str, int]:
    """How many of its rows are fully anonymised, untouched, or neither."""
    counts = {"anonymised": 0, "untouched": 0, "half": 0}
    for row in Signature.objects.filter(petition=petition):
        blank = (row.first_name, row.last_name, row.client_hash) == ("", "", "")
        no_address = "@" not in row.email and "@" not in row.canonical_email
        if row.anonymised_at and blank and no_address:
            counts["anonymised"] += 1
        elif row.anonymised_at is None and row.first_name and "@" in row.email:
            counts["untouched"] += 1
        else:
            counts["half"] += 1
    return counts


def _stamps(petition: Petition) -> dict[int, object]:
    return dict(
        Signature.objects.filter(
            petition=petition, anonymised_at__isnull=False
        ).values_list("pk", "anonymised_at")
    )


def test_stopped_half_way_and_run_again_every_row_is_anonymised_once():
    expired = _closed(40, retention_days=30)
    recent = _closed(10, retention_days=30)
    kept = _closed(400)  # no retention period: kept
    _signers(expired, "old", SIGNERS)
    _signers(recent, "recent", 20)
    _signers(kept, "kept", 20)
    counts = {p.pk: p.confirmed_count() for p in (expired, recent, kept)}

    # A run stopped by its batch limit, then one killed inside its 2nd batch.
    first = services.anonymise_expired(batch_size=BATCH, max_batches=3)
    after_first = _stamps(expired)
    calls = []

    def kill_on_second_batch(count: int) -> None:
        calls.append(count)
        if len(calls) == 2:
            raise Stop

    with pytest.raises(Stop):
        services.anonymise_expired(batch_size=BATCH, on_batch=kill_on_second_batch)
    half_way = _states(expired)
    after_second = _stamps(expired)
    rest = services.anonymise_expired(batch_size=BATCH)
    again = services.anonymise_expired(batch_size=BATCH)

    assert first == 3 * BATCH
    assert half_way == {
        "anonymised": 4 * BATCH,  # the killed batch was rolled back whole
        "untouched": SIGNERS - 4 * BATCH,
        "half": 0,
    }
    assert rest == SIGNERS - 4 * BATCH
    assert again == 0
    assert _states(expired) == {"anonymised": SIGNERS, "untouched": 0, "half": 0}
    stamps = _stamps(expired)
    # Done rows were skipped: their anonymisation times never moved.
    assert {pk: stamps[pk] for pk in after_first} == after_first
    assert {pk: stamps[pk] for pk in after_second} == after_second
    # Exactly once: the batches' records add up to the rows, no more.
    erasures = Erasure.objects.filter(reason="retention", petition=expired)
    assert sum(erasures.values_list("signatures", flat=True)) == SIGNERS
    assert _states(recent)["untouched"] == 20
    assert _states(kept)["untouched"] == 20
    assert {p.pk: p.confirmed_count() for p in (expired, recent, kept)} == counts
    assert not OutboundEmail.objects.filter(
        signature__petition=expired, to_email__contains="@"
    ).exists()
    print(f"Retention: {first} + {4 * BATCH - first} + {rest} = {SIGNERS} rows")


def test_the_daily_task_runs_the_job_and_is_in_the_beat_schedule(settings):
    expired = _closed(3, retention_days=2)
    _signers(expired, "task", 5)

    assert anonymise_expired_signatures() == 5
    schedule = settings.CELERY_BEAT_SCHEDULE["anonymise-expired-signatures"]
    assert schedule["task"] == "actions.tasks.anonymise_expired_signatures"
    assert schedule["schedule"] == 24 * 3600


def test_an_open_petition_is_never_anonymised():
    petition = make_petition(retention_days=0)
    _signers(petition, "open", 3)

    assert services.anonymise_expired() == 0
    assert _states(petition)["untouched"] == 3


def test_retention_forgets_a_petitions_withdrawals_and_keeps_the_persons():
    expired = _closed(40, retention_days=30)
    ongoing = make_petition()
    [signature] = _signers(expired, "left", 1)
    _signers(ongoing, "left", 1)  # the same address, on a petition still open
    withdraw(signature=signature, everything=False, method="link")
    withdraw(signature=signature, everything=True, method="preferences")

    services.anonymise_expired()

    scopes = dict(Withdrawal.objects.values_list("petition", "canonical_email"))
    assert "@" not in scopes[expired.pk]
    assert scopes[None] == "left0@example.org"  # still stops the other's updates
    assert Signature.objects.get(petition=ongoing).first_name == "Retained0"
