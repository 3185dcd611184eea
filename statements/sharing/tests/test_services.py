import io
import unicodedata

import pytest
from django.utils import translation
from PIL import Image, ImageFont

from statements.sharing import drawing
from statements.sharing.services import count_text, rounded_count


@pytest.mark.parametrize(
    ("count", "shown"),
    [
        (0, 0),
        (7, 7),
        (99, 99),
        (100, 100),
        (987, 980),
        (1_234, 1_200),
        (12_345, 12_000),
        (12_999, 12_000),
        (123_456, 120_000),
        (1_000_001, 1_000_000),
    ],
)
def test_counts_are_shown_to_two_significant_figures_from_a_hundred(count, shown):
    assert rounded_count(count) == shown


def test_the_count_text_is_plural_and_grouped_in_the_language():
    with translation.override("en"):
        assert count_text(1) == "1 signature"
        assert count_text(42) == "42 signatures"
        assert count_text(12_345) == "12,000+ signatures"


def test_the_count_keeps_western_digits_with_words_not_translated_yet():
    with translation.override("my"):
        text = count_text(12_345)

    # The image's one Burmese font has no Latin letters: the English words
    # and their digits are drawn together in the Latin font.
    assert text.isascii() or "၁၂" in text


def _draw(title: str, language: str = "en") -> Image.Image:
    png = drawing.draw_share_image(
        site_name="Campaign",
        title=title,
        count="5 signatures",
        language=language,
        rtl=language == "ar",
    )
    return Image.open(io.BytesIO(png))


def test_a_long_title_is_cut_with_an_ellipsis_and_still_drawn():
    image = _draw(" ".join(["Refer the situation to the court"] * 30))

    assert image.size == (1200, 630)


def test_without_any_font_file_pillow_s_own_font_draws_the_image(settings):
    settings.SHARE_IMAGE_FONTS = {"latin": ["/no/such/font.ttf"]}
    drawing.font.cache_clear()
    try:
        image = _draw("Cancel the visit")
        assert (
            drawing.font("latin", 40).getname() == ImageFont.load_default(40).getname()
        )
    finally:
        drawing.font.cache_clear()

    assert image.size == (1200, 630)


def test_the_script_of_the_text_picks_its_font():
    assert "Naskh" in drawing.font("arabic", 40).path
    assert "Myanmar" in drawing.font("myanmar", 40).path
    assert drawing._script("ألغوا الزيارة") == "arabic"
    assert drawing._script("ခရီးစဉ်") == "myanmar"
    assert drawing._script("Annulez la visite") == "latin"


def test_a_burmese_phrase_wider_than_a_line_breaks_between_syllables():
    phrase = "ကုလသမဂ္ဂလုံခြုံရေးကောင်စီသည်အခြေအနေကိုအပြည်ပြည်ဆိုင်ရာရာဇဝတ်ခုံရုံး"
    font = drawing.font("myanmar", 60)

    lines = drawing.wrap(phrase, font, 500, "my")

    assert len(lines) > 1
    assert "".join(lines) == phrase
    for line in lines[1:]:
        first = line[0]
        assert not unicodedata.category(first).startswith("M")  # no lone mark
        assert "\u1000" <= first <= "\u1021"  # a syllable starts with a consonant
        assert line[1:2] not in ("\u103a", "\u1039")  # not a killed consonant


def test_words_wrap_between_words():
    font = drawing.font("latin", 60)

    lines = drawing.wrap("Cancel the visit and refer the situation", font, 500, "en")

    assert len(lines) > 1
    assert " ".join(lines) == "Cancel the visit and refer the situation"
