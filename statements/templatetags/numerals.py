"""Template filters for numbers and dates in the page's language: every
public page that shows a count or a date uses these (campaign/numerals.py)."""

from datetime import date, datetime

from django import template
from django.utils.formats import get_format

from campaign import numerals

register = template.Library()


@register.filter
def number(value: object) -> str:
    """{{ count|number }}: grouped, in the language's digits."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "" if value is None else str(value)
    return numerals.format_number(value)


@register.filter
def local_date(value: date | datetime | None, format_name: str = "DATE_FORMAT") -> str:
    """{{ when|local_date }} or {{ when|local_date:"DATETIME_FORMAT" }}."""
    return numerals.format_date(value, format_name)


@register.filter
def digits(value: object) -> str:
    """{{ text|digits }}: any 0-9 in the text in the language's digits."""
    return numerals.native_digits(str(value))


@register.simple_tag
def number_digits() -> str:
    """The ten digits of the page's language, for scripts that write counts."""
    return numerals.digits_of()


@register.simple_tag
def thousand_separator() -> str:
    """The page's language's thousands separator, for the same scripts."""
    return str(get_format("THOUSAND_SEPARATOR"))
