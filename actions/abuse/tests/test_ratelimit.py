import logging

import pytest
import redis
from django.conf import settings

from actions.abuse import ratelimit
from actions.tests.integration.stack import free_port

WINDOWS = {"burst": 60, "sustained": 3600}


@pytest.fixture
def no_redis(settings):
    """REDIS_URL names a port where no Redis answers."""
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    ratelimit._script.cache_clear()
    yield
    ratelimit._script.cache_clear()


def test_each_attempt_counts_in_every_window():
    counts = [ratelimit.count_attempt(key="1:abc", windows=WINDOWS) for _ in range(3)]

    assert counts == [
        {"burst": 1, "sustained": 1},
        {"burst": 2, "sustained": 2},
        {"burst": 3, "sustained": 3},
    ]
    assert ratelimit.count_attempt(key="1:def", windows=WINDOWS) == {
        "burst": 1,
        "sustained": 1,
    }


def test_without_redis_signing_goes_on_unlimited_and_says_so(no_redis, caplog):
    with caplog.at_level(logging.WARNING, logger="actions.abuse.ratelimit"):
        counts = ratelimit.count_attempt(key="1:abc", windows=WINDOWS)

    assert counts is None
    assert "Rate limit store unavailable" in caplog.text


@pytest.mark.integration
def test_in_redis_each_counter_expires_with_its_window():
    assert settings.REDIS_URL, "needs REDIS_URL"
    ratelimit._script.cache_clear()
    ratelimit.count_attempt(key="7:abc", windows=WINDOWS)
    ratelimit.count_attempt(key="7:abc", windows=WINDOWS)

    client = redis.Redis.from_url(settings.REDIS_URL)
    burst, sustained = (
        f"campaign:signing-rate:7:abc:{name}" for name in ("burst", "sustained")
    )
    assert int(client.get(burst)) == int(client.get(sustained)) == 2
    assert 55 < client.ttl(burst) <= 60
    assert 3590 < client.ttl(sustained) <= 3600


@pytest.mark.integration
def test_in_redis_a_counter_that_lost_its_expiry_gets_it_back():
    assert settings.REDIS_URL, "needs REDIS_URL"
    ratelimit._script.cache_clear()
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.set("campaign:signing-rate:8:abc:burst", 5)

    counts = ratelimit.count_attempt(key="8:abc", windows={"burst": 60})

    assert counts == {"burst": 6}
    assert 0 < client.ttl("campaign:signing-rate:8:abc:burst") <= 60
