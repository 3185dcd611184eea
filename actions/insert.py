"""Inserting a new signature with its confirmation email and its consent
record: all or none, in one statement on PostgreSQL.

Every signature pays one round trip to the database instead of five (begin,
three inserts, commit), and the database itself checks that the petition is
open in the same statement (the condition is PetitionQuerySet.open(), compiled
to SQL, not copied). ``SIGNING_SINGLE_STATEMENT=0`` turns this off: the plain
path (the inserts in one transaction, as on SQLite) runs instead.
"""

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from actions.consent.models import ConsentRecord, ConsentWording
from actions.models import Petition, PetitionQuerySet, Signature
from actions.outbox.models import OutboundEmail


def insert_new_signature(
    signature: Signature, outbound: OutboundEmail | None, record: ConsentRecord
) -> tuple[bool, bool, bool]:
    """Insert a new signature, its confirmation email (a suspect signature has
    none) and its consent record, all or none; whether the signature was
    inserted, its record, and, when not inserted, whether that is because the
    address had signed the open petition (read in the same statement on
    PostgreSQL, so a known address costs no extra query: see
    actions.services, "the same time").

    Not inserted when the address signed already or the petition is not open
    at this instant. On PostgreSQL the rows go in one statement (unless
    SIGNING_SINGLE_STATEMENT is off). The record is not inserted only if the
    wording row a process cached has gone (its database was reset, as between
    tests).
    """
    if signature.petition.sensitive:
        # At-risk signers: screening used the client hash; it is not stored.
        signature.client_hash = ""
    insert_signature, params = _insert_signature_sql(signature)
    assert record.wording is not None  # consent.signing_record sets it
    wording = [record.wording.text_hash]
    single = connection.vendor == "postgresql" and settings.SIGNING_SINGLE_STATEMENT
    with connection.cursor() as cursor:
        if not single:
            with transaction.atomic():
                cursor.execute(insert_signature, params)
                if (row := cursor.fetchone()) is None:
                    return False, False, _signed_before(signature)
                signature.pk, signature._state.adding = row[0], False
                record.signature = signature
                if outbound is not None:
                    outbound.signature = signature
                    outbound.save(force_insert=True)
                record_sql, record_params = _insert_record_sql(record, signature="%s")
                cursor.execute(record_sql, [*record_params, signature.pk, *wording])
            return True, cursor.rowcount == 1, False
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
        # One row either way; the EXISTS sees the table as it was before, and
        # runs only when nothing was inserted (CASE evaluates lazily).
        signed_before_sql, signed_before_params = _signed_before_sql(signature)
        cursor.execute(
            f"WITH {', '.join(ctes)} "
            f"SELECT s.id, {email_id}, (SELECT count(*) FROM new_record), "
            f"CASE WHEN s.id IS NULL THEN {signed_before_sql} END "
            "FROM (SELECT 1) one LEFT JOIN new_signature s ON true",
            [*args, *record_params, *wording, *signed_before_params],
        )
        row = cursor.fetchone()
        if row is None or row[0] is None:
            return False, False, bool(row and row[3])
    signature.pk, email_pk, recorded, _ = row
    signature._state.adding = False
    record.signature = signature
    if outbound is not None:
        outbound.pk, outbound.signature = email_pk, signature
        outbound._state.adding = False
    return True, recorded == 1, False


def _signed_before_sql(signature: Signature) -> tuple[str, list[Any]]:
    """SQL of whether the signature's address signed its petition already,
    the petition being open (the insert's own condition, read again)."""
    quote = connection.ops.quote_name
    insert_sql, template = _signature_statement(
        connection.vendor, PetitionQuerySet.open
    )
    # The condition the insert is compiled with (see _signature_statement).
    after_where = insert_sql.partition(" WHERE EXISTS (")[2]
    open_sql = after_where.rpartition(") ON CONFLICT")[0]
    sql = (
        f"(EXISTS (SELECT 1 FROM {quote(Signature._meta.db_table)} "
        f"WHERE petition_id = %s AND canonical_email = %s) AND EXISTS ({open_sql}))"
    )
    return sql, [
        signature.petition_id,
        signature.canonical_email,
        *_open_params(signature, template),
    ]


def _signed_before(signature: Signature) -> bool:
    return (
        Signature.objects.filter(
            petition=signature.petition_id, canonical_email=signature.canonical_email
        ).exists()
        and Petition.objects.open().filter(pk=signature.petition_id).exists()
    )


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
        "signature_id, wording_id) "
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
    sql, template = _signature_statement(connection.vendor, PetitionQuerySet.open)
    fields = _insert_fields(Signature)
    return sql, [*_values(signature, fields), *_open_params(signature, template)]


def _open_params(
    signature: Signature, template: tuple[tuple[str | None, Any], ...]
) -> list[Any]:
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    stand_ins: dict[str | None, Any] = {_NOW: now, _PETITION: signature.petition_id}
    return [stand_ins.get(key, value) for key, value in template]


# Stand-ins for what changes from one signature to the next, so that the
# statement is compiled once per process (the ORM's compiler costs about half
# a millisecond per signature otherwise) and from the one definition of "open".
_NOW_STAND_IN = datetime(2000, 1, 1, tzinfo=UTC)
_PETITION_STAND_IN = -7_777_777
_NOW, _PETITION = "now", "petition"


@lru_cache(maxsize=8)
def _signature_statement(
    vendor: str, definition: object
) -> tuple[str, tuple[tuple[str | None, Any], ...]]:
    """The insert's SQL for this database and this definition of "open", and
    its open-condition parameters, each marked with the stand-in it holds."""
    quote = connection.ops.quote_name
    fields = _insert_fields(Signature)
    is_open = (
        Petition.objects.open(now=_NOW_STAND_IN)
        .filter(pk=_PETITION_STAND_IN)
        .values("pk")
    )
    open_sql, open_params = is_open.query.sql_with_params()
    marks = {
        connection.ops.adapt_datetimefield_value(_NOW_STAND_IN): _NOW,
        _PETITION_STAND_IN: _PETITION,
    }
    sql = (
        f"INSERT INTO {quote(Signature._meta.db_table)} "
        f"({', '.join(quote(str(f.column)) for f in fields)}) "
        f"SELECT {', '.join(['%s'] * len(fields))} "
        f"WHERE EXISTS ({open_sql}) "
        f"ON CONFLICT (petition_id, canonical_email) DO NOTHING RETURNING id"
    )
    return sql, tuple((marks.get(value), value) for value in open_params)


def _insert_fields(model: type[models.Model]) -> list[models.Field]:
    """The columns an INSERT of this model writes (all but the id)."""
    return [f for f in model._meta.concrete_fields if not f.primary_key]


def _values(obj: models.Model, fields: list[models.Field]) -> list[Any]:
    """The values of obj for those columns, as the database takes them."""
    return [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
