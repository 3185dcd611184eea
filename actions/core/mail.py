"""The one way the site writes an email as bytes.

Every email (confirmations, follow-ups, tests' and the console's) is written
here: a fixed layout (multipart/alternative, quoted-printable UTF-8 parts)
whose only per-message costs are C-speed encodings and a few small strings.
Django's EmailMessage costs about 3 ms of CPU a message here (the email
package parses every header it sets); this writer about 0.06 ms
(bench/followups.py). Mail backends other than the follow-ups' raw SMTP
transport get a :class:`PrebuiltMessage`, whose ``message()`` serialises to
exactly these bytes: what the development console prints, what tests
receive and what SMTP sends is one build.
"""

import binascii
import email.message
import email.policy
import re
import secrets
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.header import Header
from email.utils import formataddr, formatdate, parseaddr
from functools import cached_property, lru_cache
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.utils import DNS_NAME
from django.utils.encoding import punycode

DOT_AT_LINE_START = re.compile(rb"(?m)^\.")


@dataclass(frozen=True)
class Message:
    """An email's content: what differs from one email to the next."""

    subject: str
    text: str
    html: str
    headers: dict[str, str] = field(default_factory=dict)


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

    def write(self, email: Message, *, to: str) -> bytes:
        """The message as SMTP's DATA carries it: dot-stuffed and ending in
        CRLF, without the final dot."""
        return DOT_AT_LINE_START.sub(b"..", self.build(email, to=to))

    def build(self, email: Message, *, to: str) -> bytes:
        """The message, ending in CRLF."""
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
                *email.headers.items(),
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
        return message

    def stream_text(
        self, *, subject: str, to: str, headers: dict[str, str], parts: Iterable[str]
    ) -> Iterator[bytes]:
        """A plain-text message written part by part (each part a whole number
        of lines), for one too big to hold in memory: its head, then each part
        quoted-printable. Not dot-stuffed; each piece ends in CRLF."""
        head = "".join(
            f"{name}: {value}\r\n"
            for name, value in [
                ("From", self._from),
                ("To", to),
                ("Subject", _header(subject)),
                ("Date", formatdate(usegmt=True)),
                ("Message-ID", f"<{uuid.uuid4().hex}@{self._domain}>"),
                ("MIME-Version", "1.0"),
                *headers.items(),
                ("Content-Type", 'text/plain; charset="utf-8"'),
                ("Content-Transfer-Encoding", "quoted-printable"),
            ]
        )
        yield head.encode("ascii") + b"\r\n"
        for part in parts:
            yield _quoted(part)


@lru_cache(maxsize=64)
def _header(value: str) -> str:
    if value.isascii() and len(value) < 900:
        return value
    return Header(value, "utf-8").encode(linesep="\r\n")


def _quoted(text: str) -> bytes:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n") + "\n"
    # A CRLF before the first line's end makes b2a_qp break lines with CRLF.
    return binascii.b2a_qp(lines.replace("\n", "\r\n").encode(), istext=True)


def _part(subtype: str, text: str) -> bytes:
    body = _quoted(text)
    head = (
        f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    )
    return head.encode("ascii") + body


def header_address(address: str) -> str:
    """An address as a header (and an SMTP envelope) carries it: an
    internationalised domain in its ASCII form."""
    if address.isascii():
        return address
    local, _, domain = address.rpartition("@")
    return f"{local}@{punycode(domain)}"


class Written:
    """What a mail backend gets from ``message()``: the written bytes at once
    (all the SMTP backend asks for), a parsed view only when something reads
    the headers or parts (the console, tests)."""

    def __init__(self, data: bytes, policy: email.policy.Policy) -> None:
        self.data, self.policy = data, policy

    def as_bytes(
        self, unixfrom: bool = False, policy: email.policy.Policy | None = None
    ) -> bytes:
        """The written bytes, with the policy's line separator (CRLF for SMTP,
        as written)."""
        linesep = (policy or self.policy).linesep
        if linesep == "\r\n":
            return self.data
        return self.data.replace(b"\r\n", linesep.encode("ascii"))

    def __bytes__(self) -> bytes:
        return self.as_bytes()

    @cached_property
    def parsed(self) -> email.message.EmailMessage:
        parsed = message_from_bytes(self.data, policy=self.policy)
        assert isinstance(parsed, email.message.EmailMessage)
        return parsed

    def __getattr__(self, name: str) -> Any:
        return getattr(self.parsed, name)

    def __getitem__(self, name: str) -> Any:
        return self.parsed[name]

    def __contains__(self, name: str) -> bool:
        return name in self.parsed


class PrebuiltMessage(EmailMultiAlternatives):
    """A Django email whose bytes were written by :class:`MessageWriter`.

    Its attributes (subject, body, alternatives, headers) say what it holds;
    ``message()`` gives those exact bytes to whichever backend sends it.
    """

    def __init__(self, content: Message, *, to: str, data: bytes) -> None:
        super().__init__(
            subject=content.subject,
            body=content.text,
            to=[to],
            headers=dict(content.headers),
        )
        self.attach_alternative(content.html, "text/html")
        self.data = data

    def message(  # type: ignore[override]
        self, *, policy: email.policy.Policy = email.policy.default
    ) -> Written:
        # Django's stubs type the policy more narrowly than the email package.
        return Written(self.data, policy)


def prebuilt(content: Message, *, to: str) -> PrebuiltMessage:
    """The email written once, ready for any mail backend."""
    address = header_address(to)
    data = writer().build(content, to=address)
    return PrebuiltMessage(content, to=address, data=data)


@lru_cache(maxsize=4)
def _writer(from_email: str) -> MessageWriter:
    return MessageWriter(from_email)


def writer() -> MessageWriter:
    """The writer for the site's sender (DEFAULT_FROM_EMAIL)."""
    return _writer(settings.DEFAULT_FROM_EMAIL)


# Runs of whitespace but the no-break spaces (U+00A0, U+202F), line breaks of
# every kind included.
_SPACES = re.compile(r"[^\S\u00a0\u202f]+")


def one_line(text: str) -> str:
    """A header value on one line: a newline in a name must not add a header.
    The no-break spaces of French typography ("signature : ...") stay."""
    return _SPACES.sub(" ", text).strip(" ")
