"""A Redis that accepts connections but does not answer (frozen: SIGSTOP, a VM paused),
with the real API, a real worker, a redis-server of the test's own and PostgreSQL: the
publish after a push waited on a socket with no timeout, so the partner waited for its
202 as long as the broker stayed frozen. Each publish is now bounded; the outbox keeps
the work and the sweep publishes it once the broker answers again. A push still asked the
frozen Redis (the rate limits' store too) four or five times, each waiting its socket
timeout (some 4 s before its 202): after one call that failed, the process's breaker of
that Redis skips it for HUB_REDIS_BREAKER_S (hub.redis_breaker), and tries it again after.
Counted by the API's `capactif_redis_calls_total`, not timed."""

from __future__ import annotations

import contextlib
import os
import signal
import time

import pytest
import requests

from capactif_demo.processes import running, start_api, start_worker
from tests.integration.scale import OwnRedis, wait_until
from tests.integration.test_pipeline_processes import (
    all_processed_once,
    batches,
    push,
    scale,  # noqa: F401  (the fixture)
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_a_push_while_the_broker_is_frozen_is_accepted_and_processed_once_it_answers(
        scale, tmp_path):  # noqa: F811
    env, observer, creds, logs = scale
    own_redis = OwnRedis(tmp_path, logs)
    env = own_redis.settings(env)
    port = int(env["HUB_PORT"])
    broker = own_redis.start()
    try:
        with running([start_api(env, logs, port), start_worker(env, logs), broker]):
            push(observer, port, creds, batches(1, 10)[0])  # the API's connection is open
            wait_until(lambda: all_processed_once(observer, 10), 90, "10 processed fiches")
            os.kill(broker.popen.pid, signal.SIGSTOP)
            asked = time.monotonic()
            answer = push(observer, port, creds, batches(1, 10, "frozen", first=10)[0])
            print(f"202 after {time.monotonic() - asked:.2f} s with the broker frozen")
            assert answer["accepted"] == 10
            os.kill(broker.popen.pid, signal.SIGCONT)
            wait_until(lambda: all_processed_once(observer, 20), 90, "20 processed fiches")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(broker.popen.pid, signal.SIGCONT)


def test_a_push_while_the_broker_is_frozen_asks_it_once_and_it_is_asked_again_once_back(
        scale, tmp_path):  # noqa: F811
    env, observer, creds, logs = scale
    own_redis = OwnRedis(tmp_path, logs)
    env = {**own_redis.settings(env), "HUB_REDIS_BREAKER_S": "3"}
    port = int(env["HUB_PORT"])
    broker = own_redis.start()
    try:
        with running([start_api(env, logs, port), start_worker(env, logs), broker]):
            push(observer, port, creds, batches(1, 10)[0])
            wait_until(lambda: all_processed_once(observer, 10), 90, "10 processed fiches")
            before = redis_calls(port)
            os.kill(broker.popen.pid, signal.SIGSTOP)
            asked = time.monotonic()
            answer = push(observer, port, creds, batches(1, 10, "frozen", first=10)[0])
            print(f"202 after {time.monotonic() - asked:.2f} s with the broker frozen")
            frozen = redis_calls(port)
            assert answer["accepted"] == 10
            # One call waited for its timeout; the push's other calls (rate limits,
            # refusal counter, publish) were not made.
            assert frozen["failed"] - before["failed"] == 1, (before, frozen)
            assert frozen["skipped"] - before["skipped"] >= 3, (before, frozen)
            os.kill(broker.popen.pid, signal.SIGCONT)
            wait_until(lambda: all_processed_once(observer, 20), 90, "20 processed fiches")
            # Redis back: once the breaker's pause is over, a push asks it again.
            numbers = iter(range(100, 1000))
            wait_until(lambda: _answered_again(observer, port, creds, next(numbers)), 60,
                       "a push answered by Redis again")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(broker.popen.pid, signal.SIGCONT)


def redis_calls(port: int) -> dict[str, float]:
    """The API process's calls to Redis by outcome, from its `/metrics`."""
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    found = {line.split('"')[1]: float(line.split()[-1]) for line in text.splitlines()
             if line.startswith("capactif_redis_calls_total{")}
    assert set(found) == {"ok", "failed", "skipped"}, text[-2000:]
    return found


def _answered_again(observer, port, creds, number: int) -> bool:
    """Whether a push (of fiche `number`) had every call to Redis answered."""
    before = redis_calls(port)
    push(observer, port, creds, batches(1, 1, f"back{number}", first=number)[0])
    after = redis_calls(port)
    return after["ok"] > before["ok"] and after["skipped"] == before["skipped"] \
        and after["failed"] == before["failed"]
