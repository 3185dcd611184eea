"""The whole database as a row count and a checksum per table: equal before
and after a request means the request changed no row anywhere."""

import hashlib

from django.db import connection


def database_snapshot(*, exclude: list[str] = ()) -> dict[str, tuple[int, str]]:
    """Every table's row count and a checksum of its rows, in any order; the
    tables named in ``exclude`` left out."""
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        return {
            table: _table_state(cursor, table)
            for table in tables
            if table not in exclude
        }


def _table_state(cursor, table: str) -> tuple[int, str]:  # noqa: ANN001
    name = connection.ops.quote_name(table)
    if connection.vendor == "postgresql":
        # Rows as text, hashed in the database: one query per table.
        cursor.execute(
            "SELECT count(*), coalesce(md5(string_agg(md5(t::text), '' "
            f"ORDER BY md5(t::text))), '') FROM {name} AS t"
        )
        count, digest = cursor.fetchone()
        return count, digest
    cursor.execute(f"SELECT * FROM {name}")
    rows = sorted(repr(row) for row in cursor.fetchall())
    return len(rows), hashlib.md5("\n".join(rows).encode()).hexdigest()


def changed_tables(
    before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]]
) -> dict[str, tuple]:
    """The tables whose rows differ, with their (count, checksum) before and after."""
    return {
        table: (before.get(table), after.get(table))
        for table in sorted(set(before) | set(after))
        if before.get(table) != after.get(table)
    }
