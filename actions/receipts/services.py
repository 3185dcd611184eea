"""Committing each finished UTC day's confirmed signatures to a Merkle root,
the signers' receipts, and re-verifying the roots (checking a receipt is in
``checking.py``).

The tree is defined in ``merkle.py`` and docs/architecture.md ("Signature
receipts"). A committed day never changes: its leaves and root are written
once, in one transaction.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone

from actions.core.tokens import (
    make_receipt_token,
    read_receipt_token,
    read_thanks_token,
)
from actions.models import Signature
from actions.receipts import checking, merkle
from actions.receipts.models import DailyRoot, Leaf

# A confirmation stamped just before midnight may commit just after: a day is
# committed only once this much of the next one has passed.
COMMIT_GRACE = timedelta(minutes=10)
# The beat interval of commit_receipt_roots (campaign/settings.py) and the
# grace: by then a day's receipts are ready.
READY_AFTER = COMMIT_GRACE + timedelta(minutes=20)
# Rows per fetch and per COPY: a whole number of chunks.
BATCH = merkle.CHUNK * 8


def leaf_key() -> bytes:
    """The key of leaf values: RECEIPT_KEY if set, otherwise from SECRET_KEY."""
    return merkle.derive_key(settings.RECEIPT_KEY or settings.SECRET_KEY)


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _confirmed_on(day: date) -> QuerySet[Signature]:
    return Signature.objects.filter(
        state=Signature.State.CONFIRMED,
        confirmed_at__gte=_start(day),
        confirmed_at__lt=_start(day + timedelta(days=1)),
    ).order_by("confirmed_at", "pk")


def _last_finished_day(now: datetime) -> date:
    return (now - COMMIT_GRACE).astimezone(UTC).date() - timedelta(days=1)


def _days_with_confirmations(after: date | None, until: date) -> list[date]:
    """The UTC days after ``after`` up to ``until`` with confirmed signatures."""
    signatures = Signature.objects.filter(
        state=Signature.State.CONFIRMED,
        confirmed_at__lt=_start(until + timedelta(days=1)),
    )
    if after is not None:
        signatures = signatures.filter(confirmed_at__gte=_start(after + timedelta(1)))
    days = (
        signatures.annotate(day=TruncDate("confirmed_at", tzinfo=UTC))
        .values_list("day", flat=True)
        .distinct()
        .order_by("day")
    )
    return list(days)


def commit_finished_days(*, now: datetime | None = None) -> list[date]:
    """Commit every finished day after the last committed one that had
    confirmed signatures; the days committed. Repeat-safe: a day committed
    (here or by a concurrent run) is never written again."""
    last_finished = _last_finished_day(now or timezone.now())
    last_committed = DailyRoot.objects.order_by("-day").values_list("day", flat=True)
    after = last_committed.first()
    if after is not None and after >= last_finished:
        return []  # the usual case: nothing finished since the last run
    committed = []
    for day in _days_with_confirmations(after, last_finished):
        try:
            if commit_day(day=day) is not None:
                committed.append(day)
        except IntegrityError:
            break  # another run is committing these days
    return committed


@transaction.atomic
def commit_day(*, day: date) -> DailyRoot | None:
    """Write the leaves and the root of one finished day; None if it had no
    confirmed signature or was committed already. Raises IntegrityError when
    a concurrent run commits the same day."""
    if DailyRoot.objects.filter(day=day).exists():
        return None
    key = leaf_key()
    chunk_roots: list[bytes] = []
    size = 0
    for batch in _batches(_day_rows(day), BATCH):
        values = [merkle.message_value(key, message) for _pk, message, _ in batch]
        for start in range(0, len(values), merkle.CHUNK):
            chunk_roots.append(merkle.chunk_root(values[start : start + merkle.CHUNK]))
        ids = [row[0] for row in batch]
        _write_leaves(day, size, zip(ids, values, strict=True))
        size += len(values)
    if not size:
        return None
    return DailyRoot.objects.create(
        day=day,
        root=merkle.fold(chunk_roots).hex(),
        size=size,
        chunk_roots=b"".join(chunk_roots),
    )


# The leaf message (merkle.leaf_message) written by PostgreSQL, which reads a
# million rows' ids and strings several times faster than Python formats their
# times; a test checks both give the same messages.
DAY_ROWS_SQL = """
SELECT id,
    id::text || E'\\n' || canonical_email || E'\\n'
    || to_char(confirmed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    anonymised_at IS NOT NULL
FROM actions_signature
WHERE state = %s AND confirmed_at >= %s AND confirmed_at < %s
ORDER BY confirmed_at, id
"""


def _day_rows(day: date) -> Iterator[tuple[int, str, bool]]:
    """(id, leaf message, anonymised) of a day's confirmed signatures, in the
    tree's order: by confirmation time, then id."""
    if connection.vendor == "postgresql":
        state = Signature.State.CONFIRMED.value
        params = (state, _start(day), _start(day + timedelta(days=1)))
        with connection.cursor() as cursor:
            # A day of a million rows sorts in memory, not in temporary files.
            cursor.execute("SET LOCAL work_mem = '256MB'")
        with connection.chunked_cursor() as cursor:
            cursor.execute(DAY_ROWS_SQL, params)
            while rows := cursor.fetchmany(BATCH):
                yield from rows
        return
    rows = _confirmed_on(day).values_list(
        "pk", "canonical_email", "confirmed_at", "anonymised_at"
    )
    # Confirmed rows always have confirmed_at; the ORM types it optional.
    typed = cast(Iterator[tuple[Any, ...]], rows.iterator(chunk_size=BATCH))
    for pk, email, at, anonymised_at in typed:
        yield pk, merkle.leaf_message(pk, email, at), anonymised_at is not None


def _batches(rows: Iterable[tuple], size: int) -> Iterator[list[tuple]]:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _write_leaves(day: date, first: int, leaves: Iterable[tuple[int, bytes]]) -> None:
    """Store leaves (signature id, value) at positions from ``first`` on."""
    if connection.vendor != "postgresql":
        Leaf.objects.bulk_create(
            Leaf(signature_id=pk, day=day, position=first + i, leaf=value.hex())
            for i, (pk, value) in enumerate(leaves)
        )
        return
    # COPY in text form, one write per batch: a million leaves in seconds.
    iso = day.isoformat()
    text = "".join(
        f"{pk}\t{iso}\t{first + i}\t{value.hex()}\n"
        for i, (pk, value) in enumerate(leaves)
    )
    table = Leaf._meta.db_table
    sql = f"COPY {table} (signature_id, day, position, leaf) FROM STDIN"
    with connection.cursor() as cursor, connection.wrap_database_errors:
        with cursor.cursor.copy(sql) as copy:
            copy.write(text)


# Receipts


@dataclass
class ReceiptStatus:
    """What a receipt link leads to: the receipt, when it will be ready, or
    (pending) that it waits for the signature to be confirmed."""

    receipt: dict[str, object] | None = None
    ready_at: datetime | None = None
    pending: bool = False


def receipt_url(signature_id: int) -> str:
    return reverse("actions:receipt", args=[make_receipt_token(signature_id)])


def thanks_receipt(*, thanks_token: str) -> dict[str, object] | None:
    """The receipt link and its readiness for the thanks page of a confirmed
    signer (whose thanks token was checked); None for a bad token."""
    try:
        signature_id = read_thanks_token(thanks_token)
    except signing.BadSignature:
        return None
    status = receipt_status(signature_id=signature_id)
    if status is None:
        return None
    return {"url": receipt_url(signature_id), "ready_at": status.ready_at}


def receipt_from_token(token: str) -> ReceiptStatus | None:
    """The receipt (or its readiness) a receipt link names; None when the
    link is bad or expired or the signature has no receipt. The confirmation
    email carries the link, so a pending signature's is pending."""
    try:
        signature_id = read_receipt_token(token)
    except signing.BadSignature:
        return None
    return receipt_status(signature_id=signature_id, pending_ok=True)


def receipt_status(
    *, signature_id: int, pending_ok: bool = False
) -> ReceiptStatus | None:
    """The receipt of a confirmed signature still held, or when it will be
    ready; with ``pending_ok``, ReceiptStatus(pending=True) for a pending one
    still held. None for any other signature (suspect, invalidated, erased:
    the same as no signature), or one added to a committed day."""
    states = [Signature.State.CONFIRMED]
    if pending_ok:
        states.append(Signature.State.PENDING)
    row = (
        Signature.objects.filter(pk=signature_id, state__in=states, anonymised_at=None)
        .values_list("state", "confirmed_at")
        .first()
    )
    if row is None:
        return None
    state, confirmed_at = row
    if state == Signature.State.PENDING:
        return ReceiptStatus(pending=True)
    if confirmed_at is None:
        return None
    leaf = Leaf.objects.filter(signature_id=signature_id).first()
    if leaf is not None:
        return ReceiptStatus(receipt=build_receipt(leaf))
    day = confirmed_at.astimezone(UTC).date()
    if DailyRoot.objects.filter(day=day).exists():
        return None
    return ReceiptStatus(ready_at=_start(day + timedelta(days=1)) + READY_AFTER)


def build_receipt(leaf: Leaf) -> dict[str, object]:
    """A leaf's receipt: its value, place and path to its day's root."""
    daily = DailyRoot.objects.get(day=leaf.day)
    chunk = leaf.position // merkle.CHUNK
    start = chunk * merkle.CHUNK
    values = Leaf.objects.filter(
        day=leaf.day, position__gte=start, position__lt=start + merkle.CHUNK
    ).order_by("position")
    roots = bytes(daily.chunk_roots)
    chunk_roots = [
        roots[i : i + merkle.HASH_SIZE] for i in range(0, len(roots), merkle.HASH_SIZE)
    ]
    siblings = merkle.receipt_path(
        [bytes.fromhex(v) for v in values.values_list("leaf", flat=True)],
        chunk_roots,
        leaf.position,
    )
    return {
        "kind": checking.RECEIPT_KIND,
        "version": 1,
        "site": settings.SITE_URL,
        "day": leaf.day.isoformat(),
        "leaf": leaf.leaf,
        "position": leaf.position,
        "size": daily.size,
        "path": [sibling.hex() for sibling in siblings],
        "root": daily.root,
    }


# Verifying the roots against the database


@dataclass
class DayCheck:
    """One day as recomputed from the database, against its published root."""

    day: date
    published: str | None
    recomputed: str | None
    size: int = 0
    missing: list[int] = field(default_factory=list)
    added: list[int] = field(default_factory=list)

    @property
    def matches(self) -> bool:
        return self.published == self.recomputed


def verify_days() -> list[DayCheck]:
    """Recompute each committed day's root from the signatures still held
    (the kept leaf for an anonymised one) and check the days in between had
    none; one DayCheck per day checked. Reads only."""
    checks = [_verify_day(daily) for daily in DailyRoot.objects.order_by("day")]
    committed = {check.day for check in checks}
    if committed:
        for day in _days_with_confirmations(None, max(committed)):
            if day not in committed:
                checks.append(_unpublished_day(day))
    return sorted(checks, key=lambda check: check.day)


def _verify_day(daily: DailyRoot) -> DayCheck:
    key = leaf_key()
    kept = dict(Leaf.objects.filter(day=daily.day).values_list("signature_id", "leaf"))
    nodes, held, missing_leaf = [], set(), []
    for pk, message, is_anonymised in _day_rows(daily.day):
        held.add(pk)
        if not is_anonymised:
            value = merkle.message_value(key, message)
        elif pk in kept:
            value = bytes.fromhex(kept[pk])
        else:
            missing_leaf.append(pk)
            continue
        nodes.append(merkle.leaf_node(value))
    return DayCheck(
        day=daily.day,
        published=daily.root,
        recomputed=merkle.fold(nodes).hex() if nodes else None,
        size=len(nodes),
        missing=sorted(set(kept) - held),
        added=sorted((held - set(kept)) | set(missing_leaf)),
    )


def _unpublished_day(day: date) -> DayCheck:
    added = list(_confirmed_on(day).values_list("pk", flat=True))
    return DayCheck(
        day=day, published=None, recomputed="", size=len(added), added=added
    )
