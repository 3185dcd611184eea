"""Per-client limits on the public forms that send email without signing
("Your data", "send the confirmation again"), beside their per-address caps.

A client is known by its keyed hash (screening.client_hash: an IPv6 client by
its /64); requests are counted in Redis with the signing rate limits' counter.
"""

from actions.abuse import ratelimit, screening


def over_client_limit(*, action: str, client_ip: str, limit: int, seconds: int) -> bool:
    """Count one ``action`` request from this client; True when it is more
    than ``limit`` in ``seconds``. An unknown client, a limit of 0 or a Redis
    outage (logged) never refuse: the per-address caps still hold."""
    hashed = screening.client_hash(client_ip)
    if not hashed or not limit:
        return False
    counts = ratelimit.count_attempt(
        key=f"{action}:{hashed}", windows={"window": seconds}
    )
    return counts is not None and counts["window"] > limit
