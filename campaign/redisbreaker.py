"""A circuit breaker in front of the Redis calls a request makes (the cache,
rate limits, handing tasks to the broker), so a Redis outage costs a process
one short timeout now and then, not one per call.

After a call to a Redis server fails (refused, reset or timed out), this
process skips that server's calls for REDIS_BREAKER_SECONDS (open): they
raise RedisUnavailable at once, and each caller does what it does when Redis
does not answer. Then one call goes through (half-open): if it succeeds the
breaker closes, if it fails it opens again. A paused Redis accepts
connections but never answers, so without the breaker every request would
wait out the read timeout. Each server (host and port) has a breaker of its
own in each process. REDIS_BREAKER_SECONDS=0 turns it off. Opening and
closing are logged once each.
"""

import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import redis
from django.conf import settings
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

# What Redis being away looks like: redis-py's errors, the socket's, and
# kombu's wrapper of them when publishing a task.
FAILURES = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    OSError,
    OperationalError,
)


class RedisUnavailable(redis.exceptions.ConnectionError):
    """Redis failed moments ago in this process: the call was not made."""


class Breaker:
    """The breaker of one Redis server in this process."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.reset()

    def reset(self) -> None:
        """Closed, as in a new process."""
        self._lock = threading.Lock()
        self._opened_at: float | None = None
        self._trying = False

    @property
    def is_open(self) -> bool:
        return self._opened_at is not None

    @contextmanager
    def guard(self) -> Iterator[None]:
        """Run the block (one Redis call), or raise RedisUnavailable instead
        while the breaker is open. The block's own errors pass through."""
        seconds = settings.REDIS_BREAKER_SECONDS
        if not seconds:
            yield
            return
        trial = self._admit(seconds)
        answered = False
        try:
            yield
            answered = True
        except RedisUnavailable:
            raise  # another server's breaker, inside this call
        except FAILURES as exc:
            self._fail(exc, seconds)
            raise
        except redis.exceptions.RedisError:
            answered = True  # an error of the call's own: Redis answered
            raise
        finally:
            if answered:
                self._succeed()
            elif trial:
                self._end_trial()

    def _admit(self, seconds: float) -> bool:
        """Whether this call is the trial; raises RedisUnavailable while open."""
        if self._opened_at is None:
            return False  # closed: the usual case, without the lock
        with self._lock:
            if self._opened_at is None:
                return False
            if self._trying or time.monotonic() - self._opened_at < seconds:
                raise RedisUnavailable(f"Redis at {self.name} failed; call skipped")
            self._trying = True  # half-open
            return True

    def _end_trial(self) -> None:
        with self._lock:
            self._trying = False

    def _fail(self, exc: BaseException, seconds: float) -> None:
        with self._lock:
            was_closed = self._opened_at is None
            self._settle(opened_at=time.monotonic())
        if was_closed:
            logger.warning(
                "Redis at %s failed (%s: %s); its calls are skipped in this "
                "process, trying one every %s s until it answers",
                self.name,
                type(exc).__name__,
                exc,
                seconds,
            )

    def _succeed(self) -> None:
        if self._opened_at is None:
            return
        with self._lock:
            was_open = self._opened_at is not None
            self._settle(opened_at=None)
        if was_open:
            logger.warning("Redis at %s answers again; its calls resume", self.name)

    def _settle(self, *, opened_at: float | None) -> None:
        self._opened_at, self._trying = opened_at, False


_breakers: dict[str, Breaker] = {}
_breakers_lock = threading.Lock()


def breaker_for(url: str) -> Breaker:
    """The breaker of the Redis server this URL names (its host and port)."""
    parts = urlsplit(url)
    name = f"{parts.hostname}:{parts.port or 6379}" if parts.hostname else parts.path
    breaker = _breakers.get(name)
    if breaker is None:
        with _breakers_lock:
            breaker = _breakers.setdefault(name, Breaker(name))
    return breaker


def reset_all() -> None:
    """Every breaker closed, as in a new process (tests; a forked child)."""
    global _breakers_lock
    _breakers_lock = threading.Lock()
    for breaker in list(_breakers.values()):
        breaker.reset()


# A child forked while another thread held a lock would never get it, and
# starts with its own view of Redis.
os.register_at_fork(after_in_child=reset_all)


class BreakerRedisCache(RedisCache):
    """Django's Redis cache behind the breaker. While it is open, reads miss
    and writes are dropped, at once. ``add`` and ``incr`` raise
    RedisUnavailable instead: their callers must know whether they stored,
    and take their outage path (a challenge let through, a webhook refused)."""

    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        super().__init__(server, params)
        servers = re.split("[;,]", server) if isinstance(server, str) else server
        self._breaker = breaker_for(servers[0])  # the primary: writes go there

    def _unless_open(self, call: Callable[..., Any], *args: Any, skipped: Any) -> Any:
        try:
            with self._breaker.guard():
                return call(*args)
        except RedisUnavailable:
            return skipped

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._unless_open(super().get, key, default, version, skipped=default)

    def get_many(
        self, keys: Iterable[Any], version: int | None = None
    ) -> dict[Any, Any]:
        return self._unless_open(super().get_many, keys, version, skipped={})

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self._unless_open(super().has_key, key, version, skipped=False)

    def set(
        self,
        key: Any,
        value: Any,
        timeout: float | None = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> None:
        self._unless_open(super().set, key, value, timeout, version, skipped=None)

    def set_many(
        self,
        data: dict[Any, Any],
        timeout: float | None = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> list[Any]:
        return self._unless_open(
            super().set_many, data, timeout, version, skipped=list(data)
        )

    def touch(
        self,
        key: Any,
        timeout: float | None = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> bool:
        return self._unless_open(super().touch, key, timeout, version, skipped=False)

    def delete(self, key: Any, version: int | None = None) -> bool:
        return self._unless_open(super().delete, key, version, skipped=False)

    def delete_many(self, keys: Iterable[Any], version: int | None = None) -> None:
        self._unless_open(super().delete_many, keys, version, skipped=None)

    def clear(self) -> None:
        self._unless_open(super().clear, skipped=None)

    def add(
        self,
        key: Any,
        value: Any,
        timeout: float | None = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> bool:
        with self._breaker.guard():
            return super().add(key, value, timeout, version)

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        with self._breaker.guard():
            return super().incr(key, delta, version)

    def get_or_set(
        self,
        key: Any,
        default: Any,
        timeout: float | None = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> Any:
        computed: list[Any] = []

        def value() -> Any:  # computed once, whether stored or not
            if not computed:
                computed.append(default() if callable(default) else default)
            return computed[0]

        try:
            return super().get_or_set(key, value, timeout, version)
        except RedisUnavailable:
            return value()
