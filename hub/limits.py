"""The refusal counter port (hub.services.audit.refusals): refused authentications per source
address in fixed windows. In memory for one API process (the embedded mode), or in Redis,
the rate limits' store, so that every API process counts against the same windows
(`hub.services.ops.rate_limits.refusal_counter` picks one)."""

from __future__ import annotations

import abc
import dataclasses
import datetime as dt
import logging
import threading
from typing import Any

from hub.outages import broker_reached
from hub.redis_breaker import RedisBreaker, guarded

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclasses.dataclass(frozen=True)
class Tally:
    """The refusals counted from one source in one window."""

    source: str
    window_start: dt.datetime
    count: int


class RefusalCounter(abc.ABC):
    """Refusals per source in fixed windows of `window`."""

    # True when the counts outlive the process (a stopping process then leaves the
    # current windows to the others, or to the next start, rather than closing them).
    shared = False

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


class RedisRefusalCounter(RefusalCounter):
    """Counts shared by every API process: one Redis hash per window (source -> count)
    and a set of the windows still open, under `prefix`. A closed window is taken out
    atomically, so exactly one process logs it. If Redis does not answer, refusals are
    not counted (and nobody is held back): an outage of the counter must not turn a 401
    into a 500; windows not yet taken out stay in Redis for later. Where `quiet_outages`
    is installed (the API), an outage is one line, a reminder every 30 s and one line at
    its end, not a line per request."""

    shared = True
    _KEEP_S = 7 * 24 * 3600  # a window nobody took out (no API process left) expires

    def __init__(self, window: dt.timedelta, client: Any, prefix: str,
                 breaker: RedisBreaker | None = None) -> None:
        super().__init__(window)
        self._redis, self._prefix, self._breaker = client, prefix, breaker

    def _key(self, start: int) -> str:
        return f"{self._prefix}:{start}"

    def add(self, source: str, now: dt.datetime) -> None:
        start = int(self.window_of(now).timestamp())
        try:
            with guarded(self._breaker), self._redis.pipeline(transaction=True) as pipe:
                pipe.hincrby(self._key(start), source, 1)
                pipe.expire(self._key(start), self._KEEP_S)
                pipe.sadd(f"{self._prefix}:open", start)
                pipe.execute()
            broker_reached(_log.name)
        except Exception as exc:  # the shared store is down: this refusal is not counted
            _log.warning("refusal counter unavailable (%s): refusal not counted", type(exc).__name__)

    def count(self, source: str, now: dt.datetime) -> int:
        try:
            with guarded(self._breaker):
                found = self._redis.hget(self._key(int(self.window_of(now).timestamp())), source)
        except Exception as exc:  # the shared store is down: nobody is held back
            _log.warning("refusal counter unavailable (%s): source not checked", type(exc).__name__)
            return 0
        broker_reached(_log.name)
        return int(found or 0)

    def closed(self, now: dt.datetime) -> list[Tally]:
        current = int(self.window_of(now).timestamp())
        try:
            with guarded(self._breaker):
                starts = sorted(int(s) for s in self._redis.smembers(f"{self._prefix}:open"))
                broker_reached(_log.name)
                return [tally for start in starts if start < current
                        for tally in self._take(start)]
        except Exception as exc:  # the shared store is down: the windows wait in Redis
            _log.warning("refusal counter unavailable (%s): windows not closed", type(exc).__name__)
            return []

    def _take(self, start: int) -> list[Tally]:
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.hgetall(self._key(start))
            pipe.delete(self._key(start))
            pipe.srem(f"{self._prefix}:open", start)
            counts, _deleted, _removed = pipe.execute()
        window_start = dt.datetime.fromtimestamp(start, dt.UTC)
        return [Tally(_text(source), window_start, int(count)) for source, count in counts.items()]


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


_log = logging.getLogger(__name__)
