"""A follow-up as an email: rendered once per batch, personalised per signer.

Building each message with Django's EmailMessage costs about 3 ms of CPU here
(the email package parses every header it sets), more than everything else a
worker does per email. So the templates and the Markdown are rendered once
per batch with stand-ins for what differs per signer, and each message is a
string substitution and a fixed MIME layout written out directly.
"""

import binascii
import re
import secrets
import uuid
from dataclasses import dataclass
from email.header import Header
from email.utils import formataddr, formatdate, parseaddr
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.mail import EmailMultiAlternatives
from django.core.mail.utils import DNS_NAME
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from actions.followups.models import FollowUp
from statements.services import render_markdown

PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")
PLACEHOLDERS = {
    "first_name": _("the signer's first name"),
    "petition_title": _("the petition's title"),
    "signature_count": _("the petition's confirmed signatures"),
}
# Stand-ins: letters and digits only, which Markdown and the HTML cleaner
# leave exactly as they are.
_FIRST_NAME = "Xq7FirstName7qX"
_TITLE = "Xq7PetitionTitle7qX"
_COUNT = "Xq7SignatureCount7qX"
_TOKEN = "Xq7Token7qX"
# The first name where it is part of a link's address: percent-encoded there,
# so that a name such as "javascript:alert(1)" cannot become the link's scheme.
_FIRST_NAME_IN_LINK = "Xq7FirstNameInLink7qX"
_STAND_INS = {
    "first_name": _FIRST_NAME,
    "petition_title": _TITLE,
    "signature_count": _COUNT,
}
# Used in previews and tests, so their links unsubscribe nobody.
PREVIEW_TOKEN = "preview"
TEMPLATES = "actions/emails/follow_up"
DOT_AT_LINE_START = re.compile(rb"(?m)^\.")
# A link's address in the cleaned HTML (nh3 and the templates write every
# attribute in double quotes).
LINK_ADDRESS = re.compile(r'(?<=\shref=")[^"]*')


def unknown_placeholders(text: str) -> list[str]:
    """Names in {{ ... }} that are not placeholders, in order of appearance."""
    return [m for m in PLACEHOLDER.findall(text) if m not in PLACEHOLDERS]


@dataclass(frozen=True)
class Email:
    """One signer's follow-up, ready to send."""

    subject: str
    text: str
    html: str
    unsubscribe_url: str


@dataclass(frozen=True)
class Draft:
    """A follow-up rendered for a batch: all but the signer's name and link."""

    subject: str
    text: str
    html: str
    unsubscribe_url: str

    def personalise(self, *, first_name: str, token: str) -> Email:
        # A line break in a name must not start a new header.
        name = " ".join(first_name.split())
        html_name = escape(name)
        html = self.html.replace(_FIRST_NAME_IN_LINK, quote(name, safe=""))
        return Email(
            subject=self.subject.replace(_FIRST_NAME, name),
            text=self.text.replace(_FIRST_NAME, name).replace(_TOKEN, token),
            html=html.replace(_FIRST_NAME, html_name).replace(_TOKEN, token),
            unsubscribe_url=self.unsubscribe_url.replace(_TOKEN, token),
        )


