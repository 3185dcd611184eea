"""Delivering outbox rows: claim one, send it over a kept connection, record
the outcome."""

import smtplib
import socket
import threading
import time
from datetime import timedelta
from typing import cast

from django.conf import settings
from django.core.cache import caches
from django.core.mail import EmailMultiAlternatives, mailers
from django.core.mail.backends.base import BaseEmailBackend
from django.db.models import F, QuerySet
from django.utils import timezone

from actions.models import Petition
from actions.outbox import lease
from actions.outbox.messages import build_message
from actions.outbox.models import OutboundEmail
from actions.suppressions.services import is_suppressed

# A kept SMTP session idle this long is checked before use (servers drop idle
# sessions, RFC 5321 after 5 minutes at the earliest).
MAILER_CHECK_AFTER = 10

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


SUPPRESSED = "Not sent: the address is on the suppression list."


class TransientEmailError(Exception):
    """Delivery failed for now; the row is queued again for ``retry_in`` s."""

    def __init__(self, retry_in: int) -> None:
        super().__init__(f"retry in {retry_in}s")
        self.retry_in = retry_in


def claim(outbound_email_id: int) -> OutboundEmail | None:
    """Move a row from queued to sending, leased to this worker; None if
    another worker has it or it is done.

    The conditional UPDATE is what makes a duplicated task harmless.
    """
    claimed = OutboundEmail.objects.filter(
        pk=outbound_email_id, state=OutboundEmail.State.QUEUED
    ).update(
        state=OutboundEmail.State.SENDING,
        sending_at=timezone.now(),
        lease_until=lease.lease_end(),
        attempts=F("attempts") + 1,
    )
    if not claimed:
        return None
    outbound = OutboundEmail.objects.select_related("signature").get(
        pk=outbound_email_id
    )
    if outbound.signature is not None:
        outbound.signature.petition = _petition(outbound.signature.petition_id)
    return outbound


def _petition(petition_id: int) -> Petition:
    """A petition with what its emails show, kept a few seconds per process:
    a burst of signatures on one petition reads it once."""
    return cast(
        Petition,
        caches["rows"].get_or_set(
            f"petition-email:{petition_id}",
            lambda: Petition.objects.select_related("statement", "target").get(
                pk=petition_id
            ),
        ),
    )


def deliver(outbound: OutboundEmail) -> None:
    """Send a claimed row, its lease renewed meanwhile, and record the outcome.

    Raises TransientEmailError after putting the row back in the queue with a
    backoff; a permanent refusal, or a suppressed recipient, marks the row failed.
    An outcome is written only while the row is still this claim's.
    """
    if is_suppressed(outbound.to_email):
        # It bounced hard or complained: more mail hurts the sender's name.
        _fail(outbound, SUPPRESSED)
        return
    try:
        with lease.holding(outbound) as held:
            _send(build_message(outbound), held)
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
        # Taken back but not claimed again (lease lost): it went, so it is
        # not sent a second time.
        OutboundEmail.objects.filter(
            pk=outbound.pk,
            attempts=outbound.attempts,
            state__in=[OutboundEmail.State.SENDING, OutboundEmail.State.QUEUED],
        ).update(state=OutboundEmail.State.SENT, sent_at=timezone.now(), last_error="")


class _Mailer(threading.local):
    """The mail connection of this thread, kept open from one email to the next.

    A connection per message (with TLS, a handshake per message) would cost
    more than the message. Rebuilt when MAILERS changes, and checked with a
    NOOP after a pause, since servers drop idle sessions.
    """

    backend: BaseEmailBackend | None = None
    config: dict | None = None
    used_at: float = 0.0

    def get(self) -> BaseEmailBackend:
        config = settings.MAILERS.get("default")
        if self.backend is not None and (
            config != self.config or not self._alive_after_pause()
        ):
            self.drop()
        if self.backend is None:
            self.backend, self.config = mailers.default, config
            self.backend.open()
        return self.backend

    def _alive_after_pause(self) -> bool:
        smtp = getattr(self.backend, "connection", None)
        if smtp is None or time.monotonic() - self.used_at < MAILER_CHECK_AFTER:
            return True
        try:
            return smtp.noop()[0] == 250
        except (smtplib.SMTPException, OSError):
            return False

    def drop(self) -> None:
        backend, self.backend = self.backend, None
        if backend is not None:
            try:
                backend.close()
            except Exception:  # closing a broken connection may fail again
                pass


_mailer = _Mailer()


def _send(message: EmailMultiAlternatives, held: lease.Held) -> None:
    """Send over this thread's kept connection; any error drops the
    connection, so the next email starts on a fresh one."""
    try:
        backend = _mailer.get()
        held.attach(backend)
        backend.send_messages([message])
    except Exception:
        _mailer.drop()
        raise
    _mailer.used_at = time.monotonic()


def _defer(outbound: OutboundEmail, exc: Exception) -> TransientEmailError:
    retry_in = min(2 ** min(outbound.attempts, 16), settings.OUTBOX_MAX_BACKOFF)
    _still_held(outbound).update(
        state=OutboundEmail.State.QUEUED,
        next_attempt_at=timezone.now() + timedelta(seconds=retry_in),
        last_error=repr(exc)[:1000],
    )
    return TransientEmailError(retry_in)


def _fail(outbound: OutboundEmail, error: Exception | str) -> None:
    _still_held(outbound).update(
        state=OutboundEmail.State.FAILED,
        failed_at=timezone.now(),
        last_error=error if isinstance(error, str) else repr(error)[:1000],
    )


def _still_held(outbound: OutboundEmail) -> QuerySet[OutboundEmail]:
    """The row, if this claim still holds it: not taken back by the sweeper
    and claimed again, nor erased."""
    return OutboundEmail.objects.filter(
        pk=outbound.pk, state=OutboundEmail.State.SENDING, attempts=outbound.attempts
    )
