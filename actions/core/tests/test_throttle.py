import time

import pytest

from actions.core.bulk import throttle


@pytest.fixture(autouse=True)
def _fresh_schedule(settings):
    settings.FOLLOW_UP_RATE = 200
    if throttle._redis_url():
        throttle._script(throttle._redis_url()).registered_client.delete(
            throttle.PACE_KEY
        )


def test_reservations_are_laid_end_to_end_at_the_rate():
    started = time.monotonic()
    waits = [throttle.wait_for_turn(20) for _ in range(5)]
    took = time.monotonic() - started

    # 100 emails at 200/s: the fifth reservation starts 0.4 s in.
    assert waits[0] < 0.05
    assert took >= 0.38, waits
    assert took < 1.0, waits


def test_no_limit_means_no_wait(settings):
    settings.FOLLOW_UP_RATE = 0

    assert [throttle.wait_for_turn(10_000) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert throttle.chunk_size() == settings.FOLLOW_UP_BATCH_SIZE


def test_chunks_are_a_tenth_of_a_second_of_sending(settings):
    settings.FOLLOW_UP_RATE = 500
    assert throttle.chunk_size() == 50
    settings.FOLLOW_UP_RATE = 5
    assert throttle.chunk_size() == 1
