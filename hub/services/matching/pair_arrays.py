"""The batch's candidate pairs as two arrays, built with numpy: the same pairs as
`blocking.candidate_pairs`, in (left, right) order, without a Python object per pair.

The reference (`candidate_pairs`) walks every block in Python and asks, per pair,
which key the two records share first; at a million records that is tens of millions
of small tuples and list scans. Here each record's keys (from `blocking_keys`, the same
function) are hashed to 64-bit numbers in the forked workers, blocks are runs of equal
numbers once sorted, a block within its cap gives every pair of its members, a block
over its cap the pairs within its window in each of the two orders (`_SORT_VALUES`),
and one `numpy.unique` over the pair codes removes the pairs that several keys bring.
A test compares both on generated people.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from hub.domain.matching.blocking import _SORT_VALUES, SPLIT_MARK, BlockLimits, blocking_keys
from hub.domain.matching.record import NormalisedRecord
from hub.services.matching.dedup_parallel import in_workers, share_with_workers, shared

Indexes = npt.NDArray[np.uint32]
MIN_RECORDS_PER_WORKER = 50_000


def candidate_pair_arrays(
    records: Sequence[NormalisedRecord], rules: Sequence[str], limits: BlockLimits,
    workers: int = 1,
) -> tuple[Indexes, Indexes]:
    """(left, right) index arrays, left < right, sorted, each pair once."""
    return _split(_pair_codes(records, rules, limits, workers), len(records))


def candidate_pairs_for_training(
    records: Sequence[NormalisedRecord], rules: Sequence[str], untrained: Sequence[str],
    limits: BlockLimits, workers: int = 1,
) -> tuple[Indexes, Indexes, npt.NDArray[np.bool_] | None]:
    """`candidate_pair_arrays` of `rules`, and which of the pairs a rule outside
    `untrained` brings: the pairs the model is trained on (None: every pair).

    A block's pairs depend on its key alone, so the pairs of all the rules are those of
    the rules that train joined with those of the others; each key is made once.
    """
    left_out = [rule for rule in rules if rule in untrained]
    if not left_out:
        left, right = candidate_pair_arrays(records, rules, limits, workers)
        return left, right, None
    trained = _pair_codes(records, [r for r in rules if r not in untrained], limits, workers)
    both = np.concatenate([trained, _pair_codes(records, left_out, limits, workers)])
    order = np.argsort(both, kind="stable")  # two sorted runs merged; a trained code first
    merged = both[order]
    first = _firsts(merged)
    left, right = _split(merged[first], len(records))
    return left, right, order[first] < len(trained)


def sorted_unique(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """`np.unique(values)` by sorting. NumPy 2.3+ finds the distinct values of an integer
    array with a hash table when no index is asked, some ten times slower than a sort on
    millions of pair codes (8M: 13 s against 0.6 s; at 1M records the batch's ~40M
    codes took minutes in one process)."""
    ordered = np.sort(values)
    return ordered[_firsts(ordered)]


def _firsts(ordered: npt.NDArray[Any]) -> npt.NDArray[np.bool_]:
    """Of a sorted array, the first of each run of equal values."""
    first = np.ones(len(ordered), dtype=bool)
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    return first


def _split(codes: npt.NDArray[np.uint64], total: int) -> tuple[Indexes, Indexes]:
    size = np.uint64(max(total, 1))
    return (codes // size).astype(np.uint32), (codes % size).astype(np.uint32)


def _pair_codes(
    records: Sequence[NormalisedRecord], rules: Sequence[str], limits: BlockLimits, workers: int,
) -> npt.NDArray[np.uint64]:
    """The sorted unique codes (left * len(records) + right) of the candidate pairs."""
    owner, key, cap, window = _keys(records, rules, limits, workers)
    if len(key) == 0:
        return np.empty(0, dtype=np.uint64)
    order = np.lexsort((owner, key))  # by key, then record index (members in index order)
    owner, key, cap, window = owner[order], key[order], cap[order], window[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    sizes = np.diff(np.r_[starts, len(key)])
    caps, windows = cap[starts], window[starts]
    total = len(records)
    codes = [_block_pairs(owner, starts, sizes, caps, total)]
    big = (sizes > caps) & (windows > 0)
    if big.any():
        codes.append(_window_pairs(records, owner, starts[big], sizes[big], windows[big], total))
    return sorted_unique(np.concatenate(codes))


def _keys(
    records: Sequence[NormalisedRecord], rules: Sequence[str], limits: BlockLimits, workers: int,
) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.int64], npt.NDArray[np.uint16],
           npt.NDArray[np.uint16]]:
    """Per (record, key): the record's index, the key's hash, its block cap and window.

    The forked workers inherit the parent's string hash seed, so a key hashes alike in all.
    """
    workers = min(workers, len(records) // MIN_RECORDS_PER_WORKER)
    with share_with_workers(records=records, rules=tuple(rules), limits=limits):
        parts = (in_workers(_keys_slice, len(records), workers) if workers > 1
                 else [_keys_slice(0, len(records))])
    return tuple(np.concatenate([part[k] for part in parts])  # type: ignore[return-value]
                 for k in range(4))


def _keys_slice(start: int, stop: int) -> tuple[np.ndarray, ...]:
    records, rules, limits = shared("records"), shared("rules"), shared("limits")
    owner, hashes, caps, windows = array("I"), array("q"), array("H"), array("H")
    bounds: dict[str, tuple[int, int]] = {}
    for index in range(start, stop):
        for key in blocking_keys(records[index], rules):
            rule = key.split(":", 1)[0] + (SPLIT_MARK if SPLIT_MARK in key else "")
            if rule not in bounds:
                bounds[rule] = limits.of(key)
            block_cap, reach = bounds[rule]
            owner.append(index)
            hashes.append(hash(key))
            caps.append(block_cap)
            windows.append(reach)
    return (np.frombuffer(owner, dtype=np.uint32), np.frombuffer(hashes, dtype=np.int64),
            np.frombuffer(caps, dtype=np.uint16), np.frombuffer(windows, dtype=np.uint16))


def _codes(left: np.ndarray, right: np.ndarray, size: int) -> npt.NDArray[np.uint64]:
    low, high = np.minimum(left, right), np.maximum(left, right)
    return low.astype(np.uint64) * np.uint64(size) + high.astype(np.uint64)


def _block_pairs(owner: np.ndarray, starts: np.ndarray, sizes: np.ndarray,
                 caps: np.ndarray, total: int) -> npt.NDArray[np.uint64]:
    """Every pair of every block of 2 to `cap` members, blocks of one size at a time."""
    small = (sizes >= 2) & (sizes <= caps)
    codes = [np.empty(0, dtype=np.uint64)]
    for block_size in sorted_unique(sizes[small]):
        first = starts[small & (sizes == block_size)]
        members = owner[first[:, None] + np.arange(block_size)]
        upper_left, upper_right = np.triu_indices(int(block_size), 1)
        codes.append(_codes(members[:, upper_left].ravel(), members[:, upper_right].ravel(),
                            total))
    return np.concatenate(codes)


def _window_pairs(records: Sequence[NormalisedRecord], owner: np.ndarray, starts: np.ndarray,
                  sizes: np.ndarray, windows: np.ndarray, total: int) -> npt.NDArray[np.uint64]:
    """The pairs within `window` of each other in each big block, in each sort order."""
    block = np.repeat(np.arange(len(starts)), sizes)
    members = owner[np.concatenate([np.arange(s, s + n) for s, n in zip(starts, sizes,
                                                                          strict=True)])]
    reach = np.repeat(windows, sizes)
    involved = sorted_unique(members)
    codes = []
    for sort_value in _SORT_VALUES:
        # A stable sort of the records involved: ties keep index order, as `sorted` does.
        ranked = sorted(involved.tolist(), key=lambda index: sort_value(records[index]))
        rank = np.zeros(total, dtype=np.int64)
        rank[np.array(ranked, dtype=np.int64)] = np.arange(len(ranked))
        ordered = members[np.lexsort((rank[members], block))]
        for distance in range(1, int(windows.max()) + 1):
            near = (block[:-distance] == block[distance:]) & (reach[:-distance] >= distance)
            codes.append(_codes(ordered[:-distance][near], ordered[distance:][near], total))
    return np.concatenate(codes)
