"""Opened index identities, kept per process by their sealed text.

The worker reads the same indexed identities again and again: every fiche whose keys a
stored fiche shares reads it as a candidate. Opening one costs a read of the fiche's
wrapped data key, an unwrap and a decryption; the sealed text itself is unique (a fresh
nonce per seal), so the same sealed text always opens to the same identity and can be
answered from memory.

Erasure is unchanged: it destroys the fiche's key and removes its index rows in one
transaction, so an erased fiche's sealed text is never read again and ages out of this
bounded memo (oldest dropped first), as its normalised record ages out of
`hub.domain.matching.record.RecordMemo`. One per `Hub`, never module state.
"""

from __future__ import annotations


class IdentityMemo:
    """Sealed identity text -> the clear JSON text it opened to; bounded, the oldest
    entry dropped first (a plain dict: a lookup is on the hot path of every match)."""

    def __init__(self, size: int = 20_000) -> None:
        self._size = size
        self._opened: dict[str, str] = {}

    def get(self, sealed: str) -> str | None:
        return self._opened.get(sealed)

    def put(self, sealed: str, clear: str) -> None:
        self._opened[sealed] = clear
        while len(self._opened) > self._size:
            del self._opened[next(iter(self._opened))]