def render_draft(follow_up: FollowUp, *, count: int) -> Draft:
    """Render the templates and the Markdown once, for a batch of signers."""
    petition = follow_up.petition
    subject = _with_stand_ins(follow_up.subject)
    body = _with_stand_ins(follow_up.body)
    unsubscribe = reverse("actions:unsubscribe", kwargs={"token": _TOKEN})
    preferences = reverse("actions:email_preferences", kwargs={"token": _TOKEN})
    context: dict[str, Any] = {
        "subject": subject,
        "body_text": body,
        "body_html": render_markdown(body),
        "petition": petition,
        "site_name": settings.SITE_NAME,
        "petition_url": settings.SITE_URL + petition.statement.get_absolute_url(),
        "unsubscribe_url": settings.SITE_URL + unsubscribe,
        "preferences_url": settings.SITE_URL + preferences,
        "your_data_url": settings.SITE_URL + reverse("actions:your_data"),
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = " ".join(
            render_to_string(f"{TEMPLATES}_subject.txt", context).split()
        )
        text = render_to_string(f"{TEMPLATES}.txt", context)
        html: str = render_to_string(f"{TEMPLATES}.html", context)
        shown_count = str(intcomma(count))
    plain = {_TITLE: " ".join(petition.title.split()), _COUNT: shown_count}
    marked_up = {_TITLE: escape(petition.title), _COUNT: shown_count}
    in_links = {
        _FIRST_NAME: _FIRST_NAME_IN_LINK,
        _TITLE: quote(petition.title, safe=""),
    }
    html = LINK_ADDRESS.sub(lambda link: _replace(link.group(0), in_links), html)
    return Draft(
        subject=_replace(subject, plain),
        text=_replace(text, plain),
        html=_replace(html, marked_up),
        unsubscribe_url=context["unsubscribe_url"],
    )


def _with_stand_ins(text: str) -> str:
    return PLACEHOLDER.sub(
        lambda m: _STAND_INS.get(m.group(1), m.group(0)), text.replace("\r\n", "\n")
    )


def _replace(text: str, values: dict[str, str]) -> str:
    for stand_in, value in values.items():
        text = text.replace(stand_in, value)
    return text


def list_headers(email: Email) -> dict[str, str]:
    """RFC 8058 one-click unsubscribe: mail clients POST to the URL."""
    return {
        "List-Unsubscribe": f"<{email.unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def django_message(email: Email, *, to: str) -> EmailMultiAlternatives:
    """The same email as a Django message, for mail backends other than SMTP."""
    message = EmailMultiAlternatives(
        subject=email.subject, body=email.text, to=[to], headers=list_headers(email)
    )
    message.attach_alternative(email.html, "text/html")
    return message


class MessageWriter:
    """Writes personalised follow-ups as MIME bytes for SMTP DATA.

    A fixed layout (multipart/alternative, quoted-printable UTF-8 parts) whose
    only per-message costs are C-speed encodings and a few small strings.
    """

    def __init__(self, from_email: str) -> None:
        name, address = parseaddr(from_email)
        self.envelope_from = address
        self._from = _header(formataddr((name, address), charset="utf-8"))
        self._domain = address.rpartition("@")[2] or DNS_NAME.get_fqdn()

    def write(self, email: Email, *, to: str) -> bytes:
        """The message, dot-stuffed and ending in CRLF, without the final dot."""
        boundary = "=_" + secrets.token_hex(12)  # "=_" never occurs in QP text
        head = "".join(
            f"{name}: {value}\r\n"
            for name, value in [
                ("From", self._from),
                ("To", to),
                ("Subject", _header(email.subject)),
                ("Date", formatdate(usegmt=True)),
                ("Message-ID", f"<{uuid.uuid4().hex}@{self._domain}>"),
                ("MIME-Version", "1.0"),
                *list_headers(email).items(),
                ("Content-Type", f'multipart/alternative; boundary="{boundary}"'),
            ]
        )
        message = b"".join(
            [
                head.encode("ascii"),
                f"\r\n--{boundary}\r\n".encode("ascii"),
                _part("plain", email.text),
                f"--{boundary}\r\n".encode("ascii"),
                _part("html", email.html),
                f"--{boundary}--\r\n".encode("ascii"),
            ]
        )
        return DOT_AT_LINE_START.sub(b"..", message)


@lru_cache(maxsize=64)
def _header(value: str) -> str:
    if value.isascii() and len(value) < 900:
        return value
    return Header(value, "utf-8").encode(linesep="\r\n")


def _part(subtype: str, text: str) -> bytes:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n") + "\n"
    # A CRLF before the first line's end makes b2a_qp break lines with CRLF.
    body = binascii.b2a_qp(lines.replace("\n", "\r\n").encode(), istext=True)
    head = (
        f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    )
    return head.encode("ascii") + body
