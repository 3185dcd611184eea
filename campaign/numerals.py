"""Numbers and dates as the page's language writes them.

Counts are grouped by the language's formats (campaign/formats/ and
Django's), and Burmese writes them in its own digits, which Django's formats
cannot express: the digits are swapped after formatting.
"""

from datetime import date, datetime

from django.template.defaultfilters import date as date_filter
from django.utils import translation
from django.utils.formats import number_format

# Languages whose pages use digits other than 0-9.
NATIVE_DIGITS = {"my": "၀၁၂၃၄၅၆၇၈၉"}


def digits_of(language: str | None = None) -> str:
    """The ten digits a language writes (the active one by default)."""
    code = (language or translation.get_language() or "").split("-")[0]
    return NATIVE_DIGITS.get(code, "0123456789")


def native_digits(text: str, language: str | None = None) -> str:
    """The text with 0-9 written in the language's own digits."""
    return str(text).translate(str.maketrans("0123456789", digits_of(language)))


def format_number(value: int | float, language: str | None = None) -> str:
    """A count as the language writes it: "1,234", "1 234", "၁,၂၃၄"."""
    with translation.override(language or translation.get_language()):
        return native_digits(number_format(value, force_grouping=True))


def format_date(value: date | datetime | None, format_name: str = "DATE_FORMAT") -> str:
    """A date (or time) in the active language's format and digits, in the
    current time zone as Django's date filter shows it; "" for None."""
    if value is None:
        return ""
    return native_digits(date_filter(value, format_name))
