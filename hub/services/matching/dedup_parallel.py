"""The batch's heavy loops, spread over worker processes: normalising rows, comparing pairs.

Workers are forked after the records and pairs exist, so they read them from the
parent's memory (copy on write) instead of receiving them through a pipe; each
sends back only compact answers: for pairs, one small number per pair naming its
comparison pattern, and the list of those patterns. With one worker (or little
work) everything runs in the calling process, the same functions, the same answers.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import os
from array import array
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from hub.domain.matching.comparisons import Comparison
from hub.domain.matching.record import NormalisedRecord, normalise_record
from hub.services.matching.pair_levels import pair_patterns, value_ids

Pattern = tuple[str, ...]
MIN_PAIRS_PER_WORKER = 200_000
MIN_ROWS_PER_WORKER = 50_000
_shared: dict[str, Any] = {}  # what forked workers read: set just before the fork


@contextlib.contextmanager
def share_with_workers(**values: Any) -> Iterator[None]:
    """Make `values` readable by the workers forked inside the block (`shared(name)`)."""
    _shared.update(values)
    try:
        yield
    finally:
        _shared.clear()


def shared(name: str) -> Any:
    return _shared[name]


def default_workers() -> int:
    """One process per core, at most two (the target machine has two cores)."""
    return max(1, min(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                      else os.cpu_count() or 1))


def normalise_rows(rows: list[tuple[dict[str, str], str]], workers: int) -> list[NormalisedRecord]:
    """`normalise_record(raw, record_id)` for every row, in order."""
    workers = min(workers, len(rows) // MIN_ROWS_PER_WORKER)
    if workers <= 1:
        return [normalise_record(raw, record_id) for raw, record_id in rows]
    with share_with_workers(rows=rows):
        parts = in_workers(_normalise_slice, len(rows), workers)
    return [record for part in parts for record in part]


def _normalise_slice(start: int, stop: int) -> list[NormalisedRecord]:
    return [normalise_record(raw, record_id) for raw, record_id in _shared["rows"][start:stop]]


def compare_pairs(
    records: Sequence[NormalisedRecord], left: array, right: array,
    comparisons: list[Comparison], workers: int,
) -> tuple[array, list[Pattern]]:
    """Per pair the index of its comparison pattern (`compare_records`' levels), and the
    patterns (first seen, first), each comparison asked once per distinct pair of
    values (`pair_levels`)."""
    workers = min(workers, len(left) // MIN_PAIRS_PER_WORKER)
    ids = value_ids(records, comparisons)
    with share_with_workers(records=records, left=left, right=right, comparisons=comparisons,
                            ids=ids):
        parts = ([_compare_slice(0, len(left))] if workers <= 1
                 else in_workers(_compare_slice, len(left), workers))
    codes, patterns, index_of = array("H"), list[Pattern](), dict[Pattern, int]()
    for part_codes, part_patterns in parts:
        renumber = []
        for pattern in part_patterns:
            if pattern not in index_of:
                index_of[pattern] = len(patterns)
                patterns.append(pattern)
            renumber.append(index_of[pattern])
        codes.frombytes(np.array(renumber, dtype=np.uint16)[part_codes].tobytes())
    return codes, patterns


def _compare_slice(start: int, stop: int) -> tuple[np.ndarray, list[Pattern]]:
    left = np.frombuffer(_shared["left"], dtype=np.uint32)[start:stop]
    right = np.frombuffer(_shared["right"], dtype=np.uint32)[start:stop]
    codes, patterns = pair_patterns(_shared["records"], left, right, _shared["comparisons"],
                                    _shared["ids"])
    return codes.astype(np.uint16), patterns


def in_workers(task: Callable[[int, int], Any], size: int, workers: int) -> list[Any]:
    """`task(start, stop)` over `workers` equal slices of range(size), in forked processes."""
    bounds = [size * k // workers for k in range(workers + 1)]
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        return pool.starmap(task, itertools.pairwise(bounds))
