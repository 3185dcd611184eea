"""Export rows written as CSV or XLSX, in memory that does not grow with them."""

import csv
import io
import os
from collections.abc import Callable, Generator, Iterator
from datetime import UTC, datetime
from typing import BinaryIO

from django.db import connections, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet._writer import ALL_TEMP_FILES

from actions.exports.query import COLUMNS, Column, export_rows, headers
from actions.models import Signature

# Excel reads a UTF-8 CSV as UTF-8 only when it starts with a byte-order mark;
# names in Khmer or Burmese would otherwise turn to mojibake.
BOM = "\ufeff"
CHUNK_BYTES = 256 * 1024
ITERATOR_CHUNK = 2000
# A sheet holds 1,048,576 rows, one of them the header.
XLSX_MAX_ROWS = 1_048_575

Progress = Callable[[int], None]


class TooManyRows(Exception):
    """More rows than the format can hold."""


def csv_chunks(
    queryset: QuerySet[Signature], *, columns: list[Column] = COLUMNS
) -> Generator[tuple[bytes, int], None, None]:
    """The export as CSV: pieces of about CHUNK_BYTES, each with its row count.

    PostgreSQL writes the rows itself (COPY of the export query, cells already
    neutralised and formatted by it, lines ending in LF); other databases go
    through a cursor and Python's writer (lines ending in CRLF: with LF alone,
    Python 3.12 leaves a CR inside a cell unquoted).
    """
    if connections[queryset.db].vendor == "postgresql":
        yield _header("\n", columns), 0
        yield from _copied_chunks(queryset, columns)
    else:
        yield _header("\r\n", columns), 0
        yield from _written_chunks(queryset, columns)


def _header(lineterminator: str, columns: list[Column]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=lineterminator).writerow(headers(columns))
    return (BOM + buffer.getvalue()).encode()


def _copied_chunks(
    queryset: QuerySet[Signature], columns: list[Column]
) -> Iterator[tuple[bytes, int]]:
    rows = export_rows(queryset, typed=False, columns=columns)
    sql, params = rows.query.sql_with_params()
    statement = f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)"
    with transaction.atomic(using=rows.db), connections[rows.db].cursor() as cursor:
        cursor.execute("SET LOCAL DateStyle TO 'ISO, YMD'")  # see UtcText
        with cursor.cursor.copy(statement, params) as copy:
            pieces, size = [], 0
            for row in copy:  # libpq hands over one row at a time
                pieces.append(row)
                size += len(row)
                if size >= CHUNK_BYTES:
                    yield b"".join(pieces), len(pieces)
                    pieces, size = [], 0
            if pieces:
                yield b"".join(pieces), len(pieces)


def _written_chunks(
    queryset: QuerySet[Signature], columns: list[Column]
) -> Iterator[tuple[bytes, int]]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    count = 0
    rows = export_rows(queryset, typed=False, columns=columns)
    for row in rows.iterator(chunk_size=ITERATOR_CHUNK):
        writer.writerow(row)
        count += 1
        if buffer.tell() >= CHUNK_BYTES:
            yield buffer.getvalue().encode(), count
            buffer.seek(0)
            buffer.truncate()
            count = 0
    if count:
        yield buffer.getvalue().encode(), count


def write_csv(
    queryset: QuerySet[Signature],
    file: BinaryIO,
    *,
    progress: Progress | None = None,
    columns: list[Column] = COLUMNS,
) -> int:
    """Write the export as CSV to a binary file; the number of rows."""
    total = 0
    for data, rows in csv_chunks(queryset, columns=columns):
        file.write(data)
        total += rows
        if progress and rows:
            progress(total)
    return total


def write_xlsx(
    queryset: QuerySet[Signature],
    file: BinaryIO | str,
    *,
    progress: Progress | None = None,
    columns: list[Column] = COLUMNS,
) -> int:
    """Write the export as one XLSX sheet; the number of rows.

    A write-only workbook streams rows to a temporary file, so memory stays
    flat. The sheet is named, its header bold, frozen above the rows and
    filtered. Raises TooManyRows past what a sheet can hold.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=gettext("Signatures"))
    # Written with the sheet's top, before any row: set first.
    sheet.freeze_panes = "A2"
    sheet.append(_header_cells(sheet, columns))
    total = 0
    rows = export_rows(queryset, typed=True, columns=columns)
    try:
        for row in rows.iterator(chunk_size=ITERATOR_CHUNK):
            total += 1
            if total > XLSX_MAX_ROWS:
                raise TooManyRows(total)
            sheet.append([_xlsx_cell(value) for value in row])
            if progress and total % ITERATOR_CHUNK == 0:
                progress(total)
    except BaseException:
        _discard(sheet)
        raise
    # Written with the sheet's tail, on saving: the filter spans every row.
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{total + 1}"
    workbook.save(file)
    if progress:
        progress(total)
    return total


def _header_cells(sheet: WriteOnlyWorksheet, columns: list[Column]) -> list[Cell]:
    bold = Font(bold=True)
    cells = []
    for header in headers(columns):
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = bold
        cells.append(cell)
    return cells


def _discard(sheet: WriteOnlyWorksheet) -> None:
    # The rows so far sit in a temporary file that openpyxl removes on save or
    # at exit: a worker lives long, and the rows are personal data.
    sheet.close()
    # openpyxl's private writer, which its stubs do not declare.
    path = sheet._writer.out  # type: ignore[attr-defined]
    if path in ALL_TEMP_FILES:
        ALL_TEMP_FILES.remove(path)
    os.remove(path)


def _xlsx_cell(value: object) -> object:
    if isinstance(value, str):
        # Control characters make the file unreadable; the signing form drops
        # them, older rows or other paths may not have.
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    if isinstance(value, datetime):
        # Excel has no time zones; the header says UTC.
        return value.astimezone(UTC).replace(tzinfo=None, microsecond=0)
    return value
