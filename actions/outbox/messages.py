"""Outbox rows as emails, rendered from templates/outbox/emails/<kind>.*"""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from actions.core.mail import Message, PrebuiltMessage, one_line, prebuilt
from actions.core.tokens import (
    make_confirmation_token,
    make_data_token,
    make_receipt_token,
)
from actions.outbox.models import OutboundEmail


def build_message(outbound: OutboundEmail) -> PrebuiltMessage:
    """The email for a row, rendered from its kind's templates in its
    language, every link under that language's prefix."""
    base = f"outbox/emails/{outbound.kind}"
    with translation.override(outbound.language):
        context = _context(outbound)
        subject = _subject(outbound, context)
        text = render_to_string(f"{base}.txt", context)
        html = render_to_string(f"{base}.html", context)
    return prebuilt(Message(subject, text, html), to=outbound.to_email)


def subject(outbound: OutboundEmail) -> str:
    """The subject line a row's email has (or had), e.g. for a data copy."""
    signature = outbound.signature
    assert signature is not None  # every kind of email is about a signature
    context = {
        "signature": signature,
        "petition": signature.petition,
        "site_name": settings.SITE_NAME,
    }
    with translation.override(outbound.language):
        return _subject(outbound, context)


def _subject(outbound: OutboundEmail, context: dict[str, object]) -> str:
    # Subjects are one line: a newline in a name must not add a header. The
    # no-break spaces of French typography ("signature : ...") stay.
    template = f"outbox/emails/{outbound.kind}_subject.txt"
    return one_line(render_to_string(template, context))


def _context(outbound: OutboundEmail) -> dict[str, object]:
    signature = outbound.signature
    assert signature is not None  # every kind of email is about a signature
    petition = signature.petition
    token = make_confirmation_token(signature.pk)
    context = {
        "signature": signature,
        "petition": petition,
        "site_name": settings.SITE_NAME,
        "petition_url": settings.SITE_URL + petition.statement.get_absolute_url(),
        "confirm_url": settings.SITE_URL
        + reverse("actions:confirm", kwargs={"slug": petition.slug, "token": token}),
        "your_data_url": settings.SITE_URL + reverse("actions:your_data"),
    }
    if outbound.kind == OutboundEmail.Kind.CONFIRM:
        # The receipts app's link, named by URL (the outbox does not import
        # it); a cheap HMAC, no query. It shows "once confirmed" until then.
        receipt_token = make_receipt_token(signature.pk)
        context["receipt_url"] = settings.SITE_URL + reverse(
            "actions:receipt", args=[receipt_token]
        )
    if outbound.kind == OutboundEmail.Kind.DATA_REQUEST:
        # Made at sending, so the link's lifetime starts when it is sent.
        data_token = make_data_token(signature.pk)
        context["data_url"] = settings.SITE_URL + reverse(
            "actions:your_data_copy", kwargs={"token": data_token}
        )
    return context
