"""The queue's order as told: an item whose key is not told takes the same place
whatever its value."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from hub.domain.matching.queue_order import ORDERS, ToldItem, sorted_as_told

START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
_told = st.builds(lambda p, d: (p, START + dt.timedelta(days=d)),
                  st.floats(0, 1), st.integers(0, 400))


@given(st.lists(_told, min_size=1, max_size=12), st.sampled_from(ORDERS), st.data())
def test_an_item_not_told_sorts_after_the_told_ones_by_number(keys, order, data):
    hidden = set(data.draw(st.sets(st.integers(0, len(keys) - 1))))
    items = [ToldItem(i, None if i in hidden else p, None if i in hidden else d)
             for i, (p, d) in enumerate(keys)]
    ranked = [item.id for item in sorted_as_told(items, order)]
    assert ranked[len(keys) - len(hidden):] == sorted(hidden)


def test_the_told_ones_sort_by_their_key_ties_by_number():
    items = [ToldItem(3, 0.5, START), ToldItem(1, 0.9, START + dt.timedelta(days=2)),
             ToldItem(2, 0.5, START + dt.timedelta(days=1))]
    assert [i.id for i in sorted_as_told(items, "probabilite")] == [1, 2, 3]
    assert [i.id for i in sorted_as_told(items, "probabilite_basse")] == [2, 3, 1]
    assert [i.id for i in sorted_as_told(items, "anciennete")] == [3, 2, 1]
    assert [i.id for i in sorted_as_told(items, "recents")] == [1, 2, 3]
