"""The refusal counter port (hub.services.refusals): refused authentications per source
address in fixed windows. In memory per API process here; a shared store (Redis) can
implement the same port so several API processes share their counts."""

from __future__ import annotations

import abc
import dataclasses
import datetime as dt
import threading

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclasses.dataclass(frozen=True)
class Tally:
    """The refusals counted from one source in one window."""

    source: str
    window_start: dt.datetime
    count: int


class RefusalCounter(abc.ABC):
    """Refusals per source in fixed windows of `window`."""

    def __init__(self, window: dt.timedelta) -> None:
        self.window = window

    def window_of(self, now: dt.datetime) -> dt.datetime:
        return _EPOCH + (now - _EPOCH) // self.window * self.window

    @abc.abstractmethod
    def add(self, source: str, now: dt.datetime) -> None:
        """Count one refusal from `source` at `now`."""

    @abc.abstractmethod
    def count(self, source: str, now: dt.datetime) -> int:
        """Refusals from `source` in the window holding `now`."""

    @abc.abstractmethod
    def closed(self, now: dt.datetime) -> list[Tally]:
        """Take out the tallies of windows that ended by `now` (each returned once)."""


class MemoryRefusalCounter(RefusalCounter):
    """One API process's counter (thread-safe: requests run in a thread pool)."""

    def __init__(self, window: dt.timedelta) -> None:
        super().__init__(window)
        self._open: dict[str, Tally] = {}
        self._lock = threading.Lock()

    def add(self, source: str, now: dt.datetime) -> None:
        start = self.window_of(now)
        with self._lock:
            tally = self._open.get(source)
            count = tally.count if tally and tally.window_start == start else 0
            self._open[source] = Tally(source, start, count + 1)

    def count(self, source: str, now: dt.datetime) -> int:
        with self._lock:
            tally = self._open.get(source)
        return tally.count if tally and tally.window_start == self.window_of(now) else 0

    def closed(self, now: dt.datetime) -> list[Tally]:
        current = self.window_of(now)
        with self._lock:
            done = [t for t in self._open.values() if t.window_start < current]
            for tally in done:
                del self._open[tally.source]
        return done
