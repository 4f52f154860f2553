"""A clean stop of `capactif worker` leaves no heartbeat behind, with real processes: the
beat it forks withdrew nothing (only the worker's main process did, at `worker_shutdown`),
so three intervals later its row alone made `/healthz` answer 503 `scheduler_stopped`
with no process running at all, until a worker started again."""

from __future__ import annotations

import os
import signal
import time

import pytest
import requests

from capactif_demo.processes import free_port, running, start_api, start_worker
from tests.integration import embedded_hub
from tests.integration.heartbeats import heartbeat_kinds
from tests.integration.scale import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]

embedded = embedded_hub.embedded  # the fixture


def _health(port: int) -> tuple[int, str]:
    body = (answer := requests.get(f"http://127.0.0.1:{port}/healthz", timeout=30)).json()
    return answer.status_code, body.get("status") or body["error"]["code"]


def _gone(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.parametrize("signal_to", [os.kill, os.killpg])  # main pid (KillMode=mixed), all
def test_a_worker_stopped_cleanly_leaves_no_beat_row_and_healthz_ok(embedded, tmp_path, signal_to):
    env, hub = embedded
    env = {**env, "HUB_HEARTBEAT_INTERVAL_S": "1"}
    port = free_port()
    with running([start_api({**env, "HUB_PORT": str(port)}, tmp_path / "logs", port)]):
        worker = start_worker(env, tmp_path / "logs")
        with running([worker]):
            wait_until(lambda: heartbeat_kinds(hub) == ["beat", "worker"] or not worker.alive,
                       90, "the worker and its beat beating")
            assert _health(port) == (200, "ok")
            signal_to(worker.popen.pid, signal.SIGTERM)
            worker.popen.wait(timeout=60)
            wait_until(lambda: _gone(worker.popen.pid), 60, "the beat process ended")
            assert heartbeat_kinds(hub) == [], worker.tail()
            time.sleep(4)  # past three intervals: a row left behind would now be stale
            assert _health(port) == (200, "ok")
