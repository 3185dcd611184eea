import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    JsonResponse,
)
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views import defaults
from django.views.decorators.cache import cache_control, never_cache
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


# Pages whose address holds a supporter's token: never crawled, in any language.
TOKEN_PAGES = [
    "/petitions/*/confirm/",
    "/petitions/*/thanks/*/",
    "/unsubscribe/",
    "/your-data/*/",
    "/receipts/*/",
]


@require_safe
@cache_control(public=True, max_age=3600)
def robots_txt(request: HttpRequest) -> HttpResponse:
    """robots.txt: no admin, no token pages, and where the sitemap is."""
    prefixes = [""] + [
        f"/{code}"
        for code, _name in settings.LANGUAGES
        if code != settings.LANGUAGE_CODE
    ]
    context = {
        "disallowed": [prefix + page for prefix in prefixes for page in TOKEN_PAGES],
        "sitemap_url": request.build_absolute_uri(reverse("sitemap")),
    }
    return render(request, "robots.txt", context, content_type="text/plain")


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, asked for by browsers and crawlers that ignore the page's
    icon link: the SVG icon."""
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))


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
