"""Drawing a share image with Pillow: the site's name, a title wrapped and
fitted to the space, and a count, on a plain background, as a PNG.

Pillow shapes Arabic and Burmese with libraqm when it has it (Debian's
python3-pil and the wheels on PyPI do); without it the text is still drawn.
"""

import io
import unicodedata
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 1200, 630
MARGIN = 72
BACKGROUND = (22, 34, 52)
TEXT = (255, 255, 255)
MUTED = (196, 206, 220)
ACCENT = (255, 212, 0)
SITE_NAME_SIZE = 34
COUNT_SIZE = 44
TITLE_SIZES = range(76, 31, -4)  # largest first
TITLE_TOP, TITLE_BOTTOM = MARGIN + 80, HEIGHT - MARGIN - 90
ELLIPSIS = "…"
# Burmese stacks marks above and below its letters.
LINE_HEIGHTS = {"myanmar": 1.6}

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def _script(text: str) -> str:
    """The script a text needs a font for: "arabic", "myanmar" or "latin"."""
    for char in text:
        point = ord(char)
        if 0x0600 <= point <= 0x08FF or 0xFB50 <= point <= 0xFEFF:
            return "arabic"
        if 0x1000 <= point <= 0x109F or 0xA9E0 <= point <= 0xAA7F:
            return "myanmar"
    return "latin"


@lru_cache(maxsize=64)
def font(script: str, size: int) -> Font:
    """The first font of SHARE_IMAGE_FONTS that exists for the script (then
    the Latin ones), else Pillow's own."""
    fonts = settings.SHARE_IMAGE_FONTS
    for path in [*fonts.get(script, []), *fonts.get("latin", [])]:
        if Path(path).is_file():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


def _font_for(text: str, size: int) -> Font:
    return font(_script(text), size)


def _language(font_: Font, language: str) -> str | None:
    # raqm shapes by language (and finds the direction itself); Pillow's basic
    # layout refuses the argument.
    uses_raqm = getattr(font_, "layout_engine", None) == ImageFont.Layout.RAQM
    return language if uses_raqm else None


def _width(text: str, font_: Font, language: str) -> float:
    return font_.getlength(text, language=_language(font_, language))


def _joins_previous(word: str, index: int) -> bool:
    """Whether a line may not break before word[index]: a combining mark, or
    inside a Burmese syllable (a stacked or killed consonant, a vowel sign)."""
    char = word[index]
    if unicodedata.category(char).startswith("M") or char in "\u200c\u200d":
        return True
    if "\u1000" <= char <= "\u109f":
        is_consonant = "\u1000" <= char <= "\u102a" or char == "\u103f"
        following = word[index + 1 : index + 2]
        return (
            not is_consonant
            or word[index - 1] == "\u1039"  # stacked below the previous one
            or following in ("\u103a", "\u1039")  # ends the previous syllable
        )
    return False


def _pieces(word: str) -> list[str]:
    """A word cut where a line may break inside it (for a word wider than a
    line: Burmese writes phrases without spaces)."""
    pieces: list[str] = []
    for index, char in enumerate(word):
        if pieces and _joins_previous(word, index):
            pieces[-1] += char
        else:
            pieces.append(char)
    return pieces


def wrap(text: str, font_: Font, width: int, language: str) -> list[str]:
    """The text in lines no wider than width, broken between words, or inside
    a word only when it alone is wider."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        tokens = [(" ", word)]
        if _width(word, font_, language) > width:
            first, *rest = _pieces(word)
            tokens = [(" ", first)] + [("", piece) for piece in rest]
        for glue, token in tokens:
            candidate = f"{line}{glue}{token}" if line else token
            if not line or _width(candidate, font_, language) <= width:
                line = candidate
            else:
                lines.append(line)
                line = token
    return [*lines, line] if line else lines


def _fit_title(title: str, language: str) -> tuple[Font, list[str], int]:
    """The largest size at which the title fits; at the smallest, the lines
    that fit, the last one cut with an ellipsis."""
    width, height = WIDTH - 2 * MARGIN, TITLE_BOTTOM - TITLE_TOP
    for size in TITLE_SIZES:
        font_ = _font_for(title, size)
        line_height = int(size * LINE_HEIGHTS.get(_script(title), 1.3))
        lines = wrap(title, font_, width, language)
        if len(lines) * line_height <= height:
            return font_, lines, line_height
    keep = max(1, height // line_height)
    lines, last = lines[:keep], lines[keep - 1]
    while last and _width(last + ELLIPSIS, font_, language) > width:
        last = last[:-1]
    return font_, [*lines[:-1], last.rstrip() + ELLIPSIS], line_height


def draw_share_image(
    *, site_name: str, title: str, count: str, language: str, rtl: bool
) -> bytes:
    """The share image as PNG bytes: the same text gives the same image."""
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    start = WIDTH - MARGIN if rtl else MARGIN
    band = (WIDTH - 16, 0, WIDTH, HEIGHT) if rtl else (0, 0, 16, HEIGHT)
    draw.rectangle(band, fill=ACCENT)

    def line(text: str, font_: Font, y: int, fill: tuple[int, int, int]) -> None:
        x = start - _width(text, font_, language) if rtl else start
        draw.text(
            (x, y), text, font=font_, fill=fill, language=_language(font_, language)
        )

    line(site_name, _font_for(site_name, SITE_NAME_SIZE), MARGIN, MUTED)
    title_font, lines, line_height = _fit_title(title, language)
    top = TITLE_TOP + (TITLE_BOTTOM - TITLE_TOP - len(lines) * line_height) // 2
    for number, text in enumerate(lines):
        line(text, title_font, top + number * line_height, TEXT)
    line(count, _font_for(count, COUNT_SIZE), HEIGHT - MARGIN - COUNT_SIZE, ACCENT)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
