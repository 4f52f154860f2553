"""Every worker runs the periodic work that must not wait for the scheduler on timers of
its own: the webhook dispatch and the outbox sweep.

The beat, which runs inside one worker, was the only one to start them: that worker
killed (`kill -9` of its process tree) or frozen (SIGSTOP, a VM paused), no webhook left
for any recipient, and fiches accepted while the broker was away (or whose messages the
broker lost) waited for that worker's restart, while other workers ran on. Each worker
now runs one thread a job (in its first pool process):

- the dispatch (`webhooks.start_dispatch`, every `HUB_DISPATCH_INTERVAL_S`) asks only for
  due recipients whose lease nobody holds (one indexed query when idle) and starts their
  senders here; the lease keeps one sender per recipient, whichever worker got there first;
- the sweep (`processing.sweep_outbox_in_turn`, every `HUB_SWEEP_INTERVAL_S`) reads the
  sweep's turn in the store and takes it with one conditional update when no worker took
  it within the interval: N workers sweep once an interval between them, not N times.

Neither needs the broker to start, so a broker outage stops no webhook and the sweep
publishes as soon as the broker is back.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class WorkerTimer:
    """A daemon thread calling `job` every `interval_s` until `stopping(wait_s)` says the
    process stops (it waits up to `wait_s` seconds and answers True once stopping)."""

    def __init__(self, name: str, job: Callable[[], object], interval_s: float,
                 stopping: Callable[[float], bool]) -> None:
        self._name = name
        self._job = job  # builds the worker's hub at its first call, in the thread
        self._interval_s = interval_s
        self._stopping = stopping
        self._failing = False
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=name.replace(" ", "-"))

    def start(self) -> WorkerTimer:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stopping(self._interval_s):
            self.tick()

    def tick(self) -> bool:
        """One run; an error (the database away) is logged once until it passes."""
        try:
            self._job()
        except Exception as exc:  # the next tick tries again
            if not self._failing:
                log.warning("%s failed (%s); trying again every %g s",
                            self._name, type(exc).__name__, self._interval_s)
            self._failing = True
            return False
        if self._failing:
            log.warning("%s works again", self._name)
        self._failing = False
        return True
