"""The signing form's start time: a signed timestamp in a hidden field.

A person takes seconds to fill in the form; a script posts at once. The form
carries the time its page was served, signed so that it cannot be moved back.
Public pages are cached whole for a few seconds, and the form's markup longer,
so templates write a placeholder and :class:`FormStampMiddleware`, which runs
outside every cache, puts a fresh stamp in each response (as campaign.csp does
for the nonce). No cookie is involved. A CDN in front that caches the page for
N seconds makes stamps up to N seconds old, which only ever lets a form
through, never holds a person back.
"""

import time
from collections.abc import Callable
from functools import cache

from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import salted_hmac

SALT = "actions.sign-form.started"


@cache
def placeholder() -> str:
    """What templates write for the stamp: the same in every process (a page
    cached by one may be served by another), and unguessable, so text typed
    into a page cannot turn into a stamp."""
    return (
        "form-stamp-"
        + salted_hmac(SALT, "placeholder", algorithm="sha256").hexdigest()[:32]
    )


def make_stamp(at: float | None = None) -> str:
    """A signed form start time: now, or ``at`` (seconds since the epoch)."""
    moment = time.time() if at is None else at
    # Milliseconds, rounded down: rounded to nearest, a stamp could lie half
    # a millisecond in the future.
    return signing.Signer(salt=SALT).sign(f"{int(moment * 1000) / 1000:.3f}")


def seconds_since(stamp: str) -> float | None:
    """Seconds since the stamp was made; None if it is missing or tampered."""
    try:
        started = float(signing.Signer(salt=SALT).unsign(stamp))
    except (signing.BadSignature, ValueError):
        return None
    return time.time() - started


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
        marker = placeholder().encode("ascii")
        if marker in response.content:
            response.content = response.content.replace(
                marker, make_stamp().encode("ascii")
            )
            if response.has_header("Content-Length"):
                response["Content-Length"] = str(len(response.content))
        return response
