"""A Redis that accepts connections but does not answer (frozen: SIGSTOP, a VM paused),
with the real API, a real worker, a redis-server of the test's own and PostgreSQL: the
publish after a push waited on a socket with no timeout, so the partner waited for its
202 as long as the broker stayed frozen. Each publish is now bounded; the outbox keeps
the work and the sweep publishes it once the broker answers again."""

from __future__ import annotations

import contextlib
import os
import signal
import time

import pytest

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
