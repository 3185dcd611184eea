"""The delivery pack's pages: statement, demand and target, counts, names.

Pure layout over actions.deliverypacks.pdf: it is handed the petition's
texts, the per-country counts and an iterator of names, and holds one page
of lines at a time.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

import reportlab
from django.conf import settings
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django_countries import countries

from actions.counts import OTHER_COUNTRIES
from actions.deliverypacks.pdf import A4, PdfWriter

MARGIN = 56.0
TOP = A4[1] - 64.0
BOTTOM = 56.0
TEXT_WIDTH = A4[0] - 2 * MARGIN
COUNTRY_X = 400.0
NAME_SIZE = 9.0
NAME_WIDTH = COUNTRY_X - MARGIN - 12
# Bundled with ReportLab, Latin scripts only: the fallback when the
# configured font (DELIVERY_PACK_FONT) is missing.
FALLBACK_FONT = Path(reportlab.__file__).parent / "fonts" / "Vera.ttf"


@dataclass(frozen=True)
class Cover:
    title: str
    standfirst: str
    demand: str
    target: str
    confirmed: int
    as_of: datetime


def font_path() -> Path:
    configured = Path(settings.DELIVERY_PACK_FONT)
    return configured if configured.is_file() else FALLBACK_FONT


class _Pages:
    """Lines placed top to bottom; a full page is written and forgotten."""

    def __init__(self, writer: PdfWriter) -> None:
        self.writer = writer
        self.lines: list[tuple[float, float, float, str]] = []
        self.y = TOP

    def add(self, text: str, *, size: float, x: float = MARGIN, gap: float = 0) -> None:
        self.y -= gap
        if self.y - size * 1.3 < BOTTOM:
            self.flush()
        self.y -= size * 1.3
        self.lines.append((x, self.y, size, text))

    def beside(self, text: str, *, size: float, x: float) -> None:
        """Text on the line just added (a second column)."""
        self.lines.append((x, self.y, size, text))

    def wrapped(self, text: str, *, size: float, gap: float = 0) -> None:
        for number, line in enumerate(self._wrap(text, size)):
            self.add(line, size=size, gap=gap if number == 0 else 0)

    def flush(self) -> None:
        if self.lines:
            self.writer.page(self.lines)
        self.lines, self.y = [], TOP

    def fit(self, text: str, *, size: float, width: float) -> str:
        """The text cut with an ellipsis to fit ``width`` points."""
        if self.writer.width(text, size) <= width:
            return text
        while text and self.writer.width(text + "…", size) > width:
            text = text[:-1]
        return text + "…"

    def _wrap(self, text: str, size: float) -> Iterable[str]:
        for paragraph in text.splitlines() or [""]:
            line = ""
            for word in paragraph.split():
                candidate = f"{line} {word}".strip()
                if line and self.writer.width(candidate, size) > TEXT_WIDTH:
                    yield line
                    line = word
                else:
                    line = candidate
            yield self.fit(line, size=size, width=TEXT_WIDTH)


def write_pack(
    file: BinaryIO,
    *,
    cover: Cover,
    by_country: list[tuple[str, int]],
    names: Iterable[tuple[str, str]] | None,
) -> int:
    """Write the PDF to ``file``; the number of names listed."""
    writer = PdfWriter(file, font_path=font_path(), title=cover.title)
    pages = _Pages(writer)
    _write_cover(pages, cover)
    _write_countries(pages, by_country)
    listed = 0
    if names is not None:
        pages.flush()
        pages.add(_("Signers"), size=14)
        pages.add(_("Name"), size=NAME_SIZE, gap=6)
        pages.beside(_("Country"), size=NAME_SIZE, x=COUNTRY_X)
        country_names: dict[str, str] = {}  # a lookup a name costs too much
        for name, code in names:
            if code not in country_names:  # none given: nothing beside the name
                country_names[code] = _country(code) if code else ""
            pages.add(pages.fit(name, size=NAME_SIZE, width=NAME_WIDTH), size=NAME_SIZE)
            pages.beside(country_names[code], size=NAME_SIZE, x=COUNTRY_X)
            listed += 1
    pages.flush()
    writer.close()
    return listed


def _write_cover(pages: _Pages, cover: Cover) -> None:
    pages.wrapped(cover.title, size=20)
    pages.wrapped(cover.standfirst, size=11, gap=8)
    pages.add(_("Our demand"), size=13, gap=14)
    pages.wrapped(cover.demand, size=11, gap=2)
    pages.add(_("Addressed to"), size=13, gap=14)
    pages.wrapped(cover.target, size=11, gap=2)
    pages.add(_("Confirmed signatures"), size=13, gap=14)
    pages.add(number_format(cover.confirmed, force_grouping=True), size=24, gap=2)
    as_of = _("As of %(date)s (UTC).") % {
        "date": date_format(cover.as_of, "DATETIME_FORMAT")
    }
    pages.add(as_of, size=9, gap=2)


def _write_countries(pages: _Pages, by_country: list[tuple[str, int]]) -> None:
    pages.add(_("Signatures by country"), size=13, gap=14)
    for code, count in by_country:
        pages.add(_country(code), size=10)
        pages.beside(number_format(count, force_grouping=True), size=10, x=COUNTRY_X)


def _country(code: str) -> str:
    if code == OTHER_COUNTRIES:  # the small ones added up
        return _("Other countries")
    if not code:
        return _("Country not given")
    return str(countries.name(code)) or code
