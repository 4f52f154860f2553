"""Request rate limits, per member and per source address.

Moving windows kept by the `limits` library: in memory for the embedded mode (one API
process), in Redis at scale so that every API process counts against the same window
(`HUB_RATE_LIMIT_STORAGE`, by default the broker's Redis). If the shared store does not
answer, requests are let through and the failure is logged (once, with reminders and its
end, where hub.outages is installed: the API): an outage of the limiter must not stop
the exchange of fiches.

Who learns what: a 429 tells the caller only that *its own* member or address went over
a limit and when to retry; it says nothing of other members' traffic.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import time

import redis
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from hub.config import Settings
from hub.errors import ConfigurationError, RateLimited
from hub.limits import MemoryRefusalCounter, RedisRefusalCounter, RefusalCounter
from hub.outages import broker_reached
from hub.redis_breaker import RedisBreakers, guarded

log = logging.getLogger(__name__)

PUSH, READ, WRITE, SOURCE = "push", "read", "write", "source"
STORE_TIMEOUT_S = 0.5


class RateLimits:
    """`check(kind, key)` counts one request and raises RateLimited over the limit."""

    def __init__(self, settings: Settings, breakers: RedisBreakers | None = None) -> None:
        url = _storage_url(settings)
        # After a call that failed, its Redis is skipped a few seconds (hub.redis_breaker).
        self._breaker = breakers.of(url) if breakers else None
        # A Redis that does not answer (frozen, a half-open connection) cost each check the
        # client's 5 s (a push is checked twice, its kind and its source) and each refusal
        # counter's read 2 s: each lets the request through after STORE_TIMEOUT_S instead.
        options = {"socket_timeout": STORE_TIMEOUT_S, "socket_connect_timeout": STORE_TIMEOUT_S} \
            if url.startswith(("redis://", "rediss://")) else {}
        storage = storage_from_string(url, **options)
        self._limiter = MovingWindowRateLimiter(storage)
        self._limits = {kind: _parse(name, text) for kind, name, text in (
            (PUSH, "HUB_RATE_LIMIT_PUSH", settings.rate_limit_push),
            (READ, "HUB_RATE_LIMIT_READ", settings.rate_limit_read),
            (WRITE, "HUB_RATE_LIMIT_WRITE", settings.rate_limit_write),
            (SOURCE, "HUB_RATE_LIMIT_PER_SOURCE", settings.rate_limit_per_source),
        ) if text}
        self._prefix = settings.queue_name

    def check(self, kind: str, key: str) -> None:
        limit = self._limits.get(kind)
        if limit is None:
            return
        identity = (self._prefix, kind, key)
        try:
            with guarded(self._breaker):
                allowed = self._limiter.hit(limit, *identity)
                reset = 0.0 if allowed else \
                    self._limiter.get_window_stats(limit, *identity).reset_time
        except Exception as exc:  # the shared store is down: let the request through
            log.warning("rate limiter unavailable (%s): request not limited", type(exc).__name__)
            return
        broker_reached(log.name)  # the end of its store's outage, if any (hub.outages)
        if not allowed:
            raise RateLimited(max(1, math.ceil(reset - time.time())))


def kind_of(method: str, path: str) -> str:
    if method in ("GET", "HEAD"):
        return READ
    return PUSH if path.rstrip("/") == "/v1/fiches" and method == "POST" else WRITE


def refusal_counter(settings: Settings, name: str, window: dt.timedelta,
                    breakers: RedisBreakers | None = None) -> RefusalCounter:
    """The refusal counter `name` on the rate limits' store: in Redis when they are kept
    there (shared by every API process), otherwise in this process's memory."""
    url = _storage_url(settings)
    if url.startswith(("redis://", "rediss://")):
        client = redis.Redis.from_url(url, socket_connect_timeout=STORE_TIMEOUT_S,
                                      socket_timeout=STORE_TIMEOUT_S)
        return RedisRefusalCounter(window, client, f"{settings.queue_name}:{name}",
                                   breakers.of(url) if breakers else None)
    return MemoryRefusalCounter(window)


def _storage_url(settings: Settings) -> str:
    if settings.rate_limit_storage:
        return settings.rate_limit_storage.reveal()
    if settings.broker_url.startswith(("redis://", "rediss://")):
        return settings.broker_url.reveal()
    return "memory://"


def _parse(name: str, text: str) -> RateLimitItem:
    try:
        return parse(text)
    except ValueError as exc:
        raise ConfigurationError(
            f"{name} : limite illisible ; écrivez par exemple « 600/minute » ou « 20/second ».",
            f"{name}: unreadable limit; write for example '600/minute' or '20/second'.",
        ) from exc
