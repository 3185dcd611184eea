"""The address of the client behind a request: the one rule for every limit.

Rate limits and the admin lockout count per client address. An address taken
from a header the client writes itself would let anyone pick a fresh one per
request, so ``X-Forwarded-For`` is read only as far as our own proxies wrote it.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


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
