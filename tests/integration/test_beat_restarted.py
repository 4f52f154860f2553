"""A beat `capactif worker` embeds is started again when it is killed, with real processes:
Celery forks it once and never looks at it again, so after a `kill -9` (the OOM killer)
nothing swept the outbox, dispatched webhooks or signed the audit head while the worker
ran on. The worker's stop still stops the new beat (no orphan left running)."""

from __future__ import annotations

import os
import signal

import pytest

from capactif_demo.processes import running, start_worker
from hub.bootstrap import Hub
from hub.config import Settings
from tests.integration import embedded_hub
from tests.integration.heartbeats import beating_pids, heartbeat_kinds
from tests.integration.scale import scale_store, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]

embedded = embedded_hub.embedded  # the fixture


@pytest.fixture(params=["embedded", "scale"])
def store(request, tmp_path):
    """(settings, hub): the embedded default, or PostgreSQL with the Redis broker."""
    if request.param == "embedded":
        yield request.getfixturevalue("embedded")
        return
    with scale_store(request.getfixturevalue("postgres_url")) as env:
        env = {**env, "HUB_DATA_DIR": str(tmp_path / "data")}
        hub = Hub.from_settings(Settings.from_env(env))
        try:
            yield env, hub
        finally:
            hub.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_killed_beat_is_started_again_and_stopped_with_its_worker(store, tmp_path):
    env, hub = store
    env = {**env, "HUB_HEARTBEAT_INTERVAL_S": "1"}
    worker = start_worker(env, tmp_path / "logs")
    with running([worker]):
        wait_until(lambda: beating_pids(hub, "beat") or not worker.alive, 90, "the beat beating")
        (first,) = beating_pids(hub, "beat")
        os.kill(first, signal.SIGKILL)
        wait_until(lambda: beating_pids(hub, "beat") - {first} or not worker.alive, 60,
                   "a new beat beating")
        assert worker.alive, worker.tail()
        (second,) = beating_pids(hub, "beat") - {first}
        assert _alive(second) and second != first
        assert "the embedded beat stopped" in worker.tail()
        worker.popen.send_signal(signal.SIGTERM)
        worker.popen.wait(timeout=60)
        wait_until(lambda: not _alive(second), 60, "the new beat stopped with its worker")
        assert second not in beating_pids(hub, "beat")  # its row withdrawn at its clean stop


def test_a_clean_stop_of_the_process_group_starts_no_new_beat(embedded, tmp_path):
    """SIGTERM to the whole group (systemd's KillMode=control-group) ends the beat a moment
    before the worker's handler runs: the watch saw a dead beat, logged an error and forked
    a new one into the shutdown."""
    env, hub = embedded
    env = {**env, "HUB_HEARTBEAT_INTERVAL_S": "1"}
    for _ in range(3):  # the window is narrow: each stop is a chance to fall in it
        worker = start_worker(env, tmp_path / "logs")
        with running([worker]):
            # Started through (its `worker_ready` row too): a stop in the midst of Celery's
            # start-up is another matter (a CI run saw one outlast 60 s).
            wait_until(lambda w=worker: heartbeat_kinds(hub) == ["beat", "worker"]
                       or not w.alive, 90, "the worker and its beat beating")
            os.killpg(worker.popen.pid, signal.SIGTERM)
            worker.popen.wait(timeout=60)
            assert "started again" not in worker.tail(), worker.tail()
            assert worker.popen.returncode == 0
