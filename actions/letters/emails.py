"""Letters as emails: from the site's own address, never the supporter's.

A letter's From is DEFAULT_FROM_EMAIL (the site's domain passes DMARC); the
writer is named in Reply-To and in the signature at the end of the letter.
A digest is one plain-text email holding the day's count and every letter,
written part by part so that any number of letters fits in little memory.
"""

from collections.abc import Iterable, Iterator
from email.utils import formataddr

from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils import formats, translation
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_countries import countries

from actions.core.mail import Message, header_address
from actions.letters.models import Letter, LetterDigest

# Letters a digest's part holds: a part is written and sent, then dropped.
DIGEST_PART_LETTERS = 200
# What a digest reads of each letter, in this order.
DIGEST_FIELDS = [
    "subject",
    "body",
    "postal_town",
    "signature__first_name",
    "signature__last_name",
    "signature__country",
]


def _one_line(value: str) -> str:
    # A line break in a name or a subject must not start a new header.
    return " ".join(value.split())


def signature_block(
    *, first_name: str, last_name: str, postal_town: str, country: str
) -> str:
    """The writer's name, postal town if given, and country, one a line."""
    lines = [_one_line(f"{first_name} {last_name}"), _one_line(postal_town)]
    lines.append(str(countries.name(country)) if country else "")
    return "\n".join(line for line in lines if line)


def _footer() -> str:
    return _(
        "This letter was written by a supporter and sent through %(site)s "
        "(%(url)s). A reply goes to its writer."
    ) % {"site": settings.SITE_NAME, "url": settings.SITE_URL or "/"}


def letter_message(letter: Letter) -> Message:
    """One letter as its own email: subject as written, the writer in
    Reply-To and in the signature. ``letter`` has its signature loaded."""
    signature = letter.signature
    name = _one_line(f"{signature.first_name} {signature.last_name}")
    with translation.override(settings.LANGUAGE_CODE):
        block = signature_block(
            first_name=signature.first_name,
            last_name=signature.last_name,
            postal_town=letter.postal_town,
            country=str(signature.country),
        )
        footer = _footer()
    text = f"{letter.body.rstrip()}\n\n{block}\n\n-- \n{footer}\n"
    html = linebreaks(escape(f"{letter.body.rstrip()}\n\n{block}"))
    html += f"<hr><p><small>{escape(footer)}</small></p>"
    reply_to = formataddr((name, header_address(signature.email)), charset="utf-8")
    return Message(_one_line(letter.subject), text, html, {"Reply-To": reply_to})


def digest_subject(digest: LetterDigest, *, count: int, title: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return ngettext(
            "%(count)s letter about “%(title)s”, %(day)s",
            "%(count)s letters about “%(title)s”, %(day)s",
            count,
        ) % {
            "count": intcomma(count),
            "title": _one_line(title),
            "day": formats.date_format(digest.day, "DATE_FORMAT"),
        }


def digest_parts(
    *, count: int, title: str, rows: Iterable[tuple[str, ...]]
) -> Iterator[str]:
    """A digest's text in parts: the count line, then the letters
    DIGEST_PART_LETTERS at a time. ``rows`` are DIGEST_FIELDS' values."""
    with translation.override(settings.LANGUAGE_CODE):
        yield ngettext(
            "Today %(count)s supporter of “%(title)s” wrote to you. "
            "Their letter follows.",
            "Today %(count)s supporters of “%(title)s” wrote to you. "
            "Their letters follow, one after the other.",
            count,
        ) % {"count": intcomma(count), "title": _one_line(title)}
        yield from _letters(count=count, rows=rows)
        yield f"\n-- \n{_footer()}"


def _letters(*, count: int, rows: Iterable[tuple[str, ...]]) -> Iterator[str]:
    part: list[str] = []
    total = intcomma(count)
    for n, (subject, body, town, first, last, country) in enumerate(rows, 1):
        heading = _("Letter %(n)s of %(count)s") % {"n": intcomma(n), "count": total}
        block = signature_block(
            first_name=first, last_name=last, postal_town=town, country=country
        )
        part.append(
            f"\n\n===== {heading} =====\n{_('Subject:')} {_one_line(subject)}\n\n"
            f"{body.rstrip()}\n\n{block}"
        )
        if len(part) == DIGEST_PART_LETTERS:
            yield "".join(part)
            part = []
    if part:
        yield "".join(part)
