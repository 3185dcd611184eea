"""Where strings occur in the database: every column of every table."""

from django.db import connection


def _columns() -> dict[str, list[str]]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.table_name, c.column_name "
                "FROM information_schema.columns c "
                "JOIN information_schema.tables t "
                "ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
                "WHERE c.table_schema = current_schema() "
                "AND t.table_type = 'BASE TABLE' "
                "ORDER BY c.table_name, c.ordinal_position"
            )
            rows = cursor.fetchall()
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
            tables = [name for (name,) in cursor.fetchall()]
            rows = []
            for table in tables:
                cursor.execute(f"PRAGMA table_info({connection.ops.quote_name(table)})")
                rows += [(table, column[1]) for column in cursor.fetchall()]
    columns: dict[str, list[str]] = {}
    for table, column in rows:
        columns.setdefault(table, []).append(column)
    return columns


def occurrences(needles: list[str]) -> dict[str, dict[str, int]]:
    """For each string, the table.column where it occurs (case folded) and in
    how many rows; every column is read as text, whatever its type."""
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        contains = "POSITION(LOWER(%s) IN LOWER(CAST({} AS TEXT))) > 0"
    else:
        contains = "INSTR(LOWER(CAST({} AS TEXT)), LOWER(%s)) > 0"
    found: dict[str, dict[str, int]] = {needle: {} for needle in needles}
    with connection.cursor() as cursor:
        for table, columns in _columns().items():
            pairs = [(column, needle) for column in columns for needle in needles]
            sums = ", ".join(
                f"SUM(CASE WHEN {contains.format(quote(column))} THEN 1 ELSE 0 END)"
                for column, _ in pairs
            )
            cursor.execute(f"SELECT {sums} FROM {quote(table)}", [n for _, n in pairs])
            for (column, needle), hits in zip(pairs, cursor.fetchone(), strict=True):
                if hits:
                    found[needle][f"{table}.{column}"] = hits
    return found


def tables_scanned() -> int:
    return len(_columns())
