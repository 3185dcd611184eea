import io
import tempfile
import zipfile

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from actions.exports import writers
from actions.exports.tests.expected import (
    HEADERS,
    expected_csv_rows,
    expected_xlsx_rows,
    read_csv,
    read_xlsx,
)
from actions.exports.writers import TooManyRows, csv_chunks, write_csv, write_xlsx
from actions.models import Signature
from actions.tests.factories import make_signature

pytestmark = pytest.mark.django_db


def test_the_csv_parses_back_to_the_rows(tricky_signatures):
    file = io.BytesIO()

    rows = write_csv(Signature.objects.all(), file)

    header, body = read_csv(file.getvalue())
    assert header == HEADERS
    assert body == expected_csv_rows(Signature.objects.all())
    assert rows == len(tricky_signatures)


def test_csv_comes_in_pieces_that_count_their_rows(petition, monkeypatch):
    for _ in range(30):
        make_signature(petition)
    monkeypatch.setattr(writers, "CHUNK_BYTES", 500)

    pieces = list(csv_chunks(Signature.objects.all()))

    assert len(pieces) > 3
    assert pieces[0][1] == 0  # the header
    assert sum(rows for _, rows in pieces) == 30
    assert all(len(data) < 500 + 200 for data, _ in pieces)
    _, body = read_csv(b"".join(data for data, _ in pieces))
    assert body == expected_csv_rows(Signature.objects.all())


def test_an_empty_export_is_a_header(db):
    file = io.BytesIO()

    assert write_csv(Signature.objects.all(), file) == 0
    assert read_csv(file.getvalue()) == (HEADERS, [])


def test_the_xlsx_parses_back_to_the_rows(tricky_signatures):
    file = io.BytesIO()

    rows = write_xlsx(Signature.objects.all(), file)

    header, body = read_xlsx(io.BytesIO(file.getvalue()))
    assert header == HEADERS
    assert body == expected_xlsx_rows(Signature.objects.all())
    assert rows == len(tricky_signatures)


def test_xlsx_drops_characters_a_sheet_cannot_hold(petition):
    make_signature(petition, first_name="Ada\x01\x1b", last_name="Love\x08lace")
    file = io.BytesIO()

    write_xlsx(Signature.objects.all(), file)

    _, body = read_xlsx(io.BytesIO(file.getvalue()))
    assert body[0][2:4] == ["Ada", "Lovelace"]


def test_a_formula_behind_a_character_a_sheet_drops_stays_text_in_xlsx(petition):
    # The control character is dropped after neutralising: "=..." was left,
    # which openpyxl writes as a live formula.
    make_signature(petition, first_name='\x01=HYPERLINK("http://x")')
    file = io.BytesIO()

    write_xlsx(Signature.objects.all(), file)

    assert b"<f>" not in zipfile.ZipFile(file).read("xl/worksheets/sheet1.xml")
    _, body = read_xlsx(io.BytesIO(file.getvalue()))
    assert body[0][2] == '\'=HYPERLINK("http://x")'


def test_xlsx_refuses_more_rows_than_a_sheet_holds(petition, monkeypatch):
    for _ in range(3):
        make_signature(petition)
    monkeypatch.setattr(writers, "XLSX_MAX_ROWS", 2)

    with pytest.raises(TooManyRows):
        write_xlsx(Signature.objects.all(), io.BytesIO())


def test_progress_is_reported_with_rows_done(petition, monkeypatch):
    for _ in range(5):
        make_signature(petition)
    monkeypatch.setattr(writers, "ITERATOR_CHUNK", 2)
    seen: list[int] = []

    write_xlsx(Signature.objects.all(), io.BytesIO(), progress=seen.append)

    assert seen == [2, 4, 5]


def test_a_failed_xlsx_leaves_no_temporary_rows(petition, monkeypatch, tmp_path):
    for _ in range(3):
        make_signature(petition)
    monkeypatch.setattr(writers, "XLSX_MAX_ROWS", 2)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    with pytest.raises(TooManyRows):
        write_xlsx(Signature.objects.all(), io.BytesIO())

    assert list(tmp_path.iterdir()) == []


def test_the_xlsx_sheet_is_named_and_its_header_bold_frozen_and_filtered(petition):
    for _ in range(3):
        make_signature(petition)
    file = io.BytesIO()

    write_xlsx(Signature.objects.all(), file)

    workbook = load_workbook(io.BytesIO(file.getvalue()))
    assert workbook.sheetnames == ["Signatures"]
    sheet = workbook["Signatures"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{get_column_letter(len(HEADERS))}4"
    assert all(cell.font.b for cell in sheet[1])
    assert not any(cell.font.b for cell in sheet[2])


def test_an_empty_xlsx_filters_its_header_alone(db):
    file = io.BytesIO()

    write_xlsx(Signature.objects.all(), file)

    sheet = load_workbook(io.BytesIO(file.getvalue()))["Signatures"]
    assert sheet.auto_filter.ref == f"A1:{get_column_letter(len(HEADERS))}1"
