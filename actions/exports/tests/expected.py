"""What an export must contain, worked out from the rows independently of the
export's own query, and readers that parse its files back."""

import csv
import io
import unicodedata
from datetime import UTC, datetime

from openpyxl import load_workbook

from actions.models import Signature

HEADERS = [
    "signature",
    "petition",
    "first name",
    "last name",
    "email",
    "country",
    "state",
    "signed at (UTC)",
    "confirmed at (UTC)",
    "wants updates",
    "consent wording version",
    "source",
]


def safe(text: str) -> str:
    """With a quote in front if it opens as a formula may, after white space
    or control characters a spreadsheet may trim."""
    first = text[:1]
    risky = first in "=+-@\uff1d\uff0b\uff0d\uff20" or (
        first.isspace() or unicodedata.category(first or "a") == "Cc"
    )
    return "'" + text if first and risky else text


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None, microsecond=0)


def expected_cells(signature: Signature) -> list[object]:
    """The typed cells: what an XLSX sheet holds for this signature."""
    return [
        signature.pk,
        safe(signature.petition.slug),
        safe(signature.first_name),
        safe(signature.last_name),
        safe(signature.email),
        signature.country.code,
        signature.state,
        _utc(signature.created_at),
        _utc(signature.confirmed_at),
        signature.wants_updates,
        safe(signature.consent_version),
        safe(signature.source),
    ]


def as_text(cell: object) -> str:
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, datetime):
        return cell.strftime("%Y-%m-%d %H:%M:%S")
    return str(cell)


def expected_csv_rows(queryset) -> list[list[str]]:  # noqa: ANN001
    signatures = queryset.select_related("petition").order_by("pk")
    return [[as_text(c) for c in expected_cells(s)] for s in signatures]


def expected_xlsx_rows(queryset) -> list[list[object]]:  # noqa: ANN001
    """A sheet has no empty strings (an empty cell reads back as None), and XML
    reads a carriage return in a cell as a line feed."""
    signatures = queryset.select_related("petition").order_by("pk")
    return [[_as_in_sheet(c) for c in expected_cells(s)] for s in signatures]


def _as_in_sheet(cell: object) -> object:
    if isinstance(cell, str):
        return cell.replace("\r", "\n") or None
    return cell


def read_csv(data: bytes) -> tuple[list[str], list[list[str]]]:
    """Header and rows of an export; it must start with a UTF-8 BOM."""
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    return rows[0], rows[1:]


def read_xlsx(file) -> tuple[list[object], list[list[object]]]:  # noqa: ANN001
    sheet = load_workbook(file, read_only=True).worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    return rows[0], rows[1:]
