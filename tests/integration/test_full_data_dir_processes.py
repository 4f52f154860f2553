"""A data directory that cannot take more bytes, with a real worker and no root: the
worker runs under a file-size limit (RLIMIT_FSIZE: a file it writes cannot grow past
it, as on a full disk; SQLite answers "database or disk is full"). Nothing accepted is
lost, the log says the disk is full rather than "unavailable or busy", and once there
is room every fiche is processed exactly once."""

from __future__ import annotations

import sys

import pytest

from capactif_demo.processes import Process, capactif_command, running, start_worker
from hub.services.ingest.processing import pipeline_status
from tests.integration import embedded_hub
from tests.integration.embedded_hub import push
from tests.integration.scale import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]
embedded = embedded_hub.embedded  # the fixture

_LIMITED = ("import os, resource, sys; n = int(sys.argv[1]); "
            "resource.setrlimit(resource.RLIMIT_FSIZE, (n, n)); "
            "os.execv(sys.executable, [sys.executable, *sys.argv[2:]])")


def limited_worker(env: dict[str, str], logs, max_file_bytes: int) -> Process:
    """`capactif worker` whose files cannot grow past `max_file_bytes` (Python ignores
    SIGXFSZ: a write past the limit fails with EFBIG instead of killing the process)."""
    command = [sys.executable, "-c", _LIMITED, str(max_file_bytes), *capactif_command("worker")[1:]]
    return Process("limited-worker", command, env, logs)


def test_a_full_data_directory_loses_nothing_says_so_and_catches_up_once_there_is_room(
        embedded, tmp_path):
    env, hub = embedded
    push(hub, 0, 20)
    data = hub.settings.data_dir
    room = max(p.stat().st_size for p in data.rglob("*") if p.is_file()) + 64 * 1024
    worker = limited_worker(env, tmp_path / "logs", room)
    with running([worker]):
        for first in range(20, 620, 50):
            push(hub, first, 50)  # the API process has room: every push is accepted
        wait_until(lambda: "store_full" in worker.log_path.read_text(errors="replace")
                   or not worker.alive, 120, "the worker to say the disk is full")
        assert worker.alive, worker.tail()
        assert pipeline_status(hub)["processed"] < 620  # it could not keep up: full
    log = worker.log_path.read_text(errors="replace")
    assert "disk is full or refuses writes" in log and "unavailable or busy" not in log
    roomy = start_worker(env, tmp_path / "logs", name="worker-with-room")
    with running([roomy]):
        wait_until(lambda: pipeline_status(hub)["outbox_pending"] == 0 or not roomy.alive,
                   180, "every fiche processed")
        assert roomy.alive, roomy.tail()
    status = pipeline_status(hub)
    assert status["fiches"] == status["processed"] == status["porteurs"] == 620
