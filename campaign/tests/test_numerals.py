from datetime import UTC, date, datetime

import pytest
from django.template import Context, Template
from django.utils import translation

from campaign.numerals import format_date, format_number, native_digits


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "1,234,567"),
        ("fr", "1\xa0234\xa0567"),
        ("es", "1\xa0234\xa0567"),
        ("ar", "1.234.567"),
        ("my", "၁,၂၃၄,၅၆၇"),
    ],
)
def test_a_count_is_grouped_as_its_language_writes_it(language, expected):
    assert format_number(1234567, language) == expected


def test_small_counts_are_not_grouped_but_burmese_has_its_own_digits():
    assert format_number(999, "en") == "999"
    assert format_number(0, "my") == "၀"


def test_the_active_language_is_the_default():
    with translation.override("my"):
        assert format_number(2026) == "၂,၀၂၆"
        assert native_digits("Page 3 of 10") == "Page ၃ of ၁၀"
    assert native_digits("Page 3 of 10") == "Page 3 of 10"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "March 4, 2026"),
        ("fr", "4 mars 2026"),
        ("my", "၄/၃/၂၀၂၆"),
    ],
)
def test_a_date_is_in_its_languages_format_and_digits(language, expected):
    with translation.override(language):
        assert format_date(date(2026, 3, 4)) == expected


def test_a_time_is_shown_in_the_sites_zone_in_burmese_digits(settings):
    settings.TIME_ZONE = "UTC"
    with translation.override("my"):
        when = datetime(2026, 3, 4, 18, 5, tzinfo=UTC)
        assert format_date(when, "DATETIME_FORMAT") == "၄/၃/၂၀၂၆ ၁၈:၀၅"
    assert format_date(None) == ""


def test_the_template_filters_use_the_page_language():
    template = Template(
        "{% load numerals %}{{ count|number }} | {{ day|local_date }} | "
        "{{ day|local_date:'Y-m-d' }} | {% number_digits %} {% thousand_separator %}"
    )
    context = Context({"count": 12345, "day": date(2026, 3, 4)})

    with translation.override("my"):
        burmese = template.render(context)
    with translation.override("fr"):
        french = template.render(context)

    assert burmese == "၁၂,၃၄၅ | ၄/၃/၂၀၂၆ | ၂၀၂၆-၀၃-၀၄ | ၀၁၂၃၄၅၆၇၈၉ ,"
    assert french == "12\xa0345 | 4 mars 2026 | 2026-03-04 | 0123456789 \xa0"
