"""The signing form's start time: a signed timestamp in a hidden field.

A person takes seconds to fill in the form; a script posts at once. The form
carries the time its page was served, signed so that it cannot be moved back.
Public pages are cached whole for a few seconds, and the form's markup longer,
so templates write a placeholder and :class:`FormStampMiddleware`, which runs
outside every cache, puts a fresh stamp in each response (as campaign.csp does
for the nonce). No cookie is involved. A CDN in front that caches the page for
N seconds makes stamps up to N seconds old, which only ever lets a form
through, never holds a person back.

A stamp is bound to its petition and expires (``ABUSE_STAMP_MAX_AGE_SECONDS``,
24 hours by default): a stamp taken from another petition's page, or kept for
days by a script, reads as missing, which signing treats as a weak signal (one
more step, see actions.abuse.challenge), never as a silent loss.
"""

import re
import time
from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import salted_hmac

SALT = "actions.sign-form.started"


@cache
def _marker() -> str:
    return (
        "form-stamp-"
        + salted_hmac(SALT, "placeholder", algorithm="sha256").hexdigest()[:32]
    )


def placeholder(petition_id: int | None = None) -> str:
    """What templates write for the stamp of a petition's form: the same in
    every process (a page cached by one may be served by another), and
    unguessable, so text typed into a page cannot turn into a stamp."""
    return _marker() + ("" if petition_id is None else f"-{petition_id}")


@cache
def _placeholder_pattern() -> re.Pattern[bytes]:
    return re.compile(re.escape(_marker().encode("ascii")) + rb"(?:-(\d{1,18}))?")


def make_stamp(at: float | None = None, *, petition_id: int | None = None) -> str:
    """A signed form start time for a petition's form: now, or ``at``
    (seconds since the epoch). Without a petition it is bound to none, and
    no petition takes it (``seconds_since`` with a petition)."""
    moment = time.time() if at is None else at
    # Milliseconds, rounded down: rounded to nearest, a stamp could lie half
    # a millisecond in the future.
    value = f"{int(moment * 1000) / 1000:.3f}"
    if petition_id is not None:
        value = f"{petition_id}:{value}"
    return signing.Signer(salt=SALT).sign(value)


def seconds_since(stamp: str, *, petition_id: int | None = None) -> float | None:
    """Seconds since the stamp was made; None if it is missing, tampered,
    expired, or (given a petition) made for another petition or none."""
    try:
        value = signing.Signer(salt=SALT).unsign(stamp)
        bound, _, moment = value.rpartition(":")
        started = float(moment)
    except (signing.BadSignature, ValueError):
        return None
    if petition_id is not None and bound != str(petition_id):
        return None
    elapsed = time.time() - started
    if elapsed > settings.ABUSE_STAMP_MAX_AGE_SECONDS:
        return None
    return elapsed


class FormStampMiddleware:
    """Replace the placeholder in HTML responses with a fresh stamp.

    Changes only the response; a page without a form is left alone.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(response, "streaming", False) or not response.get(
            "Content-Type", ""
        ).startswith("text/html"):
            return response
        marker = _marker().encode("ascii")
        if marker in response.content:
            response.content = _placeholder_pattern().sub(_stamp_for, response.content)
            if response.has_header("Content-Length"):
                response["Content-Length"] = str(len(response.content))
        return response


def _stamp_for(match: re.Match[bytes]) -> bytes:
    petition = match.group(1)
    return make_stamp(petition_id=None if petition is None else int(petition)).encode(
        "ascii"
    )
