"""Property-based tests of the export writers: arbitrary text in every exported
field comes back from the file as it was (a quote in front at most), row for
row, and no cell is one a spreadsheet would run as a formula.

On PostgreSQL the CSV is the database's own COPY output, neutralised in SQL;
elsewhere Python's csv writer. The XLSX goes through openpyxl on both.
"""

import io
import re
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from actions.exports.tests.expected import HEADERS, read_csv, read_xlsx
from actions.exports.writers import write_csv, write_xlsx
from actions.models import Petition, Signature
from actions.tests.strategies import runs_as_formula, text

pytestmark = pytest.mark.django_db

# Exported text fields, with the length their column holds.
TEXT_FIELDS = {
    "first_name": 100,
    "last_name": 100,
    "email": 254,
    "source": 60,
    "consent_version": 40,
}
# Where each exported text sits in a row (see HEADERS).
COLUMNS = {
    "slug": 1,
    "first_name": 2,
    "last_name": 3,
    "email": 4,
    "consent_version": 10,
    "source": 11,
}
FORMULA_ELEMENT = re.compile(rb"<f[ >]")

rows = st.lists(
    st.fixed_dictionaries(
        {name: text(max_size=min(size, 30)) for name, size in TEXT_FIELDS.items()}
        | {
            "country": st.sampled_from(["KH", "MM", "FR"]),
            "wants_updates": st.booleans(),
        }
    ),
    max_size=5,
)
# What an admin's slug field accepts; "-5" is a slug too.
slugs = st.from_regex(r"[-_]?[a-z0-9][-a-z0-9_]{0,20}", fullmatch=True)
examples = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


def _store(petition: Petition, slug: str, rows: list[dict]) -> list[Signature]:
    """These rows as the petition's only signatures, in export order."""
    Signature.objects.all().delete()
    Petition.objects.filter(pk=petition.pk).update(slug=slug)
    petition.slug = slug
    return Signature.objects.bulk_create(
        Signature(petition=petition, canonical_email=f"{n}@example.org", **row)
        for n, row in enumerate(rows)
    )


def _texts(signature: Signature) -> dict[str, str]:
    return {"slug": signature.petition.slug} | {
        name: getattr(signature, name) for name in TEXT_FIELDS
    }


def _assert_kept(cell: str, value: str, where: str) -> None:
    """The cell is the value, or the value behind a quote; and never a formula."""
    assert cell in {value, "'" + value}, where
    assert not runs_as_formula(cell), where


def _export(writer, petition, slug, rows) -> tuple[list[Signature], bytes]:
    """Store the rows, export them with writer; the signatures and the file."""
    signatures = _store(petition, slug, rows)
    file = io.BytesIO()
    written = writer(Signature.objects.order_by("pk"), file)
    assert written == len(rows)
    return signatures, file.getvalue()


@examples
@given(slug=slugs, rows=rows)
def test_the_csv_gives_back_every_row_and_runs_no_formula(petition, slug, rows):
    signatures, data = _export(write_csv, petition, slug, rows)

    header, body = read_csv(data)
    assert header == HEADERS
    assert len(body) == len(rows)
    for signature, cells in zip(signatures, body, strict=True):
        assert cells[0] == str(signature.pk)
        for name, value in _texts(signature).items():
            _assert_kept(cells[COLUMNS[name]], value, f"{name}={value!r}")


def _in_a_sheet(value: str) -> str:
    """What a sheet can hold of a text: no control characters, and XML reads
    any line break as a line feed."""
    held = ILLEGAL_CHARACTERS_RE.sub("", value)
    return held.replace("\r\n", "\n").replace("\r", "\n")


@examples
@given(slug=slugs, rows=rows)
def test_the_xlsx_gives_back_every_row_and_holds_no_formula(petition, slug, rows):
    signatures, data = _export(write_xlsx, petition, slug, rows)

    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    assert not FORMULA_ELEMENT.search(sheet_xml)
    header, body = read_xlsx(io.BytesIO(data))
    assert header == HEADERS
    assert len(body) == len(rows)
    for signature, cells in zip(signatures, body, strict=True):
        assert cells[0] == signature.pk
        for name, value in _texts(signature).items():
            cell = cells[COLUMNS[name]] or ""  # an empty cell reads as None
            _assert_kept(cell, _in_a_sheet(value), f"{name}={value!r}")
