"""The address of the client behind a request: the one rule for every limit.

Rate limits and the admin lockout count per client address. An address taken
from a header the client writes itself would let anyone pick a fresh one per
request, so ``X-Forwarded-For`` is read only as far as our own proxies wrote it.
"""

import functools
import ipaddress
import logging

from django.conf import settings
from django.core import checks
from django.http import HttpRequest

logger = logging.getLogger(__name__)


def client_ip(request: HttpRequest) -> str:
    """The client's address, trusting ``settings.TRUSTED_PROXY_COUNT`` proxies.

    With no trusted proxy (the default) it is ``REMOTE_ADDR``. With N proxies in
    front, each appends the address it received the request from to
    ``X-Forwarded-For``, so the client is the N-th entry from the right; entries
    further left were written by the client and are ignored. Reads only; never
    raises: a malformed entry falls back to ``REMOTE_ADDR``.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        if "x-forwarded-for" in request.headers:
            _warn_forwarded_ignored()
        return remote
    forwarded = request.headers.get("x-forwarded-for", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    hops.append(remote)
    # The request passed fewer proxies than expected: the leftmost is the best
    # we know, and it is still not chosen freely by a client that went through
    # all of them.
    candidate = hops[-(proxies + 1)] if len(hops) > proxies else hops[0]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


@functools.cache
def _warn_forwarded_ignored() -> None:
    """Say once per process (the cache) that X-Forwarded-For is ignored.

    Behind a proxy that is a misconfiguration that makes every client one:
    one rate limit for everybody, and the admin lockout locks out all staff.
    A site facing clients directly also sees the header from clients' own
    proxies, hence "if": once per process keeps that to one line.
    """
    logger.warning(
        "Requests carry X-Forwarded-For but TRUSTED_PROXY_COUNT is 0, so the "
        "header is ignored. If this site runs behind a proxy or load balancer, "
        "every client looks the same (the proxy's address) to the rate limits "
        "and the admin lockout: set TRUSTED_PROXY_COUNT to the number of "
        "proxies in front of the site."
    )


def check_trusted_proxies(app_configs: object = None, **kwargs: object) -> list:
    """System check: a site that says it is behind a proxy trusts none.

    A check sees settings, never requests. BEHIND_PROXY=1 (which trusts the
    proxy's X-Forwarded-Proto, SECURE_PROXY_SSL_HEADER) is the site's own word
    that a proxy is in front; with TRUSTED_PROXY_COUNT at 0 every client then
    has the proxy's address. Without BEHIND_PROXY the check stays silent: a
    site facing clients directly is right to ignore X-Forwarded-For, and the
    first request that carries it is logged (client_ip).
    """
    behind_proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None) is not None
    if not behind_proxy or settings.TRUSTED_PROXY_COUNT > 0:
        return []
    return [
        checks.Warning(
            "BEHIND_PROXY is set but TRUSTED_PROXY_COUNT is 0: every client "
            "has the proxy's address, so the rate limits and the admin lockout "
            "treat all of them as one.",
            hint="Set TRUSTED_PROXY_COUNT to the number of proxies in front of "
            "the site (1 for one load balancer).",
            id="campaign.W001",
        )
    ]
