"""Refused authentications are counted on the rate limits' store: with Redis, every API
process sees the same windows, so a source cannot spread its attempts over processes."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import redis
import requests

from capactif_demo.processes import free_port, running, start_api
from hub.config import Settings
from hub.limits import MemoryRefusalCounter, RedisRefusalCounter
from hub.services.ops.rate_limits import refusal_counter
from tests.conftest import REDIS_URL, service_missing
from tests.integration.test_ops_processes import scale  # noqa: F401  (fixture)

pytestmark = pytest.mark.integration

WINDOW = dt.timedelta(seconds=60)
NOON = dt.datetime(2026, 3, 2, 12, 0, 10, tzinfo=dt.UTC)


@pytest.fixture
def shared_redis():
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        service_missing("Redis", exc)
    prefix = f"test-refusals-{uuid.uuid4().hex[:8]}"
    yield client, prefix
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


def test_two_counters_on_one_redis_count_the_same_refusals(shared_redis):
    client, prefix = shared_redis
    first, second = (RedisRefusalCounter(WINDOW, client, prefix) for _ in range(2))
    first.add("192.0.2.7", NOON)
    second.add("192.0.2.7", NOON + dt.timedelta(seconds=5))
    first.add("198.51.100.1", NOON)
    assert (first.count("192.0.2.7", NOON), second.count("192.0.2.7", NOON)) == (2, 2)
    assert second.count("192.0.2.7", NOON + WINDOW) == 0  # the next window starts afresh


def test_a_closed_window_is_taken_out_by_exactly_one_process(shared_redis):
    client, prefix = shared_redis
    first, second = (RedisRefusalCounter(WINDOW, client, prefix) for _ in range(2))
    for _ in range(3):
        first.add("192.0.2.7", NOON)
    second.add("192.0.2.8", NOON)
    assert first.closed(NOON) == [] and second.closed(NOON) == []  # still open
    later = NOON + WINDOW
    taken = first.closed(later) + second.closed(later)
    start = first.window_of(NOON)
    assert sorted((t.source, t.window_start, t.count) for t in taken) == [
        ("192.0.2.7", start, 3), ("192.0.2.8", start, 1)]
    assert first.closed(later + WINDOW) == [] and second.closed(later + WINDOW) == []


def test_an_unreachable_redis_neither_counts_nor_fails_the_request():
    client = redis.Redis(port=free_port(), socket_connect_timeout=0.5)
    counter = RedisRefusalCounter(WINDOW, client, "nowhere")
    counter.add("192.0.2.7", NOON)  # no exception: the refusal stays a 401
    assert counter.count("192.0.2.7", NOON) == 0
    assert counter.closed(NOON + WINDOW) == []


def test_the_counter_follows_the_rate_limits_store(tmp_path):
    embedded = Settings(data_dir=tmp_path)
    at_scale = Settings(data_dir=tmp_path, broker_url=REDIS_URL)
    assert isinstance(refusal_counter(embedded, "refusals", WINDOW), MemoryRefusalCounter)
    assert isinstance(refusal_counter(at_scale, "refusals", WINDOW), RedisRefusalCounter)


@pytest.mark.slow
def test_refusals_at_one_api_process_hold_back_the_source_at_another(scale):  # noqa: F811
    env, _observer, _creds, logs = scale
    env = {**env, "HUB_AUTH_REFUSAL_LIMIT": "3"}
    ports = [free_port(), free_port()]
    with running([start_api(env, logs / f"api-{port}", port) for port in ports]):
        def unsigned(port: int) -> requests.Response:
            return requests.get(f"http://127.0.0.1:{port}/v1/feed", timeout=30,
                                headers={"Authorization": "Bearer cci-puy-de-dome.faux"})

        statuses = [unsigned(ports[i % 2]).status_code for i in range(5)]
    assert statuses[:3] == [401, 401, 401], statuses
    assert statuses[3:] == [429, 429], statuses
