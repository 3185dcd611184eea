"""A PDF written page by page, in bounded memory.

The library is ReportLab 5.x (pinned in requirements.txt), chosen over fpdf2:
both install as pure-Python wheels here, but ReportLab is BSD-licensed (fpdf2
is LGPL-3.0), kept since 2000, needs only Pillow and charset-normalizer
(fpdf2 adds fontTools and defusedxml) and has typing stubs (types-reportlab).

Neither writes as it goes: ReportLab's canvas keeps every page until
``save()`` (measured while choosing: about 15 MB more per 100,000 names, so
some 150 MB for a million) and fpdf2 builds the whole document before
``output()``. So ReportLab parses the TrueType font (glyphs, widths, metrics)
and this module writes the file: each page's content stream is compressed
and written as soon as the page is full, and only the objects' offsets (two
integers a page) stay until the end, where the font (embedded whole,
Identity-H, with the widths and a ToUnicode map of the glyphs used, so text
can be searched and copied), the page tree and the cross-reference table are
written.

No shaping: scripts that need it (Khmer, Myanmar, Arabic) show their glyphs in
order, readable but not typeset; a character the font lacks shows as a box.
"""

import zlib
from pathlib import Path
from typing import BinaryIO

from reportlab.pdfbase.ttfonts import TTFontFile

A4 = (595.28, 841.89)
# Object numbers fixed in advance, so pages can point at them before they
# are written.
_CATALOG, _PAGES, _FONT, _CID_FONT, _DESCRIPTOR, _FONT_FILE, _TO_UNICODE = range(1, 8)


class PdfWriter:
    """Writes pages to a binary file; call ``close()`` once at the end."""

    def __init__(self, file: BinaryIO, *, font_path: str | Path, title: str) -> None:
        self.file = file
        self.font_path = Path(font_path)
        self.font = TTFontFile(str(font_path))
        self.title = title
        self.offsets: dict[int, int] = {}
        self.page_ids: list[int] = []
        self.used: dict[int, str] = {}  # glyph id -> the character it shows
        self.next_id = _TO_UNICODE + 1
        self.pages = 0
        self._write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")

    def width(self, text: str, size: float) -> float:
        """The width of ``text`` at ``size`` points, in points."""
        widths = self.font.charWidths
        default = self.font.defaultWidth
        return sum(widths.get(ord(ch), default) for ch in text) * size / 1000

    def page(self, lines: list[tuple[float, float, float, str]]) -> None:
        """Write one page of (x, y, size, text) lines, y from the bottom."""
        ops = [b"BT"]
        for x, y, size, text in lines:
            ops.append(
                b"/F1 %.1f Tf 1 0 0 1 %.2f %.2f Tm <%s> Tj"
                % (size, x, y, self._glyphs(text))
            )
        ops.append(b"ET")
        content = zlib.compress(b"\n".join(ops), 6)
        content_id = self._object(
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream"
            % (len(content), content)
        )
        page_id = self._object(
            b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %.2f %.2f] "
            b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
            % (_PAGES, A4[0], A4[1], _FONT, content_id)
        )
        self.page_ids.append(page_id)
        self.pages += 1

    def close(self) -> None:
        """Write the font, the page tree and the trailer. The file stays open."""
        self._write_font()
        kids = b" ".join(b"%d 0 R" % page_id for page_id in self.page_ids)
        self._object(
            b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, self.pages), _PAGES
        )
        self._object(b"<< /Type /Catalog /Pages %d 0 R >>" % _PAGES, _CATALOG)
        info = self._object(b"<< /Title <%s> >>" % _utf16_hex(self.title))
        xref = self.file.tell()
        size = self.next_id
        rows = [b"xref\n0 %d\n0000000000 65535 f \n" % size]
        rows += [
            b"%010d 00000 n \n" % self.offsets[n]
            if n in self.offsets
            else b"0000000000 65535 f \n"
            for n in range(1, size)
        ]
        self._write(b"".join(rows))
        self._write(
            b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\n"
            b"startxref\n%d\n%%%%EOF\n" % (size, _CATALOG, info, xref)
        )

    def _glyphs(self, text: str) -> bytes:
        char_to_glyph = self.font.charToGlyph
        out = []
        for ch in text:
            glyph = char_to_glyph.get(ord(ch), 0)
            self.used.setdefault(glyph, ch)
            out.append(b"%04X" % glyph)
        return b"".join(out)

    def _write_font(self) -> None:
        font = self.font
        name = b"/" + font.name.replace(b" ", b"")
        self._object(
            b"<< /Type /Font /Subtype /Type0 /BaseFont %s /Encoding /Identity-H "
            b"/DescendantFonts [%d 0 R] /ToUnicode %d 0 R >>"
            % (name, _CID_FONT, _TO_UNICODE),
            _FONT,
        )
        widths = b" ".join(
            b"%d [%d]" % (glyph, round(font.charWidths.get(ord(ch), font.defaultWidth)))
            for glyph, ch in sorted(self.used.items())
        )
        self._object(
            b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont %s "
            b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) "
            b"/Supplement 0 >> "
            b"/FontDescriptor %d 0 R /DW %d /W [%s] /CIDToGIDMap /Identity >>"
            % (
                name,
                _DESCRIPTOR,
                round(font.defaultWidth),
                widths,
            ),
            _CID_FONT,
        )
        bbox = b" ".join(b"%d" % round(v) for v in font.bbox)
        self._object(
            b"<< /Type /FontDescriptor /FontName %s /Flags %d /FontBBox [%s] "
            b"/ItalicAngle %d /Ascent %d /Descent %d /CapHeight %d /StemV %d "
            b"/FontFile2 %d 0 R >>"
            % (
                name,
                font.flags,
                bbox,
                round(font.italicAngle),
                round(font.ascent),
                round(font.descent),
                round(font.capHeight),
                round(font.stemV),
                _FONT_FILE,
            ),
            _DESCRIPTOR,
        )
        data = self.font_path.read_bytes()
        packed = zlib.compress(data, 6)
        self._object(
            b"<< /Length %d /Length1 %d /Filter /FlateDecode >>\nstream\n%s\nendstream"
            % (len(packed), len(data), packed),
            _FONT_FILE,
        )
        cmap = _to_unicode(self.used)
        self._object(
            b"<< /Length %d >>\nstream\n%s\nendstream" % (len(cmap), cmap), _TO_UNICODE
        )

    def _object(self, body: bytes, number: int | None = None) -> int:
        if number is None:
            number, self.next_id = self.next_id, self.next_id + 1
        self.offsets[number] = self.file.tell()
        self._write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
        return number

    def _write(self, data: bytes) -> None:
        self.file.write(data)


def _utf16_hex(text: str) -> bytes:
    return b"FEFF" + text.encode("utf-16-be").hex().upper().encode()


def _to_unicode(used: dict[int, str]) -> bytes:
    """A CMap from the glyphs used back to their characters (copy, search)."""
    # Glyph 0 is the font's "missing" box: it stands for no one character.
    entries = sorted((glyph, ch) for glyph, ch in used.items() if glyph)
    blocks = []
    for start in range(0, len(entries), 100):  # at most 100 entries a block
        chunk = entries[start : start + 100]
        rows = b"\n".join(
            b"<%04X> <%s>" % (glyph, ch.encode("utf-16-be").hex().upper().encode())
            for glyph, ch in chunk
        )
        blocks.append(b"%d beginbfchar\n%s\nendbfchar" % (len(chunk), rows))
    return (
        b"/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        b"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        b"1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        + b"\n".join(blocks)
        + b"\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
    )
