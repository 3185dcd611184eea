"""Rendering and delivering outbox rows."""

import smtplib
import socket
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from actions import suppressions
from actions.models import OutboundEmail

# Errors after which the same email may well go through later.
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    smtplib.SMTPHeloError,
    ConnectionError,
    socket.timeout,
    TimeoutError,
    OSError,
)


class TransientEmailError(Exception):
    """Delivery failed for now; the row is queued again for ``retry_in`` s."""

    def __init__(self, retry_in: int) -> None:
        super().__init__(f"retry in {retry_in}s")
        self.retry_in = retry_in


def claim(outbound_email_id: int) -> OutboundEmail | None:
    """Move a row from queued to sending; None if another worker has it or it is done.

    The conditional UPDATE is what makes a duplicated task harmless.
    """
    claimed = OutboundEmail.objects.filter(
        pk=outbound_email_id, state=OutboundEmail.State.QUEUED
    ).update(
        state=OutboundEmail.State.SENDING,
        sending_at=timezone.now(),
        attempts=F("attempts") + 1,
    )
    if not claimed:
        return None
    return OutboundEmail.objects.select_related(
        "signature__petition__statement", "signature__petition__target"
    ).get(pk=outbound_email_id)


def deliver(outbound: OutboundEmail) -> None:
    """Send a claimed row and record the outcome.

    Raises TransientEmailError after putting the row back in the queue with a
    backoff; a permanent refusal, or a suppressed recipient, marks the row failed.
    """
    if suppressions.skip_if_suppressed(outbound):
        return  # it bounced hard or complained: more mail hurts the sender's name
    try:
        build_message(outbound).send()
    except smtplib.SMTPResponseException as exc:
        if 400 <= exc.smtp_code < 500:
            raise _defer(outbound, exc) from exc
        _fail(outbound, exc)
    except smtplib.SMTPRecipientsRefused as exc:
        # A 4xx at RCPT is greylisting or a full mailbox: try again later.
        if all(400 <= code < 500 for code, _ in exc.recipients.values()):
            raise _defer(outbound, exc) from exc
        _fail(outbound, exc)
    except TRANSIENT_ERRORS as exc:
        raise _defer(outbound, exc) from exc
    except Exception as exc:
        _fail(outbound, exc)  # a bug, not the network: retrying cannot help
        raise
    else:
        OutboundEmail.objects.filter(pk=outbound.pk).update(
            state=OutboundEmail.State.SENT, sent_at=timezone.now(), last_error=""
        )


def _defer(outbound: OutboundEmail, exc: Exception) -> TransientEmailError:
    retry_in = min(2 ** min(outbound.attempts, 16), settings.OUTBOX_MAX_BACKOFF)
    OutboundEmail.objects.filter(pk=outbound.pk).update(
        state=OutboundEmail.State.QUEUED,
        next_attempt_at=timezone.now() + timedelta(seconds=retry_in),
        last_error=repr(exc)[:1000],
    )
    return TransientEmailError(retry_in)


def _fail(outbound: OutboundEmail, exc: Exception) -> None:
    OutboundEmail.objects.filter(pk=outbound.pk).update(
        state=OutboundEmail.State.FAILED,
        failed_at=timezone.now(),
        last_error=repr(exc)[:1000],
    )


def build_message(outbound: OutboundEmail) -> EmailMultiAlternatives:
    """The email for a row, rendered from templates/actions/emails/<kind>.*"""
    context = _context(outbound)
    base = f"actions/emails/{outbound.kind}"
    with translation.override(settings.LANGUAGE_CODE):
        # Subjects are one line: a newline in a name must not add a header.
        subject = " ".join(render_to_string(f"{base}_subject.txt", context).split())
        text = render_to_string(f"{base}.txt", context)
        html = render_to_string(f"{base}.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[outbound.to_email])
    message.attach_alternative(html, "text/html")
    return message


def _context(outbound: OutboundEmail) -> dict[str, object]:
    from actions.services import make_confirmation_token

    signature = outbound.signature
    petition = signature.petition
    token = make_confirmation_token(signature)
    return {
        "signature": signature,
        "petition": petition,
        "site_name": settings.SITE_NAME,
        "petition_url": settings.SITE_URL + petition.statement.get_absolute_url(),
        "confirm_url": settings.SITE_URL
        + reverse("actions:confirm", kwargs={"slug": petition.slug, "token": token}),
    }
