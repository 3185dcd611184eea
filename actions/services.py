"""Workflows of the actions app: signing, confirming, counting, the outbox."""

import logging
import random
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db import connection, models, transaction
from django.utils import timezone

from actions.abuse import screening
from actions.models import (
    COUNT_SHARDS,
    ConsentRecord,
    ConsentWording,
    OutboundEmail,
    Petition,
    PetitionCounter,
    Signature,
)
from actions.privacy import consent

logger = logging.getLogger(__name__)

CONFIRM_SALT = "actions.signature.confirm"
# Providers that ignore dots in the local part and deliver "+tag" to the same box.
DOTLESS_DOMAINS = {"gmail.com", "googlemail.com"}
PLUS_TAG_DOMAINS = DOTLESS_DOMAINS | {
    "outlook.com",
    "hotmail.com",
    "live.com",
    "protonmail.com",
    "proton.me",
    "fastmail.com",
    "icloud.com",
}


class PetitionClosed(Exception):
    """The petition does not accept signatures any more."""


def canonical_email(email: str) -> str:
    """The form of an address that identifies one mailbox.

    Case is folded everywhere; dots and "+tags" are folded where the provider
    ignores them, so one person cannot sign twice by decorating an address.
    """
    local, _, domain = email.strip().casefold().rpartition("@")
    if domain == "googlemail.com":
        domain = "gmail.com"
    if domain in PLUS_TAG_DOMAINS:
        local = local.split("+", 1)[0]
    if domain in DOTLESS_DOMAINS:
        local = local.replace(".", "")
    return f"{local}@{domain}"


def sign_petition(
    *,
    petition: Petition,
    first_name: str,
    last_name: str,
    email: str,
    country: str,
    wants_updates: bool,
    consent_wording: ConsentWording,
    source: str = "",
    client_ip: str = "",
    honeypot: str = "",
    fill_seconds: float | None = None,
) -> Signature:
    """Record a pending signature, the updates box's answer beside the wording
    shown, and queue the right email.

    Signing again is not an error and looks the same: a pending signature gets
    its confirmation again, a confirmed one an "already signed" note, up to the
    per-signature cap. An attempt that screening finds suspect (actions.abuse;
    ``fill_seconds`` is None when it did not come through the form) looks the
    same too, but is kept as suspect and emails no one. Raises PetitionClosed
    if the petition is not open.
    """
    if not petition.is_open:
        raise PetitionClosed
    canonical = canonical_email(email)
    screened = screening.screen(
        petition=petition,
        client_ip=client_ip,
        email=canonical,
        honeypot=honeypot,
        fill_seconds=fill_seconds,
    )
    signature = Signature(
        petition=petition,
        first_name=first_name,
        last_name=last_name,
        email=email,
        canonical_email=canonical,
        country=country,
        wants_updates=wants_updates,
        consent_version=str(consent_wording.version) if wants_updates else "",
        source=source,
        client_hash=screened.client_hash,
        emails_queued=0 if screened.reason else 1,
        **_suspect_fields(screened.reason),
    )
    outbound = None
    if not screened.reason:
        outbound = OutboundEmail(
            kind=OutboundEmail.Kind.CONFIRM, to_email=email, signature=signature
        )
    record = consent.signing_record(
        wants_updates=wants_updates, wording=consent_wording
    )
    inserted, recorded = _insert_new_signature(signature, outbound, record)
    if inserted:
        if not recorded:
            consent.record_signing_again(signature=signature, record=record)
        if outbound is not None:
            transaction.on_commit(lambda: enqueue_email(outbound.pk), robust=True)
        return signature
    return _sign_again(
        petition=petition, canonical=canonical, suspect=bool(screened.reason)
    )


def _suspect_fields(reason: str) -> dict[str, object]:
    if not reason:
        return {}
    return {
        "state": Signature.State.SUSPECT,
        "suspect_reason": reason,
        "suspected_at": timezone.now(),
    }


