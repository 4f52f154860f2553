"""An in-process cache of consent records, so that a consent check per delivery
is a dictionary lookup, not a database round trip.

Records are immutable except for their history (withdrawal, expiry). The
registry that records a state change clears the cache at once (same process)
and bumps a change counter in the store; every process reads that counter at
most once per `refresh_every` seconds and clears its cache when it moved.

Bound: a withdrawal made in another process is seen here after at most
`refresh_every` seconds (default 1 s) plus the store's commit latency. In the
process that recorded it, it is seen at once. Expiry needs no invalidation:
it is computed from `expire_le` at each check.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable

from consent.model import ConsentRecord

Loader = Callable[[], ConsentRecord | None]


class RecordCache:
    def __init__(
        self,
        read_version: Callable[[], int],
        *,
        refresh_every: float = 1.0,
        max_entries: int = 100_000,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._read_version = read_version
        self._refresh_every = refresh_every
        self._max_entries = max_entries
        self._monotonic = monotonic
        self._entries: dict[Hashable, ConsentRecord] = {}
        self._version: int | None = None
        self._next_refresh = 0.0
        self._lock = threading.Lock()

    def get(self, key: Hashable, load: Loader) -> ConsentRecord | None:
        """The cached record for `key`, loading it on a miss. Absences are not cached:
        a consent recorded later must be found."""
        self._refresh_if_due()
        record = self._entries.get(key)
        if record is not None:
            return record
        record = load()
        if record is not None:
            if len(self._entries) >= self._max_entries:
                self._entries.clear()
            self._entries[key] = record
        return record

    def put(self, key: Hashable, record: ConsentRecord) -> None:
        """Cache a record read in bulk (see `ConsentRegistry.prefetch`)."""
        self._refresh_if_due()
        if len(self._entries) >= self._max_entries:
            self._entries.clear()
        self._entries[key] = record

    def invalidate(self) -> None:
        """Forget everything and re-read the change counter at the next lookup."""
        with self._lock:
            self._entries.clear()
            self._next_refresh = 0.0

    def __len__(self) -> int:
        return len(self._entries)

    def _refresh_if_due(self) -> None:
        now = self._monotonic()
        if now < self._next_refresh:
            return
        with self._lock:
            if now < self._next_refresh:
                return
            version = self._read_version()
            if version != self._version:
                self._entries.clear()
                self._version = version
            self._next_refresh = now + self._refresh_every
