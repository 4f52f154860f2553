"""Blocking keys the worker last found held by more fiches than the candidate cap, kept
per process.

Such a key is never a source of candidates (`Matching.candidates` skips it), so two
workers writing fiches under it need not exclude each other: they lock it in shared
mode, and read it again under that lock to check that it is still over the cap (a key
only falls back under it when fiches are erased or re-indexed). A key found under the
cap leaves the memo and is locked alone again. One per `Hub`, never module state.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping


class CommonKeys:
    """Key digests (their numbers: `Matching.digest`) seen over the cap at their last
    reading; bounded, the oldest entry dropped first (in constant time: see
    `IdentityMemo`)."""

    def __init__(self, size: int = 200_000) -> None:
        self._size = size
        self._common: OrderedDict[int, None] = OrderedDict()
        self._updating = threading.Lock()

    def __contains__(self, digest: object) -> bool:
        return digest in self._common

    def among(self, digests: set[int]) -> set[int]:
        """The digests of `digests` known to be common (looked up in C, not through
        `__contains__`: some twenty keys a fiche). A lookup each, never a walk of the
        memo, which another thread may be changing (`learn`)."""
        return set(filter(self._common.__contains__, digests))

    def learn(self, held: Mapping[int, list[int]], cap: int, *,
              read: Iterable[int] | None = None) -> None:
        """What one reading of the index said: the fiches under each key read that holds
        some (at most `cap + 1`); with `read`, every key read, those `held` leaves out
        holding none (`Matching.indexed_under`)."""
        with self._updating:  # each digest read once: its order among others changes nothing
            common = self._common
            for digest in [d for d, fiche_pks in held.items() if len(fiche_pks) > cap]:
                common[digest] = None
            for digest in [d for d in filter(common.__contains__, held if read is None else read)
                           if len(held.get(d, ())) <= cap]:
                del common[digest]
            while len(self._common) > self._size:
                self._common.popitem(last=False)

    def forget(self, digests: Iterable[int]) -> None:
        with self._updating:
            for digest in digests:
                self._common.pop(digest, None)
