"""Two real workers, the first running the beat (the scheduler), for the tests that kill
or freeze the scheduler's worker and watch the other carry on."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator, Mapping
from pathlib import Path

from capactif_demo.processes import Process, running, start_worker
from hub.bootstrap import Hub
from tests.integration.heartbeats import beating_pids
from tests.waiting import wait_until


def freeze(worker: Process) -> None:
    """SIGSTOP to the worker's whole process group (its pool, its beat)."""
    os.killpg(worker.popen.pid, signal.SIGSTOP)


def thaw(worker: Process) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.popen.pid, signal.SIGCONT)


@contextlib.contextmanager
def scheduler_and_other(env: Mapping[str, str], logs: Path, hub: Hub
                        ) -> Iterator[tuple[Process, Process]]:
    """The scheduler's worker and another, both beating; a frozen one is thawed at the
    end, so that it stops at once."""
    scheduler = start_worker(env, logs, "worker-scheduler")
    other = start_worker(env, logs, "worker-other", beat=False)
    try:
        with running([scheduler, other]):
            wait_until(lambda: (beating_pids(hub, "beat") and len(beating_pids(hub, "worker")) == 2)
                       or not (scheduler.alive and other.alive), 90, "both workers and the beat")
            yield scheduler, other
            thaw(scheduler)
    finally:
        thaw(scheduler)