@transaction.atomic
def _sign_again(*, petition: Petition, canonical: str, suspect: bool) -> Signature:
    """The address signed already: send its owner the right email, up to the cap.

    Nothing is sent, and nothing changes, when this attempt or the signature
    on record is suspect, or the signature was invalidated: a script cannot
    mail-bomb or discredit a real signer, and a suspect signature stays one.
    Raises PetitionClosed if it was the petition's state that stopped the insert.
    """
    signature = Signature.objects.filter(
        petition=petition, canonical_email=canonical
    ).first()
    if signature is None or not Petition.objects.open().filter(pk=petition.pk):
        raise PetitionClosed  # closed since the caller looked it up
    if not suspect and _may_email(signature) and signature.reserve_email():
        # The owner of the address gets the email, whoever typed it this time.
        queue_email(
            kind=_reply_kind(signature), to_email=signature.email, signature=signature
        )
    return signature


def _may_email(signature: Signature) -> bool:
    """Whether signing again may bring this signature's owner an email."""
    return signature.state in {Signature.State.PENDING, Signature.State.CONFIRMED}


def _insert_new_signature(
    signature: Signature, outbound: OutboundEmail | None, record: ConsentRecord
) -> tuple[bool, bool]:
    """Insert a new signature, its confirmation email (a suspect signature has
    none) and its consent record, all or none; whether the signature was
    inserted, and its record.

    Not inserted when the address signed already or the petition is not open
    at this instant. On PostgreSQL the rows go in one statement: every
    signature pays one round trip to the database instead of five (begin,
    three inserts, commit). The record is not inserted only if the wording
    row a process cached has gone (its database was reset, as between tests).
    """
    insert_signature, params = _insert_signature_sql(signature)
    assert record.wording is not None  # consent.signing_record sets it
    wording = [record.wording.text_hash]
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            with transaction.atomic():
                cursor.execute(insert_signature, params)
                if (row := cursor.fetchone()) is None:
                    return False, False
                signature.pk, signature._state.adding = row[0], False
                record.signature = signature
                if outbound is not None:
                    outbound.signature = signature
                    outbound.save(force_insert=True)
                record_sql, record_params = _insert_record_sql(record, signature="%s")
                cursor.execute(record_sql, [*record_params, signature.pk, *wording])
            return True, cursor.rowcount == 1
        record_sql, record_params = _insert_record_sql(
            record, signature="s.id", source="new_signature s, "
        )
        ctes, args, email_id = (
            [f"new_signature AS ({insert_signature})"],
            params,
            "NULL",
        )
        if outbound is not None:
            email_sql, email_params = _insert_email_sql(outbound)
            ctes.append(f"new_email AS ({email_sql} RETURNING id)")
            args, email_id = [*args, *email_params], "(SELECT id FROM new_email)"
        ctes.append(f"new_record AS ({record_sql} RETURNING id)")
        # Data-modifying CTEs all run, referenced by the final SELECT or not.
        cursor.execute(
            f"WITH {', '.join(ctes)} "
            f"SELECT id, {email_id}, (SELECT count(*) FROM new_record) "
            f"FROM new_signature",
            [*args, *record_params, *wording],
        )
        if (row := cursor.fetchone()) is None:
            return False, False
    signature.pk, email_pk, recorded = row
    signature._state.adding = False
    record.signature = signature
    if outbound is not None:
        outbound.pk, outbound.signature = email_pk, signature
        outbound._state.adding = False
    return True, recorded == 1


def _insert_email_sql(outbound: OutboundEmail) -> tuple[str, list[Any]]:
    """INSERT ... SELECT of the confirmation email of the signature the
    new_signature CTE inserted (of none when it inserted none)."""
    quote = connection.ops.quote_name
    fields = [f for f in _insert_fields(OutboundEmail) if f.name != "signature"]
    sql = (
        f"INSERT INTO {quote(OutboundEmail._meta.db_table)} "
        f"({', '.join(quote(str(f.column)) for f in fields)}, signature_id) "
        f"SELECT {', '.join(['%s'] * len(fields))}, id FROM new_signature"
    )
    return sql, _values(outbound, fields)


