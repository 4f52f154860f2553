"""The API's refusal counter and rate limiter while their Redis is down: one line when
the outage starts, a reminder every HUB_BROKER_OUTAGE_REMINDER_S, one line when Redis
answers again, as the broker's users do. Before, each request wrote two WARNING lines
from the counter (`source not checked`, `windows not closed`), 660 lines in 43 s, and
one from the rate limiter (`request not limited`). A redis-server of the test's own,
killed and started again; the counter and the limiter wired as the API wires them, and
the outage log installed as the API installs it, alone on its loggers (fresh_outage_log:
an earlier test's hub in this process installed one too)."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from capactif_demo.processes import running
from hub.config import Secret, Settings
from hub.outages import quiet_outages
from hub.services.ops.rate_limits import SOURCE, RateLimits, refusal_counter
from tests.integration.scale import OwnRedis

pytestmark = [pytest.mark.integration, pytest.mark.slow,
              pytest.mark.usefixtures("fresh_outage_log")]
LIMITS, RATE_LIMITS = "hub.limits", "hub.services.ops.rate_limits"  # their loggers
REFUSED = 20  # requests while Redis is down


@pytest.fixture
def limits_store(tmp_path):
    """A redis-server of the test's own as the rate limits' store, the settings reaching
    it, and the outage log installed as the API installs it."""
    own_redis = OwnRedis(tmp_path, tmp_path / "logs")
    server = own_redis.start()
    quiet_outages(reminder_s=3600)
    storage = Secret(f"redis://127.0.0.1:{own_redis.port}/0")
    with running([server]):
        yield own_redis, server, Settings().replace(rate_limit_storage=storage)


def _lines(caplog, logger: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == logger and r.levelno >= logging.INFO]


def test_an_outage_of_the_counters_redis_is_a_line_at_its_start_and_one_at_its_end(
        limits_store, caplog):
    own_redis, server, settings = limits_store
    counter = refusal_counter(settings, "refusals", dt.timedelta(minutes=1))
    now = dt.datetime.now(dt.UTC)
    counter.add("10.0.0.1", now)
    server.kill()
    caplog.set_level(logging.INFO, logger=LIMITS)
    for _ in range(REFUSED):  # refused requests: nobody held back, no window closed
        assert counter.count("10.0.0.1", now) == 0
        assert counter.closed(now) == []
    down = _lines(caplog, LIMITS)
    assert len(down) == 1 and "refusal counter (Redis) unreachable" in down[0], down
    with running([own_redis.start("redis-again")]):
        assert counter.count("10.0.0.1", now) == 0  # a fresh server: the count was not kept
        assert counter.closed(now) == []
    back = _lines(caplog, LIMITS)
    assert len(back) == 2, back
    assert f"({2 * REFUSED} failed tries)" in back[1] and "refusal counter (Redis) reachable again" in back[1]


def test_an_outage_of_the_rate_limiters_redis_is_a_line_at_its_start_and_one_at_its_end(
        limits_store, caplog):
    own_redis, server, settings = limits_store
    limits = RateLimits(settings)
    limits.check(SOURCE, "10.0.0.1")
    server.kill()
    caplog.set_level(logging.INFO, logger=RATE_LIMITS)
    for _ in range(REFUSED):  # requests let through
        limits.check(SOURCE, "10.0.0.1")
    down = _lines(caplog, RATE_LIMITS)
    assert len(down) == 1 and "rate limiter (Redis) unreachable" in down[0], down
    with running([own_redis.start("redis-again")]):
        limits.check(SOURCE, "10.0.0.1")
    back = _lines(caplog, RATE_LIMITS)
    assert len(back) == 2, back
    assert f"({REFUSED} failed tries)" in back[1] and "rate limiter (Redis) reachable again" in back[1]
