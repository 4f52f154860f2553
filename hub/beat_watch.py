"""The beat a `capactif worker` embeds is started again when it dies.

Celery's `--beat` forks the scheduler once, as a child of the worker's main process, and
never looks at it again: killed (the kernel's OOM killer, `kill -9`, a crash), it stayed
dead while the workers ran, and nothing swept the outbox, expired
consents or signed the audit head until someone restarted the worker (`/healthz` only
said `scheduler_stopped`). This worker step looks at it every `HUB_HEARTBEAT_INTERVAL_S`
and starts a new one; a beat that keeps dying young is started again less and less often
(doubling up to `MAX_DELAY_S`) and each restart is logged, so a broken scheduler shows
in the logs rather than as a fork loop.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from celery import bootsteps

log = logging.getLogger(__name__)

BEAT_STEP = "celery.worker.components.Beat"
YOUNG_S = 60.0  # a beat that died sooner than this after its start died young
MAX_DELAY_S = 300.0


class BeatWatch(bootsteps.StartStopStep):
    """Enabled with the worker's `--beat`; runs on the worker's timer in its main process."""

    label = "BeatWatch"
    requires = ("celery.worker.components:Beat", "celery.worker.components:Timer")

    def __init__(self, w: Any, beat: bool = False, **kwargs: Any) -> None:
        self.enabled = bool(beat)
        self._timer_entry: Any = None
        self._interval = float(getattr(w.app, "capactif_beat_watch_s", 15.0))
        self._started_at = time.monotonic()
        self._young_deaths = 0
        self._not_before = 0.0
        self._ended_cleanly_once = False
        super().__init__(w, beat=beat, **kwargs)

    def start(self, w: Any) -> None:
        self._started_at = time.monotonic()
        self._timer_entry = w.timer.call_repeatedly(self._interval, self.look, (w,))

    def stop(self, w: Any) -> None:
        if self._timer_entry is not None:
            self._timer_entry.cancel()
            self._timer_entry = None

    def look(self, w: Any) -> None:
        """Start a new beat if the current one has ended while the worker runs."""
        beat = w.beat
        if (beat is None or w.blueprint.state != bootsteps.RUN or _stopping()
                or _running(beat)):
            return
        now = time.monotonic()
        if now < self._not_before:
            return
        code = getattr(beat, "exitcode", None)
        if code == 0 and not self._ended_cleanly_once:
            # A SIGTERM to the process group ends the beat (exit code 0) a moment before
            # the worker's own handler runs: looked at once more, a stopping worker has
            # said so by then, and no beat is forked into its shutdown.
            self._ended_cleanly_once = True
            return
        self._ended_cleanly_once = False
        self._young_deaths = self._young_deaths + 1 if now - self._started_at < YOUNG_S else 0
        self._not_before = now + min(MAX_DELAY_S, self._interval * 2 ** self._young_deaths)
        try:
            replacement = _new_beat(w)
        except Exception as exc:  # tried again at a later look
            log.error("the embedded beat stopped (exit code %s) and could not be started "
                      "again (%s); retrying", code, type(exc).__name__)
            return
        self._started_at = now
        log.error("the embedded beat stopped (exit code %s): started again (pid %s)",
                  code, getattr(replacement, "pid", None))


def _stopping() -> bool:
    """Whether the worker was told to stop (its signal handlers and `hub.tasks`' data watch
    set these flags before its steps stop; a warm stop's is 0, not None)."""
    from celery.worker import state

    return any(flag is not None and flag is not False
               for flag in (state.should_stop, state.should_terminate))


def _running(beat: Any) -> bool:
    is_alive = getattr(beat, "is_alive", None)
    return True if is_alive is None else bool(is_alive())


def _new_beat(w: Any) -> Any:
    from celery.beat import EmbeddedService

    replacement = EmbeddedService(w.app, schedule_filename=w.schedule_filename,
                                  scheduler_cls=w.scheduler)
    replacement.start()
    step = w.blueprint.steps.get(BEAT_STEP)
    if step is not None:
        step.obj = replacement  # the worker's stop now stops this one
    w.beat = replacement
    return replacement