def _insert_record_sql(
    record: ConsentRecord, *, signature: str, source: str = ""
) -> tuple[str, list[Any]]:
    """INSERT ... SELECT of a signing's consent record; the caller adds the
    parameters of ``signature`` (the SQL of its id) and the wording's hash.

    The wording's id is read by its hash in the same statement, so a cached
    row that no longer exists inserts nothing rather than failing.
    """
    quote = connection.ops.quote_name
    skip = {"signature", "wording"}
    fields = [f for f in _insert_fields(ConsentRecord) if f.name not in skip]
    sql = (
        f"INSERT INTO {quote(ConsentRecord._meta.db_table)} "
        f"({', '.join(quote(str(f.column)) for f in fields)}, "
        f"signature_id, wording_id) "
        f"SELECT {', '.join(['%s'] * len(fields))}, {signature}, w.id "
        f"FROM {source}{quote(ConsentWording._meta.db_table)} w "
        f"WHERE w.text_hash = %s"
    )
    return sql, _values(record, fields)


def _insert_signature_sql(signature: Signature) -> tuple[str, list[Any]]:
    """INSERT ... RETURNING id for a new signature, adding nothing when the
    address signed already or the petition is not open.

    The database checks the petition's state in the same statement, so a
    petition closed a moment ago refuses the signature even when the caller
    holds a stale copy; ON CONFLICT settles a race between two submissions of
    one address without a savepoint.
    """
    quote = connection.ops.quote_name
    fields = _insert_fields(Signature)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    sql = (
        f"INSERT INTO {quote(Signature._meta.db_table)} "
        f"({', '.join(quote(str(f.column)) for f in fields)}) "
        f"SELECT {', '.join(['%s'] * len(fields))} "
        f"WHERE EXISTS (SELECT 1 FROM {quote(Petition._meta.db_table)} "
        # Mirrors PetitionQuerySet.open().
        f"WHERE id = %s AND state = %s AND opens_at <= %s "
        f"AND (closes_at IS NULL OR closes_at > %s)) "
        f"ON CONFLICT (petition_id, canonical_email) DO NOTHING RETURNING id"
    )
    open_params = [signature.petition_id, Petition.State.OPEN, now, now]
    return sql, [*_values(signature, fields), *open_params]


def _insert_fields(model: type[models.Model]) -> list[models.Field]:
    """The columns an INSERT of this model writes (all but the id)."""
    return [f for f in model._meta.concrete_fields if not f.primary_key]


def _values(obj: models.Model, fields: list[models.Field]) -> list[Any]:
    """The values of obj for those columns, as the database takes them."""
    return [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]


def _reply_kind(signature: Signature) -> str:
    if signature.state == Signature.State.CONFIRMED:
        return OutboundEmail.Kind.ALREADY_SIGNED
    return OutboundEmail.Kind.CONFIRM


def queue_email(
    *, kind: str, to_email: str, signature: Signature | None = None
) -> OutboundEmail:
    """Write an outbox row and enqueue its delivery once the transaction commits."""
    outbound = OutboundEmail.objects.create(
        kind=kind, to_email=to_email, signature=signature
    )
    transaction.on_commit(lambda: enqueue_email(outbound.pk), robust=True)
    return outbound


def enqueue_email(outbound_email_id: int) -> bool:
    """Hand a row to Celery. False if the broker is unreachable.

    The row is already committed, so a broker outage only delays the email:
    the beat sweeper enqueues it again. Signing must never fail on this.
    """
    from actions.tasks import send_email

    try:
        send_email.delay(outbound_email_id)
    except Exception:  # kombu raises several unrelated types when Redis is down
        logger.warning(
            "Broker unavailable; email %s left for the sweeper", outbound_email_id
        )
        return False
    return True


def make_confirmation_token(signature: Signature) -> str:
    return signing.dumps(signature.pk, salt=CONFIRM_SALT, compress=False)


def signature_from_token(token: str) -> Signature:
    """The signature a confirmation token names.

    Raises signing.SignatureExpired, signing.BadSignature or
    Signature.DoesNotExist.
    """
    pk = signing.loads(token, salt=CONFIRM_SALT, max_age=settings.CONFIRMATION_MAX_AGE)
    # An erased signature is not confirmed after the fact: counts stay as they were.
    return Signature.objects.select_related("petition").get(pk=pk, anonymised_at=None)


