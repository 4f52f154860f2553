"""A worker's heartbeat row on this host counts in the claims' share only while its
process runs: killed (even not yet reaped by its parent), it stops counting at once, or
within the second a running answer is kept (each claim asks)."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
from types import SimpleNamespace

from hub.services.ingest import worker_slots
from hub.services.ingest.worker_slots import is_running


def test_this_process_runs():
    assert is_running(os.getpid())


def test_a_process_that_ended_does_not_run():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not is_running(child.pid)


def test_a_killed_process_its_parent_has_not_reaped_yet_does_not_run():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        assert is_running(child.pid)
        child.kill()
        os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # ended, left a zombie
        assert not is_running(child.pid)
    finally:
        child.kill()
        child.wait()


def test_no_pid_is_not_a_running_process():
    assert not is_running(0) and not is_running(-1)


class _Seconds:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _counting(monkeypatch) -> list[int]:
    looked: list[int] = []

    def looking(pid: int) -> bool:
        looked.append(pid)
        return pid != 4  # 4: a process that ended
    monkeypatch.setattr(worker_slots, "is_running", looking)
    return looked


def _hub_with_worker_rows(pids: list[int]):
    host = socket.gethostname()[:120]
    settings = SimpleNamespace(heartbeat_interval_s=15.0, worker_concurrency=1)
    rows = [SimpleNamespace(host=host, pid=pid) for pid in pids]
    hub = SimpleNamespace(settings=settings, clock=lambda: dt.datetime(2026, 1, 1))
    uow = SimpleNamespace(ops=SimpleNamespace(alive=lambda kind, since: rows))
    return hub, uow


def test_each_claim_within_a_second_looks_at_each_running_worker_once(monkeypatch):
    looked = _counting(monkeypatch)
    clock = _Seconds()
    liveness = worker_slots.Liveness(clock)
    hub, uow = _hub_with_worker_rows([2, 3, 4])
    claims = [worker_slots.live_worker_slots(hub, uow, liveness) for _claim in range(5)]
    assert claims == [2] * 5
    assert sorted(looked) == [2, 3] + [4] * 5  # the ended one looked at again each time
    clock.now += worker_slots.RUNNING_KEPT_S
    assert worker_slots.live_worker_slots(hub, uow, liveness) == 2
    assert sorted(looked) == [2, 2, 3, 3] + [4] * 6


def test_a_worker_killed_stops_counting_once_its_running_answer_is_past():
    clock = _Seconds()
    liveness = worker_slots.Liveness(clock)
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        assert liveness.runs(child.pid)
        child.kill()
        child.wait()
        assert liveness.runs(child.pid)  # kept for RUNNING_KEPT_S
        clock.now += worker_slots.RUNNING_KEPT_S
        assert not liveness.runs(child.pid)
    finally:
        child.kill()
        child.wait()
