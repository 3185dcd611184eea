"""A follow-up as an email: rendered once per batch, personalised per signer.

The templates and the Markdown are rendered once per batch with stand-ins for
what differs per signer; each message is then a string substitution, written
out by the site's one MIME writer (actions.core.mail).
"""

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _
from modeltranslation.utils import build_localized_fieldname

from actions.core.mail import Message, PrebuiltMessage, one_line, prebuilt
from actions.followups.models import FollowUp
from statements.models import Topic
from statements.services import render_markdown

PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")
PLACEHOLDERS = {
    "first_name": _("the signer's first name"),
    "petition_title": _(
        "the petition's title; for a statement's follow-up the statement's "
        "title, for a topic's the topic's name"
    ),
    "signature_count": _(
        "the petition's confirmed signatures; for a statement or a topic, "
        "those of all its petitions added up"
    ),
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
TEMPLATES = "followups/emails/follow_up"
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


def audience_title(follow_up: FollowUp) -> str:
    """The petition's or statement's title, or the topic's name."""
    audience = follow_up.audience
    return audience.name if isinstance(audience, Topic) else audience.title


def _audience_url(follow_up: FollowUp) -> str:
    # A petition's page is its statement's, where it is signed.
    petition = follow_up.petition
    page = petition.statement if petition is not None else follow_up.audience
    return settings.SITE_URL + page.get_absolute_url()


def render_draft(follow_up: FollowUp, *, count: int, language: str = "") -> Draft:
    """Render the templates and the Markdown once, for a batch's signers of
    one language (the original when empty): the follow-up's text in that
    language, or the original's where it has none, and links under its
    prefix."""
    with translation.override(language or settings.LANGUAGE_CODE):
        return _render_draft(follow_up, count=count)


def _render_draft(follow_up: FollowUp, *, count: int) -> Draft:
    title = audience_title(follow_up)
    written_subject, written_body = written_text(follow_up)
    subject = _with_stand_ins(written_subject)
    body = _with_stand_ins(written_body)
    unsubscribe = reverse("actions:unsubscribe", kwargs={"token": _TOKEN})
    preferences = reverse("actions:email_preferences", kwargs={"token": _TOKEN})
    context: dict[str, Any] = {
        "subject": subject,
        "body_text": body,
        "body_html": render_markdown(body),
        "audience": _audience_kind(follow_up),
        "title": title,
        "site_name": settings.SITE_NAME,
        "page_url": _audience_url(follow_up),
        "unsubscribe_url": settings.SITE_URL + unsubscribe,
        "preferences_url": settings.SITE_URL + preferences,
        "your_data_url": settings.SITE_URL + reverse("actions:your_data"),
    }
    subject = one_line(render_to_string(f"{TEMPLATES}_subject.txt", context))
    text = render_to_string(f"{TEMPLATES}.txt", context)
    html: str = render_to_string(f"{TEMPLATES}.html", context)
    shown_count = str(intcomma(count))
    plain = {_TITLE: " ".join(title.split()), _COUNT: shown_count}
    marked_up = {_TITLE: escape(title), _COUNT: shown_count}
    in_links = {
        _FIRST_NAME: _FIRST_NAME_IN_LINK,
        _TITLE: quote(title, safe=""),
    }
    html = LINK_ADDRESS.sub(lambda link: _replace(link.group(0), in_links), html)
    return Draft(
        subject=_replace(subject, plain),
        text=_replace(text, plain),
        html=_replace(html, marked_up),
        unsubscribe_url=context["unsubscribe_url"],
    )


def written_text(follow_up: FollowUp, language: str = "") -> tuple[str, str]:
    """The follow-up's subject and body in ``language`` (the active one when
    empty) if both are written in it, else the original's: never a subject in
    one language over a body in another."""
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    for code in (language, settings.LANGUAGE_CODE):
        subject = getattr(follow_up, build_localized_fieldname("subject", code), "")
        body = getattr(follow_up, build_localized_fieldname("body", code), "")
        if subject and body:
            return subject, body
    return follow_up.subject, follow_up.body


def is_written_in(follow_up: FollowUp, language: str) -> bool:
    """Whether the follow-up has its own subject and body in this language."""
    return all(
        getattr(follow_up, build_localized_fieldname(name, language), "")
        for name in ("subject", "body")
    )


def _audience_kind(follow_up: FollowUp) -> str:
    if follow_up.petition_id is not None:
        return "petition"
    return "statement" if follow_up.statement_id is not None else "topic"


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


def django_message(email: Email, *, to: str) -> PrebuiltMessage:
    """The same email for mail backends other than SMTP: the very bytes the
    SMTP path sends (actions.core.mail), with Django's attributes."""
    return prebuilt(as_message(email), to=to)


def as_message(email: Email) -> Message:
    """A signer's follow-up as the one writer of emails takes it."""
    return Message(email.subject, email.text, email.html, list_headers(email))
