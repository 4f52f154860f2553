"""Opened index records, kept per process by their sealed text.

The worker reads the same indexed fiches again and again: every fiche whose keys a
stored fiche shares reads it as a candidate. Opening one costs an unwrap of the fiche's
data key, a decryption and the reading of its record form (or, for a fiche indexed
before forms existed, a normalisation of its identity); the sealed text itself is unique
(a fresh nonce per seal), so the same sealed text always opens to the same record and
can be answered from memory.

An erasure destroys the fiche's key and removes its index rows in one transaction, so
an erased fiche's sealed text is never read again; the memo is emptied all the same, at
once in the process that erases and in a worker at its next task (`ErasuresSeen`,
`hub.services.matching.forgetting`), so that no process keeps the erased identity in
memory. One per `Hub`, never module state; safe across threads (a worker's `--pool
threads`): a put and a clear take a lock, a lookup needs none.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable

from hub.domain.matching.record import NormalisedRecord


class IdentityMemo:
    """Sealed text of an index row -> the normalised record it opened to; bounded, the
    oldest entry dropped first. An `OrderedDict`, whose oldest entry goes in constant
    time: a plain dict's first entry is found by walking past every slot emptied before
    it, 13 to 20 microseconds a put once the memo is full (every candidate opened; some
    eighty a match), against 1 (`bench/bounded_memo.py`)."""

    def __init__(self, size: int = 20_000) -> None:
        self._size = size
        self._opened: OrderedDict[str, NormalisedRecord] = OrderedDict()
        self._putting = threading.Lock()

    def __len__(self) -> int:
        return len(self._opened)

    def get(self, sealed: str) -> NormalisedRecord | None:
        return self._opened.get(sealed)

    def put(self, sealed: str, record: NormalisedRecord) -> None:
        with self._putting:
            self._opened[sealed] = record
            while len(self._opened) > self._size:
                self._opened.popitem(last=False)

    def put_many(self, opened: Iterable[tuple[str, NormalisedRecord]]) -> None:
        """`put` of each (sealed text, record), the lock taken once."""
        with self._putting:
            for sealed, record in opened:
                self._opened[sealed] = record
            while len(self._opened) > self._size:
                self._opened.popitem(last=False)

    def clear(self) -> None:
        with self._putting:
            self._opened.clear()


class ErasuresSeen:
    """The number of erasures the store had recorded when this process last emptied its
    memos (None: never looked). Erasures are rare and every one is a row of `erasures`
    (never deleted, replayed after a restore), so a worker compares that count at each
    task rather than being told: no message to lose, one indexed count a transaction."""

    def __init__(self) -> None:
        self._count: int | None = None
        self._lock = threading.Lock()

    def changed(self, count: int) -> bool:
        """Whether `count` differs from the count last seen (then it is the one seen)."""
        with self._lock:
            changed, self._count = count != self._count, count
        return changed
