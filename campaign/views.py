import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from campaign.readiness import readiness

# A database that cannot be reached (down, restarting, refusing connections)
# reaches views as one of these, whichever query met it.
DATABASE_DOWN = (OperationalError, InterfaceError)
# What the 503 page asks for: "try again in a minute".
RETRY_AFTER_SECONDS = 60
# Pages whose POST takes a signature: their 503 page says it was not taken.
SIGNING_VIEWS = {"actions:sign", "actions:step"}


def healthz(request: HttpRequest) -> HttpResponse:
    """A liveness probe for load balancers, and the benchmark's baseline view."""
    return HttpResponse("ok", content_type="text/plain")


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    """A readiness probe for load balancers: whether the database, Redis and
    the broker each answer within a short timeout. 503 naming those that did
    not; only names and outcomes, never an address or an error's text."""
    checks = readiness()
    failed = sorted(name for name, ok in checks.items() if not ok)
    body = {
        "status": "unavailable" if failed else "ok",
        "checks": {name: "ok" if ok else "failed" for name, ok in checks.items()},
        "failed": failed,
    }
    return JsonResponse(body, status=503 if failed else 200)


def server_error(request: HttpRequest) -> HttpResponse:
    """The site's 500 handler. A database outage gets a 503 page that asks the
    visitor to try again in a minute (with Retry-After), rendered without the
    database; every other error gets Django's plain 500 page."""
    if not isinstance(sys.exception(), DATABASE_DOWN):
        return defaults.server_error(request)
    match = getattr(request, "resolver_match", None)
    signing = request.method == "POST" and (
        match is not None and match.view_name in SIGNING_VIEWS
    )
    response = render(request, "503.html", {"signing": signing}, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    # Never kept by a cache in front of the site: the outage ends soon.
    add_never_cache_headers(response)
    return response
