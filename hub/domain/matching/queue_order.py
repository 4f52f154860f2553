"""The order of the duplicate queue as the coordination is told it.

An item with a side the coordination may not see tells neither its probability nor,
when that side is its new fiche, when it was opened (`disclosed.told_probability`,
`told_opened`). Sorted among the others by what it does not tell, its place would tell
it all the same: in an order by probability or by age, an item whose key is not told
goes after every item whose key is, in the order of their numbers, the same place
whatever its probability or its age.

The console's pages are sorted and cut in the database in this order
(`hub.store.review_queue_repository.ReviewQueue.page`); `sorted_as_told` says it for a list
in memory, and is what the database's order is checked against."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import NamedTuple

ORDERS = ("anciennete", "recents", "probabilite", "probabilite_basse")


class ToldItem(NamedTuple):
    """An item's sort keys as told to its reader (None: not told)."""

    id: int
    probability: float | None
    opened_at: dt.datetime | None


def sorted_as_told(items: Sequence[ToldItem], order: str) -> list[ToldItem]:
    """`items` in `order` (one of `ORDERS`): those whose key is told by it (descending
    for `recents` and `probabilite`), ties by number; then those whose key is not told,
    by number."""
    descending = order in ("recents", "probabilite")
    by_probability = order.startswith("probabilite")

    def key(item: ToldItem) -> tuple[bool, float, int]:
        told = item.probability if by_probability else (
            item.opened_at.timestamp() if item.opened_at is not None else None)
        if told is None:
            return (True, 0.0, item.id)
        return (False, -told if descending else told, item.id)

    return sorted(items, key=key)