@transaction.atomic
def confirm_signature(*, signature: Signature) -> bool:
    """Confirm a signature and count it. Safe to repeat: False the second time."""
    if not signature.confirm():
        return False
    add_to_count(petition_id=signature.petition_id, delta=1)
    # The supporter's next page shows their signature counted.
    forget_count(petition_id=signature.petition_id)
    return True


def add_to_count(*, petition_id: int, delta: int) -> None:
    """Add delta to a petition's confirmed count; call inside the transaction
    that changes the signatures it counts."""
    # An upsert on a random shard: no hot row, and shards appear as needed.
    table = connection.ops.quote_name(PetitionCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (petition_id, shard, confirmed) VALUES (%s, %s, %s) "
            f"ON CONFLICT (petition_id, shard) "
            f"DO UPDATE SET confirmed = {table}.confirmed + EXCLUDED.confirmed",
            [petition_id, random.randrange(COUNT_SHARDS), delta],
        )


def forget_count(*, petition_id: int) -> None:
    """Drop the cached count once the transaction that changed it commits."""
    key = _count_key(petition_id)
    transaction.on_commit(lambda: cache.delete(key), robust=True)


def _count_key(petition_id: int) -> str:
    return f"petition-count:{petition_id}"


def confirmed_counts(petition_ids: Iterable[int]) -> dict[int, int]:
    """Confirmed counts, at most COUNT_CACHE_SECONDS old, for these petitions."""
    petition_ids = list(petition_ids)
    keys = {_count_key(pk): pk for pk in petition_ids}
    try:
        cached = cache.get_many(keys)
    except Exception:  # a cache outage must not take the page down
        cached = {}
    counts = {keys[key]: value for key, value in cached.items()}
    missing = [pk for pk in petition_ids if pk not in counts]
    if missing:
        fresh = dict.fromkeys(missing, 0)
        rows = PetitionCounter.objects.filter(petition_id__in=missing)
        for petition_id, confirmed in rows.values_list("petition_id", "confirmed"):
            fresh[petition_id] += confirmed
        counts.update(fresh)
        try:
            cache.set_many(
                {_count_key(pk): n for pk, n in fresh.items()},
                settings.COUNT_CACHE_SECONDS,
            )
        except Exception:
            logger.warning("Count cache unavailable")
    return counts


def resend_confirmation(*, petition: Petition, email: str) -> None:
    """Send the right email again to whoever owns this address, if they signed.

    Says nothing about whether they did: the caller shows the same page.
    """
    signature = Signature.objects.filter(
        petition=petition, canonical_email=canonical_email(email)
    ).first()
    if signature is None or not _may_email(signature):
        return
    with transaction.atomic():
        if not signature.reserve_email():
            return
        queue_email(
            kind=_reply_kind(signature), to_email=signature.email, signature=signature
        )


def requeue_stale_emails() -> int:
    """Enqueue outbox rows whose task was lost; return how many.

    Rows due for a while and still queued never reached a worker (broker down
    at signing time, or the broker lost them). Rows "sending" for too long
    belong to a worker that died mid-send and go back to the queue. Repeat-safe:
    a worker claims a row once, however many tasks name it.
    """
    now = timezone.now()
    OutboundEmail.objects.filter(
        state=OutboundEmail.State.SENDING,
        sending_at__lt=now - timedelta(seconds=settings.OUTBOX_STALE_SENDING_AFTER),
    ).update(state=OutboundEmail.State.QUEUED)  # its due time is past: sent below
    stale = OutboundEmail.objects.filter(
        state=OutboundEmail.State.QUEUED,
        next_attempt_at__lt=now - timedelta(seconds=settings.OUTBOX_REQUEUE_AFTER),
    ).values_list("pk", flat=True)
    requeued = 0
    while batch := list(stale[:500]):
        enqueued = [pk for pk in batch if enqueue_email(pk)]
        # Pushed forward, so a backlog is not enqueued again at every sweep.
        OutboundEmail.objects.filter(pk__in=batch).update(next_attempt_at=now)
        requeued += len(enqueued)
        if len(enqueued) < len(batch):
            break  # the broker is down; the next sweep tries again
    return requeued
