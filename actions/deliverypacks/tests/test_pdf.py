import io

from pypdf import PdfReader

from actions.deliverypacks.document import FALLBACK_FONT, font_path
from actions.deliverypacks.pdf import PdfWriter


def _written(pages, *, font=None) -> bytes:
    file = io.BytesIO()
    writer = PdfWriter(file, font_path=font or font_path(), title="Cancel the visit")
    for lines in pages:
        writer.page(lines)
    writer.close()
    return file.getvalue()


def test_the_pdf_reads_back_page_by_page_with_its_title():
    data = _written(
        [[(56, 780, 18, "Cancel the visit"), (56, 760, 9, "Zoë O'Neil (x) \\ y")]]
        + [[(56, 780, 9, f"Page {n}")] for n in range(2, 4)]
    )

    reader = PdfReader(io.BytesIO(data))
    assert data.startswith(b"%PDF-1.7") and data.rstrip().endswith(b"%%EOF")
    assert len(reader.pages) == 3
    assert reader.metadata.title == "Cancel the visit"
    assert "Zoë O'Neil (x) \\ y" in reader.pages[0].extract_text()
    assert reader.pages[2].extract_text() == "Page 3"


def test_a_written_page_is_not_kept_in_memory():
    file = io.BytesIO()
    writer = PdfWriter(file, font_path=font_path(), title="t")
    writer.page([(56, 780, 9, "Ada Lovelace")])

    assert writer.page_ids and len(file.getvalue()) > 0
    assert not [value for value in vars(writer).values() if value == "Ada Lovelace"]


def test_the_fallback_font_writes_latin_text(settings):
    settings.DELIVERY_PACK_FONT = "/nonexistent.ttf"

    assert font_path() == FALLBACK_FONT
    data = _written([[(56, 780, 9, "Marie-Claire")]], font=font_path())
    assert PdfReader(io.BytesIO(data)).pages[0].extract_text() == "Marie-Claire"
