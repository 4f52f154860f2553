"""A value read from the store, kept in a process while the store's change token for it
stays the same.

The worker routes every transaction's fiches by the same network (its active members,
their roles, territories and webhooks, and their subscriptions), which changes a few
times a year: read again in each transaction it cost two statements and the building
of every member and subscription, some ten fiches' worth of worker time on SQLite. Every
write to those tables draws a new token in its own transaction (migration 0038), so a
transaction that reads the token first and finds the one its value was read under reads
the value as committed now. One per `Hub`, never module state; safe across threads (one
tuple replaced whole).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

log = logging.getLogger(__name__)


class TokenMemo(Generic[T]):
    """The value last loaded, with the token it was loaded under."""

    def __init__(self) -> None:
        self._held: tuple[str, T] | None = None
        self._told_no_token = False

    def get(self, token: str | None, load: Callable[[], T]) -> T:
        """The value for `token`, loaded (and kept) when it is not the one held. The
        caller reads `token` in its transaction before `load` reads the value: a write
        committed in between leaves a value newer than its token, read again next time,
        never an older one. No token (none stored): loaded every time, said once."""
        if token is None:
            self._held = None
            if not self._told_no_token:
                self._told_no_token = True
                log.warning("no change token stored: the value is read again in every "
                            "transaction until one is")
            return load()
        held = self._held
        if held is not None and held[0] == token:
            return held[1]
        value = load()
        self._held = (token, value)
        return value

    def clear(self) -> None:
        self._held = None
