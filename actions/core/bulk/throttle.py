"""The bulk sending rate, shared by every bulk worker (follow-ups and letters).

Each worker reserves time for the emails it is about to send and sleeps until
its turn: the slots of all workers laid end to end never exceed
FOLLOW_UP_RATE emails a second. The schedule lives in Redis (one key, Redis's
clock) when the broker is Redis, else in this process (development).
"""

import threading
import time
from collections.abc import Iterator, Sequence
from functools import lru_cache

import redis
from django.conf import settings

# The key keeps its first name: workers of the previous release share it.
PACE_KEY = "campaign:follow-ups:next-slot"


# Returns how long the caller waits; the key holds when the next slot starts.
_RESERVE = """
local now = redis.call('TIME')
now = tonumber(now[1]) + tonumber(now[2]) / 1000000
local start = tonumber(redis.call('GET', KEYS[1]) or '0')
if start < now then start = now end
redis.call('SET', KEYS[1], tostring(start + tonumber(ARGV[1])), 'EX', 3600)
return tostring(start - now)
"""

_local_lock = threading.Lock()
_local_next = 0.0


def chunk_size() -> int:
    """How many emails to reserve at a time: about a tenth of a second's worth."""
    rate = settings.FOLLOW_UP_RATE
    return max(1, rate // 10) if rate > 0 else settings.FOLLOW_UP_BATCH_SIZE


def chunks[T](rows: Sequence[T]) -> Iterator[Sequence[T]]:
    """The rows in chunks of chunk_size(), for wait_for_turn() each."""
    size = chunk_size()
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def wait_for_turn(emails: int) -> float:
    """Sleep until this worker may send ``emails`` more; return the seconds slept."""
    rate = settings.FOLLOW_UP_RATE
    if rate <= 0 or emails <= 0:
        return 0.0
    wait = _reserve(emails / rate)
    if wait > 0:
        time.sleep(wait)
    return max(wait, 0.0)


def _reserve(seconds: float) -> float:
    url = _redis_url()
    if url:
        return float(_script(url)(keys=[PACE_KEY], args=[seconds]))
    return _reserve_locally(seconds)


def _reserve_locally(seconds: float) -> float:
    global _local_next
    with _local_lock:
        now = time.monotonic()
        start = max(_local_next, now)
        _local_next = start + seconds
        return start - now


def _redis_url() -> str:
    url = settings.CELERY_BROKER_URL
    return url if url.startswith(("redis://", "rediss://")) else ""


@lru_cache(maxsize=4)
def _script(url: str) -> redis.commands.core.Script:
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    return client.register_script(_RESERVE)
