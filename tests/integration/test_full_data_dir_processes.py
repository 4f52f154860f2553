"""A data directory that cannot take more bytes, with a real worker and no root: the
worker runs under a file-size limit (RLIMIT_FSIZE: a file it writes cannot grow past
it, as on a full disk; SQLite answers "database or disk is full"). Nothing accepted is
lost, the log says the disk is full rather than "unavailable or busy", and once there
is room every fiche is processed exactly once."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import resource
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from capactif_demo.processes import Process, capactif_command, poll, running, start_worker
from hub.services.ingest.processing import pipeline_status
from tests.integration import embedded_hub
from tests.integration.embedded_hub import push
from tests.integration.scale import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]
embedded = embedded_hub.embedded  # the fixture

# the hard limit is kept (as root: raised): PipedWorker lifts the limit again
_LIMITED = ("import os, resource, sys; n = int(sys.argv[1]); "
            "resource.setrlimit(resource.RLIMIT_FSIZE, (n, resource.RLIM_INFINITY)); "
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


class PipedWorker:
    """`capactif worker` in its own session, its output read through a pipe (a file-size
    limit set on it later leaves its log whole)."""

    def __init__(self, env: dict[str, str], max_file_bytes: int | None = None) -> None:
        command = capactif_command("worker")
        if max_file_bytes is not None:  # from its start
            command = [sys.executable, "-c", _LIMITED, str(max_file_bytes), *command[1:]]
        self.popen = subprocess.Popen(
            command, env={**os.environ, **env}, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self.lines.append(line.decode(errors="replace"))

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def said(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    def tail(self) -> str:
        return "".join(line for line in self.lines if "ERROR" in line or "CRITICAL" in line)

    def limit_file_size(self, soft: int) -> None:
        """Files written by any process of its session cannot grow past `soft` bytes (as on
        a full disk: EFBIG); the hard limit is kept, so the limit can be lifted again."""
        for pid in _session(self.popen.pid):
            with contextlib.suppress(ProcessLookupError):
                resource.prlimit(pid, resource.RLIMIT_FSIZE, (soft, resource.RLIM_INFINITY))

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=30)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)
            self._reader.join(timeout=10)
            assert self.popen.stdout is not None
            self.popen.stdout.close()


def _session(leader: int) -> list[int]:
    """The processes of the session `leader` started (the worker, its pool, its beat)."""
    pids = []
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            # after the command's closing parenthesis: state, ppid, pgrp, session
            if int(stat_file.read_text().rpartition(")")[2].split()[3]) == leader:
                pids.append(int(stat_file.parent.name))
    return pids


def full_then_room(hub, worker: PipedWorker, fiches: int) -> None:
    """Once the worker has said its data directory is full, room again: it stays up and
    processes the `fiches` accepted."""
    wait_until(lambda: worker.said("data_directory_full") or not worker.alive, 60,
               "the worker to say its data directory is full")
    room = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    worker.limit_file_size(resource.RLIM_INFINITY)
    # its beat too is still there (the outbox sweep, the webhook dispatch): it says so
    # through the store once there is room
    beating = poll(lambda: _beat_seen_since(hub, room) or not worker.alive, 120)
    assert beating, f"no beat heartbeat within 120 s of room made:\n{worker.tail()}"
    done = poll(lambda: pipeline_status(hub)["processed"] == fiches or not worker.alive, 120)
    assert done, f"{fiches} fiches not processed within 120 s:\n{worker.tail()}"
    assert worker.alive, worker.tail()


def _beat_seen_since(hub, moment: dt.datetime) -> bool:
    with hub.uow() as uow:
        return any(beat.kind == "beat" and _naive_utc(beat.seen_at) > moment
                   for beat in uow.ops.heartbeats())


def _naive_utc(moment: dt.datetime) -> dt.datetime:
    # SQLite gives naive UTC times back
    return moment if moment.tzinfo is None else moment.astimezone(dt.UTC).replace(tzinfo=None)


def test_a_data_directory_filling_up_under_a_running_worker_keeps_it_up_until_there_is_room(
        embedded):
    """A full disk is waited out, not a reason to stop: a worker started by hand would stay
    stopped once room is made, with the fiches accepted meanwhile never processed."""
    env, hub = embedded
    worker = PipedWorker({**env, "HUB_HEARTBEAT_INTERVAL_S": "0.5"})
    try:
        push(hub, 0, 5)
        wait_until(lambda: pipeline_status(hub)["processed"] == 5 or not worker.alive, 90,
                   "5 processed fiches")
        worker.limit_file_size(1)  # no file can grow: the folder probe's write fails too
        push(hub, 5, 20)
        full_then_room(hub, worker, 25)
        assert not worker.said("data_directory_read_only"), worker.tail()
    finally:
        worker.stop()
    status = pipeline_status(hub)
    assert status["fiches"] == status["processed"] == status["porteurs"] == 25


def test_a_worker_started_on_a_full_data_directory_waits_for_room_then_works(embedded):
    env, hub = embedded
    push(hub, 0, 10)
    worker = PipedWorker({**env, "HUB_HEARTBEAT_INTERVAL_S": "0.5"}, max_file_bytes=1)
    try:
        full_then_room(hub, worker, 10)
    finally:
        worker.stop()


def test_a_disk_filling_up_under_queued_tasks_is_said_once_per_part_without_tracebacks(embedded):
    """Each task queued when the disk filled up failed on the store, and its retry could not
    be written to the embedded broker's folder on the same disk: "reject requeue=False"
    and some ninety lines of traceback for each (about 2,400 lines in 30 s with twenty
    pushes waiting), while the beat said the broker was unreachable. Now the tasks end
    quietly (the outbox keeps their work, the sweep publishes it again once there is
    room), the beat says the disk is full naming the folder, and each part says when it
    goes on."""
    env, hub = embedded
    worker = PipedWorker({**env, "HUB_HEARTBEAT_INTERVAL_S": "0.5"})
    queue = hub.settings.broker_dir / "queue"
    try:
        push(hub, 0, 5)
        wait_until(lambda: pipeline_status(hub)["processed"] == 5 or not worker.alive, 90,
                   "5 processed fiches")
        worker.limit_file_size(1)
        for first in range(5, 25, 2):  # ten tasks queued while its disk is full
            push(hub, first, 2)
        wait_until(lambda: (worker.said("ERROR celery.beat") and worker.said("data_directory_full")
                            and not list(queue.glob("*.msg"))) or not worker.alive, 120,
                   "the queued tasks taken, the beat and the data watch saying they cannot write")
        said = "".join(worker.lines)  # while the disk is full
        assert "Traceback" not in said and "requeue" not in said, worker.tail()
        assert "unreachable" not in said and "injoignable" not in said, worker.tail()
        [beat] = [line for line in worker.lines if "ERROR celery.beat" in line]
        assert f"disk full: nothing can be written in {hub.settings.broker_dir / 'staging'}" \
            in beat and "free some space" in beat, beat
        full_then_room(hub, worker, 25)
        wait_until(lambda: worker.said("room again in") or not worker.alive, 60,
                   "the beat saying there is room again")
        assert "".join(worker.lines).count("heartbeat failed") <= 2  # the worker's, the beat's
        assert worker.said("heartbeat again after")
    finally:
        worker.stop()
    status = pipeline_status(hub)
    assert status["fiches"] == status["processed"] == status["porteurs"] == 25
