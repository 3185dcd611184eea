"""The Redis circuit breaker, on real sockets: a port where nothing listens
(refused at once), and a redis-server of the test's own, paused (connections
accepted, nothing answered), which is the case the breaker is for."""

import logging
import threading
import time

import pytest
import redis

from actions.abuse import ratelimit
from actions.tests.integration.stack import PrivateRedis, free_port, wait_until
from campaign import redisbreaker
from campaign.redisbreaker import BreakerRedisCache, RedisUnavailable, breaker_for

OPEN_SECONDS = 0.5


@pytest.fixture(autouse=True)
def _breaker(settings):
    settings.REDIS_BREAKER_SECONDS = OPEN_SECONDS
    settings.REDIS_CONNECT_TIMEOUT = 0.2
    settings.REDIS_TIMEOUT = 0.2
    redisbreaker.reset_all()
    yield
    redisbreaker.reset_all()


@pytest.fixture
def closed_url() -> str:
    return f"redis://127.0.0.1:{free_port()}/0"


def _ping(url: str) -> None:
    """One call to Redis at ``url`` behind its breaker, as the site makes one."""
    client = redis.Redis.from_url(url, socket_connect_timeout=0.2, socket_timeout=0.2)
    with breaker_for(url).guard():
        client.ping()


def _cache(url: str) -> BreakerRedisCache:
    options = {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}
    return BreakerRedisCache(url, {"OPTIONS": options})


def _timed(call) -> tuple[float, type[BaseException] | None]:
    started = time.monotonic()
    try:
        call()
    except Exception as exc:  # the type is what the test looks at
        return time.monotonic() - started, type(exc)
    return time.monotonic() - started, None


def test_after_a_failed_call_the_next_ones_are_skipped_without_trying(closed_url):
    with pytest.raises(redis.ConnectionError) as first:
        _ping(closed_url)
    assert not isinstance(first.value, RedisUnavailable)

    for _ in range(3):
        with pytest.raises(RedisUnavailable):
            _ping(closed_url)


def test_after_a_while_one_call_is_tried_again(closed_url):
    with pytest.raises(redis.ConnectionError):
        _ping(closed_url)
    time.sleep(OPEN_SECONDS + 0.05)

    with pytest.raises(redis.ConnectionError) as trial:
        _ping(closed_url)
    assert not isinstance(trial.value, RedisUnavailable)
    with pytest.raises(RedisUnavailable):
        _ping(closed_url)  # open again after the failed trial


def test_each_redis_server_has_its_own_breaker(closed_url):
    other = f"redis://127.0.0.1:{free_port()}/0"
    with pytest.raises(redis.ConnectionError):
        _ping(closed_url)

    with pytest.raises(redis.ConnectionError) as call:
        _ping(other)
    assert not isinstance(call.value, RedisUnavailable)
    assert breaker_for(closed_url.replace("/0", "/3")) is breaker_for(closed_url)


def test_opening_is_logged_once(closed_url, caplog):
    with caplog.at_level(logging.WARNING, logger="campaign.redisbreaker"):
        for _ in range(5):
            with pytest.raises(redis.ConnectionError):
                _ping(closed_url)

    assert len(caplog.records) == 1
    assert "calls are skipped" in caplog.text


def test_turned_off_every_call_goes_to_redis(settings, closed_url):
    settings.REDIS_BREAKER_SECONDS = 0
    for _ in range(3):
        with pytest.raises(redis.ConnectionError) as call:
            _ping(closed_url)
        assert not isinstance(call.value, RedisUnavailable)


def test_while_open_the_cache_misses_and_drops_writes(closed_url):
    cache = _cache(closed_url)
    with pytest.raises(redis.ConnectionError):
        cache.get("count")  # the failure itself reaches the caller, as before

    assert cache.get("count", "missed") == "missed"
    assert cache.get_many(["a", "b"]) == {}
    assert cache.get_or_set("count", lambda: 42) == 42
    cache.set("count", 1)
    cache.delete("count")
    # Whether add stored is the caller's answer: its outage path decides.
    with pytest.raises(RedisUnavailable):
        cache.add("token", 1)


def test_while_open_rate_limits_let_signing_through_at_once(settings, closed_url):
    settings.REDIS_URL = closed_url
    ratelimit._script.cache_clear()
    try:
        assert ratelimit.count_attempt(key="1:abc", windows={"burst": 60}) is None
        took, _ = _timed(
            lambda: ratelimit.count_attempt(key="1:abc", windows={"burst": 60})
        )
    finally:
        ratelimit._script.cache_clear()

    assert breaker_for(closed_url).is_open
    assert took < 0.1


@pytest.mark.integration
def test_a_paused_redis_costs_one_timeout_then_calls_skip_until_it_answers(
    tmp_path, caplog
):
    server = PrivateRedis(tmp_path)
    server.start()
    cache = _cache(server.url)
    try:
        cache.set("count", 7)
        server.pause()
        with caplog.at_level(logging.WARNING, logger="campaign.redisbreaker"):
            first = _timed(lambda: cache.get("count"))
            skipped = [_timed(lambda: cache.get("count")) for _ in range(20)]
            server.resume()
            time.sleep(OPEN_SECONDS + 0.05)
            assert cache.get("count") == 7
    finally:
        server.resume()
        server.stop()

    assert first[1] is redis.TimeoutError and 0.15 < first[0] < 1
    assert max(took for took, _ in skipped) < 0.1
    assert {error for _, error in skipped} == {None}  # misses, not errors
    assert [r.message.split(";")[0] for r in caplog.records] == [
        f"Redis at 127.0.0.1:{server.port} failed (TimeoutError: Timeout reading "
        "from socket)",
        f"Redis at 127.0.0.1:{server.port} answers again",
    ]


@pytest.mark.integration
def test_half_open_only_one_call_waits_on_a_redis_still_paused(tmp_path):
    server = PrivateRedis(tmp_path)
    server.start()
    try:
        _ping(server.url)
        server.pause()
        with pytest.raises(redis.TimeoutError):
            _ping(server.url)
        time.sleep(OPEN_SECONDS + 0.05)
        trial = threading.Thread(target=_timed, args=(lambda: _ping(server.url),))
        trial.start()
        wait_until(lambda: breaker_for(server.url)._trying, timeout=5)
        during_trial = _timed(lambda: _ping(server.url))
        trial.join()
        after_trial = _timed(lambda: _ping(server.url))
        server.resume()
        time.sleep(OPEN_SECONDS + 0.05)
        answered = _timed(lambda: _ping(server.url))
    finally:
        server.resume()
        server.stop()

    assert during_trial[1] is RedisUnavailable and during_trial[0] < 0.1
    assert after_trial[1] is RedisUnavailable  # the trial failed: open again
    assert answered[1] is None
    assert not breaker_for(server.url).is_open
