"""Content Security Policy nonces that survive the page cache, and the admin's
own policy.

Public pages are cached whole for a few seconds (``cache_page``), so a nonce
written into the HTML at render time would be served again to other visitors
while the header carried none, or a different one. Templates therefore write a
placeholder (``{{ csp_nonce }}`` from :func:`nonce_placeholder`), and
:class:`NonceMiddleware`, which runs outside the cache on every response,
replaces it with this response's own nonce, the one Django's
``ContentSecurityPolicyMiddleware`` puts in the header. Cached HTML never holds
a real nonce. The placeholder is the same in every process (a page cached by
one, in a shared cache, may be served by another) and derived from the secret
key, so text a campaigner or a supporter writes cannot contain it.

Every path under the admin gets ``settings.ADMIN_CSP`` instead of
``settings.SECURE_CSP``.
"""

from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.crypto import salted_hmac


@cache
def placeholder() -> str:
    """What templates write for the nonce: the same in every process, and
    unguessable without the secret key."""
    digest = salted_hmac("campaign.csp.placeholder", "nonce", algorithm="sha256")
    return "csp-nonce-" + digest.hexdigest()[:32]


def nonce_placeholder(request: HttpRequest) -> dict[str, str]:
    """Context processor: ``csp_nonce`` for templates, replaced per response."""
    return {"csp_nonce": placeholder()}


class NonceMiddleware:
    """Put this response's nonce where templates wrote the placeholder.

    Must sit below ``django.middleware.csp.ContentSecurityPolicyMiddleware``.
    Every HTML response gets a fresh nonce in its header, whether or not its
    page uses one, so a cached page and a fresh one look alike. Changes only the
    response; safe on any request.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith(reverse("admin:index")):
            if getattr(response, "_csp_config", None) is None:
                # Django's private per-response override, absent from its stubs.
                response._csp_config = settings.ADMIN_CSP  # type: ignore[attr-defined]
        if not _is_html(response):
            return response
        # Django's CSP middleware sets it (the stubs do not know it); reading
        # it generates the nonce, so the header carries it.
        nonce = str(request._csp_nonce)  # type: ignore[attr-defined]
        marker = placeholder().encode("ascii")
        if marker in response.content:
            response.content = response.content.replace(marker, nonce.encode("ascii"))
            if response.has_header("Content-Length"):
                response["Content-Length"] = str(len(response.content))
        return response


def _is_html(response: HttpResponse) -> bool:
    return not getattr(response, "streaming", False) and response.get(
        "Content-Type", ""
    ).startswith("text/html")
