"""Every worker dispatches webhooks on a timer of its own, not only the scheduler.

The beat, which runs inside one worker, was the only one to start the periodic dispatch:
that worker killed (`kill -9` of its process tree) or frozen (SIGSTOP, a VM paused),
no webhook left for any recipient while other workers ran on, and a delivery waiting for
its retry waited for that worker's restart. Each worker now runs one thread (in its
first pool process) that calls `webhooks.start_dispatch` every `HUB_DISPATCH_INTERVAL_S`:
it asks only for due recipients whose lease nobody holds (one indexed query when idle)
and starts their senders here; the lease still keeps one sender per recipient, whichever
worker's timer got there first. It needs no broker, so a broker outage stops no webhook.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from hub.bootstrap import Hub
from hub.services.delivery import webhooks

log = logging.getLogger(__name__)


class DispatchTimer:
    """A daemon thread calling the dispatch every `interval_s` until the process stops
    (`webhooks.stop_senders`, which a stopping worker calls, ends it too)."""

    def __init__(self, hub: Callable[[], Hub], interval_s: float) -> None:
        self._hub = hub  # built at the first tick, in the thread: never before a fork
        self._interval_s = interval_s
        self._failing = False
        self._thread = threading.Thread(target=self._run, daemon=True, name="webhook-dispatch")

    def start(self) -> DispatchTimer:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not webhooks.stopping(self._interval_s):
            self.tick()

    def tick(self) -> int:
        """One dispatch; an error (the database away) is logged once until it passes."""
        try:
            started = webhooks.start_dispatch(self._hub())
        except Exception as exc:  # the next tick tries again
            if not self._failing:
                log.warning("webhook dispatch failed (%s); trying again every %g s",
                            type(exc).__name__, self._interval_s)
            self._failing = True
            return 0
        if self._failing:
            log.warning("webhook dispatch works again")
        self._failing = False
        return started
