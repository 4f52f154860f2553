"""The API's refusal counter while its Redis is down: one line when the outage starts,
a reminder every HUB_BROKER_OUTAGE_REMINDER_S, one line when Redis answers again, as the
broker's users do. Before, each request wrote two WARNING lines (`source not checked`,
`windows not closed`): 660 lines in 43 s. A redis-server of the test's own, killed and
started again; the counter wired as the API wires it."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from capactif_demo.processes import running
from hub import outages
from hub.config import Secret, Settings
from hub.outages import quiet_outages
from hub.services.ops.rate_limits import refusal_counter
from tests.integration.scale import OwnRedis

pytestmark = [pytest.mark.integration, pytest.mark.slow]
LIMITS = "hub.limits"  # the refusal counter's logger


@pytest.fixture(autouse=True)
def _own_outage_log(monkeypatch):
    monkeypatch.setattr(outages, "_installed", None)
    yield
    for name in outages._FAILURES:
        logger = logging.getLogger(name)
        for installed in [f for f in logger.filters if isinstance(f, outages.OutageLog)]:
            logger.removeFilter(installed)


def _lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LIMITS and r.levelno >= logging.INFO]


def test_an_outage_of_the_counters_redis_is_a_line_at_its_start_and_one_at_its_end(
        tmp_path, caplog):
    own_redis = OwnRedis(tmp_path, tmp_path / "logs")
    server = own_redis.start()
    quiet_outages(reminder_s=3600)
    storage = Secret(f"redis://127.0.0.1:{own_redis.port}/0")
    counter = refusal_counter(Settings().replace(rate_limit_storage=storage), "refusals",
                              dt.timedelta(minutes=1))
    now = dt.datetime.now(dt.UTC)
    counter.add("10.0.0.1", now)
    server.kill()
    caplog.set_level(logging.INFO, logger=LIMITS)
    for _ in range(50):  # fifty refused requests: nobody held back, no window closed
        assert counter.count("10.0.0.1", now) == 0
        assert counter.closed(now) == []
    down = _lines(caplog)
    assert len(down) == 1 and "refusal counter (Redis) unreachable" in down[0]
    with running([own_redis.start("redis-again")]):
        assert counter.count("10.0.0.1", now) == 0  # a fresh server: the count was not kept
        assert counter.closed(now) == []
    back = _lines(caplog)
    assert len(back) == 2 and "reachable again" in back[1] and "(100 failed tries)" in back[1]
