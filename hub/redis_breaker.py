"""A circuit breaker per Redis server, shared by every user of it in one process (the
publisher, the rate limiter, the refusal counters).

A Redis that accepts connections but does not answer (frozen: SIGSTOP, a VM paused) made
each call wait its socket timeout: a push asks Redis three or four times (its address's
and its member's rate limits, the refusal counter, the publish), some 4 s before its 202.
After one call that failed (a timeout, a refused connection), Redis is skipped for
`pause_s` (`HUB_REDIS_BREAKER_S`): each user does what it does when Redis fails (the
rate limits let requests through, a refusal is not counted, the outbox keeps the work
for the sweep) without asking. Then one call is let through to try it again (the others
still skip it meanwhile): an answer closes the breaker, a failure opens it again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
import time
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

OUTCOMES = ("ok", "failed", "skipped")


class RedisSkipped(Exception):
    """Not asked: the breaker of its Redis server is open (a recent call failed)."""


class RedisBreaker:
    """`allows()` before a call (False: skip it), then `succeeded()` or `failed()`."""

    def __init__(self, pause_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.pause_s, self._clock = pause_s, clock
        self._open_until = 0.0  # 0: closed
        self._lock = threading.Lock()
        self.counts = dict.fromkeys(OUTCOMES, 0)

    def allows(self) -> bool:
        with self._lock:
            now = self._clock()
            if now < self._open_until:
                self.counts["skipped"] += 1
                return False
            if self._open_until:  # this call tries Redis again; the others wait for it
                self._open_until = now + self.pause_s
            return True

    def succeeded(self) -> None:
        with self._lock:
            self._open_until = 0.0
            self.counts["ok"] += 1

    def failed(self) -> None:
        with self._lock:
            self._open_until = self._clock() + self.pause_s
            self.counts["failed"] += 1

    def guard(self) -> None:
        """Raise RedisSkipped when the breaker is open."""
        if not self.allows():
            raise RedisSkipped("Redis skipped: a recent call failed")


@dataclasses.dataclass
class RedisBreakers:
    """One breaker per Redis server (host and port) of this process; `pause_s` 0: none."""

    pause_s: float
    _by_server: dict[str, RedisBreaker] = dataclasses.field(default_factory=dict)

    def of(self, url: str) -> RedisBreaker | None:
        """The breaker of the server of `url` (None: not a Redis URL, or breakers off)."""
        parts = urlsplit(url)
        if not self.pause_s or not parts.scheme.startswith("redis"):
            return None
        server = f"{parts.hostname}:{parts.port or 6379}"
        return self._by_server.setdefault(server, RedisBreaker(self.pause_s))

    def counts(self) -> dict[str, int]:
        """Calls per outcome, every server together."""
        return {outcome: sum(b.counts[outcome] for b in self._by_server.values())
                for outcome in OUTCOMES}


@contextlib.contextmanager
def guarded(breaker: RedisBreaker | None) -> Iterator[None]:
    """A call to Redis under `breaker` (None: unguarded): RedisSkipped while it is open,
    the call's failure or answer told to it."""
    if breaker is None:
        yield
        return
    breaker.guard()
    try:
        yield
    except Exception:
        breaker.failed()
        raise
    breaker.succeeded()
