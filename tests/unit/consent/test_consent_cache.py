"""The record cache: a lookup per check, the change counter read at most once a second."""

from __future__ import annotations

from capactif_demo.consent_examples import example_record
from consent.cache import RecordCache


class Counter:
    def __init__(self) -> None:
        self.version, self.reads = 0, 0

    def __call__(self) -> int:
        self.reads += 1
        return self.version


class Ticks:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_counter_is_read_at_most_once_per_refresh_interval():
    counter, ticks = Counter(), Ticks()
    cache = RecordCache(counter, monotonic=ticks)
    record = example_record()
    for _ in range(50):
        assert cache.get("k", lambda: record) is record
    assert counter.reads == 1
    ticks.now += 1.0
    cache.get("k", lambda: record)
    assert counter.reads == 2


def test_a_change_in_another_process_is_seen_within_the_refresh_interval():
    counter, ticks = Counter(), Ticks()
    cache = RecordCache(counter, monotonic=ticks)
    stale, fresh = example_record(), example_record(purposes=("statistiques",))
    cache.get("k", lambda: stale)
    counter.version += 1  # another process withdrew a consent
    ticks.now += 0.5
    assert cache.get("k", lambda: fresh) is stale  # within the documented bound
    ticks.now += 0.5
    assert cache.get("k", lambda: fresh) is fresh


def test_invalidate_drops_records_at_once():
    cache = RecordCache(Counter(), monotonic=Ticks())
    cache.get("k", example_record)
    cache.invalidate()
    fresh = example_record(purposes=("statistiques",))
    assert cache.get("k", lambda: fresh) is fresh


def test_absences_are_not_cached_and_the_size_is_bounded():
    cache = RecordCache(Counter(), monotonic=Ticks(), max_entries=3)
    assert cache.get("missing", lambda: None) is None
    assert cache.get("missing", example_record) is not None
    for key in range(10):
        cache.get(key, example_record)
    assert len(cache) <= 3
