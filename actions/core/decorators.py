"""Cross-site request forgery defence for the anonymous supporter forms."""

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.template.loader import render_to_string
from django.views.decorators.csrf import csrf_exempt


def _origin_allowed(request: HttpRequest) -> bool:
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site in {"same-origin", "none"}
    origin = request.headers.get("Origin")
    if origin is None:
        return True  # browsers send Origin with every POST; this is not one
    own = f"{request.scheme}://{request.get_host()}"
    return origin in {own, *settings.CSRF_TRUSTED_ORIGINS}


def same_origin_post(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Accept a POST only from this site's own pages, judged by the browser's
    Sec-Fetch-Site and Origin headers instead of a CSRF cookie.

    Supporter forms are anonymous, so a cookie would buy nothing but would stop
    the statement page from being cached (here and at a CDN) and would set a
    cookie on every visitor. Browsers send these headers on every cross-site
    POST, which is the attack CSRF tokens exist to stop.
    """

    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if request.method == "POST" and not _origin_allowed(request):
            return HttpResponseForbidden(
                render_to_string("403_csrf.html", request=request)
            )
        return view(request, *args, **kwargs)

    return wrapper
