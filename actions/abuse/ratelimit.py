"""Signing attempts counted per client and petition, in Redis.

Each window is a counter that starts at the first attempt and expires the
window's length later, so no more than the limit pass in any window that
starts with an attempt. Every window is counted in one round trip (a Lua
script). Without Redis (REDIS_URL unset: development) the counters live in
the process's cache.

When Redis does not answer, signing goes on unlimited and the failure is
logged: losing signatures in an outage is worse than letting a burst through.
So it does while the Redis circuit breaker is open (campaign.redisbreaker),
without waiting for Redis.
"""

import logging
from functools import cache

import redis
from django.conf import settings
from django.core.cache import caches

from campaign.redisbreaker import breaker_for

logger = logging.getLogger(__name__)

# INCR each key; give it its window (ARGV) when it has no expiry yet, which
# also mends a counter that lost its expiry.
COUNT_SCRIPT = """
local counts = {}
for i, key in ipairs(KEYS) do
  counts[i] = redis.call('INCR', key)
  if redis.call('TTL', key) < 0 then redis.call('EXPIRE', key, ARGV[i]) end
end
return counts
"""


@cache
def _script() -> redis.commands.core.Script:
    client = redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=settings.REDIS_CONNECT_TIMEOUT,
        socket_timeout=settings.REDIS_TIMEOUT,
    )
    return client.register_script(COUNT_SCRIPT)


def count_attempt(*, key: str, windows: dict[str, int]) -> dict[str, int] | None:
    """Count one attempt in each named window (name -> seconds) of ``key``.

    Returns the count in each window, this attempt included, or None when the
    store is unreachable (logged; never raises).
    """
    keys = {name: f"campaign:signing-rate:{key}:{name}" for name in windows}
    try:
        if not settings.REDIS_URL:
            return {name: _count_locally(keys[name], windows[name]) for name in keys}
        with breaker_for(settings.REDIS_URL).guard():
            counts = _script()(keys=list(keys.values()), args=list(windows.values()))
    except Exception:  # redis-py raises several unrelated types when Redis is down
        logger.warning("Rate limit store unavailable; signing is not rate limited")
        return None
    return dict(zip(keys, counts, strict=True))


def _count_locally(key: str, seconds: int) -> int:
    store = caches["default"]
    store.add(key, 0, seconds)
    return store.incr(key)
