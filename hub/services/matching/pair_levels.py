"""The batch's comparison patterns, one comparison per distinct pair of values.

A comparison's level depends only on the fields it `reads` (`Comparison.reads`, which
the online matcher relies on too), and at a million records the same pairs of values
come back again and again: one surname against another some eighty times, one place
against another two hundred times. So each record gets, per comparison, the number of
its values among the records' distinct ones (`value_ids`); per comparison the pairs'
two numbers are sorted out with numpy, and `Comparison.level` runs once per distinct
pair of values, on the first pair that has them. Only the pairs whose names
`compare_records` reads exchanged (both names different, or one different and the
other missing) are then passed to it one by one, with their levels as written, as the
online matcher does. The patterns are those `compare_records` gives each pair, in the
order first met (a test compares both on generated people).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from hub.domain.matching import comparisons as levels_of
from hub.domain.matching.comparisons import Comparison, compare_records
from hub.domain.matching.record import NormalisedRecord

Pattern = tuple[str, ...]
LEVELS = (levels_of.EXACT, levels_of.CLOSE, levels_of.FUZZY, levels_of.DIFFERENT,
          levels_of.MISSING, levels_of.SWAPPED, levels_of.DAY_OFF)
_CODE = {level: code for code, level in enumerate(LEVELS)}
_NAMES = ("nom", "prenom")  # the fields `compare_records` may read exchanged


def value_ids(records: Sequence[NormalisedRecord],
              comparisons: Sequence[Comparison]) -> list[npt.NDArray[np.int64]]:
    """Per comparison, per record, the number of the record's values that comparison
    reads among the distinct ones (two records of one number have one level against any
    record); last, the same for the names' fields together (`_exchanged`)."""
    names = tuple(dict.fromkeys(field for c in comparisons if c.field in _NAMES
                                for field in c.reads))
    return [_numbers(records, fields) for fields in [c.reads for c in comparisons] + [names]]


def _numbers(records: Sequence[NormalisedRecord], fields: Sequence[str]
             ) -> npt.NDArray[np.int64]:
    numbers: dict[tuple[object, ...], int] = {}
    return np.array([numbers.setdefault(tuple([getattr(record, field) for field in fields]),
                                        len(numbers)) for record in records], dtype=np.int64)


def pair_patterns(
    records: Sequence[NormalisedRecord], left: npt.NDArray[np.uint32],
    right: npt.NDArray[np.uint32], comparisons: list[Comparison],
    ids: Sequence[npt.NDArray[np.int64]],
) -> tuple[npt.NDArray[np.int64], list[Pattern]]:
    """Per pair the index of its pattern (`compare_records`' levels), and the patterns
    in the order their first pair comes."""
    if len(left) == 0:
        return np.empty(0, dtype=np.int64), []
    levels = np.stack([_levels(records, left, right, comparison, number) for comparison, number
                       in zip(comparisons, ids[:len(comparisons)], strict=True)], axis=1)
    levels = _exchanged(records, left, right, comparisons, levels, ids[len(comparisons)])
    codes = np.zeros(len(left), dtype=np.int64)  # levels: one byte a field (1M: 31M pairs)
    for position in range(len(comparisons)):
        codes = codes * len(LEVELS) + levels[:, position]
    _distinct, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")  # first met, first
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    patterns = [tuple(LEVELS[code] for code in levels[first[index]].tolist())
                for index in order.tolist()]
    return rank[inverse.ravel()], patterns


def _levels(records: Sequence[NormalisedRecord], left: npt.NDArray[np.uint32],
            right: npt.NDArray[np.uint32], comparison: Comparison,
            number: npt.NDArray[np.int64]) -> npt.NDArray[np.int8]:
    """The comparison's level code per pair, `level` asked once per distinct pair of values."""
    first, inverse = _distinct_pairs(number, left, right)
    firsts_left, firsts_right = left[first].tolist(), right[first].tolist()
    found = np.array([_CODE[comparison.level(records[i], records[j])]
                      for i, j in zip(firsts_left, firsts_right, strict=True)], dtype=np.int8)
    return found[inverse.ravel()]


def _distinct_pairs(number: npt.NDArray[np.int64], left: npt.NDArray[np.uint32],
                    right: npt.NDArray[np.uint32]) -> tuple[npt.NDArray[np.intp], ...]:
    """Of the pairs' two value numbers: each distinct pair's first pair, and per pair
    its distinct pair."""
    keys = number[left] * np.int64(int(number.max()) + 1) + number[right]
    _distinct, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    return first, inverse.ravel()


def _exchanged(records: Sequence[NormalisedRecord], left: npt.NDArray[np.uint32],
               right: npt.NDArray[np.uint32], comparisons: list[Comparison],
               levels: npt.NDArray[np.int8], names_number: npt.NDArray[np.int64],
               ) -> npt.NDArray[np.int8]:
    """The levels of the pairs whose names `compare_records` reads exchanged, from it.

    Whether a reading exchanged fits, and so whether any level changes, depends on the
    two sides' names alone (the levels of both names, different or missing, too): a
    pair of names whose first pair keeps its levels as written keeps them in every
    pair. Only the pairs of the other pairs of names are passed to `compare_records`
    (their other levels may change: the e-mail reads the names)."""
    names = [position for position, c in enumerate(comparisons) if c.field in _NAMES]
    if not names:
        return levels
    different = (levels[:, names] == _CODE[levels_of.DIFFERENT]).sum(axis=1)
    missing = (levels[:, names] == _CODE[levels_of.MISSING]).sum(axis=1)
    asked = np.flatnonzero((different >= 2) | ((different == 1) & (missing == 1)))
    first, inverse = _distinct_pairs(names_number, left[asked], right[asked])
    kept = np.array([_exchange(records, left, right, comparisons, levels, position)[1]
                     for position in asked[first].tolist()], dtype=bool)
    for position in asked[~kept[inverse]].tolist():
        found, same = _exchange(records, left, right, comparisons, levels, position)
        if not same:
            levels[position] = [_CODE[level] for level in found]
    return levels


def _exchange(records: Sequence[NormalisedRecord], left: npt.NDArray[np.uint32],
              right: npt.NDArray[np.uint32], comparisons: list[Comparison],
              levels: npt.NDArray[np.int8], position: int) -> tuple[Pattern, bool]:
    """`compare_records`' levels of the pair at `position`, and whether they are those
    as written."""
    written = tuple(LEVELS[code] for code in levels[position].tolist())
    found, _reading = compare_records(comparisons, records[int(left[position])],
                                      records[int(right[position])], written)
    return found, found == written
