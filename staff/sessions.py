"""Staff sessions end after a while without an admin request."""

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

SEEN_KEY = "staff_seen"
# The clock is pushed back at most this often, so admin pages do not write
# the session on every request: a session may end up to this much early.
REFRESH_SECONDS = 5 * 60


class AdminIdleTimeoutMiddleware:
    """Give a logged-in user's session ``STAFF_SESSION_IDLE_SECONDS`` more
    life on admin responses (the login's included), in the database and in
    the cookie alike; once that long passes idle, the session is gone and the
    admin asks for the password and code again.

    Only admin paths are touched: a public page neither reads nor writes a
    session, so it sets no cookie and stays cacheable. Place after the
    session and authentication middleware.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (
            user is not None
            and request.path.startswith(reverse("admin:index"))
            and user.is_authenticated
        ):
            extend_staff_session(request.session)
        return response


def extend_staff_session(session: SessionBase) -> None:
    """Restart the idle clock, unless it was restarted in the last few minutes."""
    now = int(time.time())
    if now - session.get(SEEN_KEY, 0) >= REFRESH_SECONDS:
        session[SEEN_KEY] = now
        session.set_expiry(settings.STAFF_SESSION_IDLE_SECONDS)
