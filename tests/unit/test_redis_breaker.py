"""The breaker of a Redis server: skipped for a pause after a failed call, tried again by
one call after it (hub.redis_breaker)."""

from __future__ import annotations

import pytest

from hub.redis_breaker import RedisBreaker, RedisBreakers, RedisSkipped, guarded


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _failing(breaker: RedisBreaker) -> None:
    with pytest.raises(TimeoutError), guarded(breaker):
        raise TimeoutError("Timeout reading from socket")


def _opened(clock: Clock) -> RedisBreaker:
    """A breaker of 5 s, opened by a call that timed out."""
    breaker = RedisBreaker(5.0, clock)
    _failing(breaker)
    return breaker


def test_after_one_failed_call_redis_is_skipped_until_the_pause_is_over():
    clock = Clock()
    breaker = _opened(clock)
    clock.now += 4.9
    with pytest.raises(RedisSkipped), guarded(breaker):
        pytest.fail("Redis asked while its breaker is open")
    assert breaker.counts == {"ok": 0, "failed": 1, "skipped": 1}


def test_after_the_pause_one_call_tries_redis_again_while_the_others_still_skip_it():
    clock = Clock()
    breaker = _opened(clock)
    clock.now += 5.0
    assert breaker.allows()
    assert not breaker.allows()
    breaker.succeeded()
    assert breaker.allows()
    assert breaker.counts == {"ok": 1, "failed": 1, "skipped": 1}


def test_a_failed_try_after_the_pause_opens_it_again():
    clock = Clock()
    breaker = _opened(clock)
    clock.now += 5.0
    _failing(breaker)
    clock.now += 4.0
    assert not breaker.allows()


def test_a_pause_of_zero_never_skips_redis():
    breaker = RedisBreaker(0.0, Clock())
    _failing(breaker)
    assert breaker.allows()


def test_one_breaker_per_redis_server_whatever_its_database_or_password():
    breakers = RedisBreakers(5.0)
    broker = breakers.of("redis://:secret@127.0.0.1:6379/3")
    assert broker is breakers.of("redis://127.0.0.1/0")
    assert broker is not breakers.of("redis://127.0.0.1:6380/0")
    assert breakers.of("memory://") is None
    assert breakers.of("filesystem://") is None
    assert RedisBreakers(0.0).of("redis://127.0.0.1:6379/0") is None


def test_unguarded_calls_go_through_without_a_breaker():
    with guarded(None):
        pass
    with pytest.raises(TimeoutError), guarded(None):
        raise TimeoutError
