"""The batch's pairs scored many at a time: `PatternScorer.judge` over arrays.

A pair's total weight is the prior plus, field by field in the model's order, the
pattern's weight and, where the field agrees exactly and has frequencies, the left
record's adjustment. numpy adds them in that same order, so each total is the float
`judge` computes. Only pairs whose total can reach the review threshold (a few per
thousand with a trained model), or whose pattern is one identity
(`decision.identity_links`), are then decided one by one, by `PatternScorer.decide`,
from that total: every other pair is "new" and may not be one person. A test compares
this with `judge` on generated pairs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from hub.domain.matching.record import NormalisedRecord
from hub.domain.matching.scoring import Pattern, PatternScorer

Scored = tuple[int, int, float]
_SURE = 50.0  # bits: from here on `probability_of` rounds to 1.0
_MARGIN = 1e-6  # bits: a total this far under the review weight is decided one by one too


def total_weights(
    scorer: PatternScorer, records: Sequence[NormalisedRecord], left: npt.NDArray[np.uint32],
    codes: npt.NDArray[np.uint16], patterns: Sequence[Pattern],
    right: npt.NDArray[np.uint32] | None = None,
) -> npt.NDArray[np.float64]:
    """Per pair, the total weight `judge` gives its pattern `patterns[code]`, left record
    and right one (None: left's, as `judge` without one)."""
    facts = [scorer.facts(pattern) for pattern in patterns]
    fields = len(scorer.model.comparisons)
    base = np.array([f.weights for f in facts], dtype=np.float64).reshape(len(facts), fields)
    adjusted = [np.array([position in f.tf_fields for f in facts], dtype=bool)
                for position in range(fields)]
    capped = [np.array([position in f.close_fields for f in facts], dtype=bool)
              for position in range(fields)]
    other = left if right is None else right
    weights = np.zeros(len(codes), dtype=np.float64)
    for position in range(fields):
        field = base[:, position][codes]
        uses = adjusted[position][codes]
        if uses.any():
            field[uses] += _adjustments(scorer, records, position, left[uses])
        close = capped[position][codes]
        if close.any():
            lowest = np.minimum(_adjustments(scorer, records, position, left[close]),
                                _adjustments(scorer, records, position, other[close]))
            exact_w, close_w = scorer.field_weights(position)
            field[close] += np.minimum(0.0, (exact_w + lowest) - close_w)  # `close_cap`
        weights += field  # 0.0 + w0 is w0: the same sums as Python's sum()
    return scorer.model.prior_weight + weights


def _adjustments(scorer: PatternScorer, records: Sequence[NormalisedRecord], position: int,
                 left: npt.NDArray[np.uint32]) -> npt.NDArray[np.float64]:
    owners, inverse = np.unique(left, return_inverse=True)
    per_owner = np.array([scorer.adjustment(position, records[i]) for i in owners.tolist()],
                         dtype=np.float64)
    return per_owner[inverse]


def score_pairs(
    scorer: PatternScorer, records: Sequence[NormalisedRecord], left: npt.NDArray[np.uint32],
    right: npt.NDArray[np.uint32], codes: npt.NDArray[np.uint16], patterns: Sequence[Pattern],
) -> tuple[list[Scored], list[Scored], dict[tuple[int, int], bool]]:
    """Auto-links, review pairs, and whether each pair worth a look may be one person,
    as `judge` says for each pair (pairs it calls "new" are left out)."""
    totals = total_weights(scorer, records, left, codes, patterns, right)
    lowest = min(scorer.decision.review_probability, scorer.decision.link_probability,
                 scorer.decision.thin_review())
    floor = -math.inf if lowest <= 0 else (
        _SURE if lowest >= 1 else math.log2(lowest / (1 - lowest)) - _MARGIN)
    links: list[Scored] = []
    reviews: list[Scored] = []
    scored: dict[tuple[int, int], bool] = {}
    facts = [scorer.facts(pattern) for pattern in patterns]
    identity = np.array([f.identity for f in facts], dtype=bool)
    worth = totals >= floor
    if identity.any():  # a pair of one identity links whatever its total
        worth |= identity[codes]
    for position in np.flatnonzero(worth).tolist():
        i, j = int(left[position]), int(right[position])
        code = codes[position]
        pair = facts[code]
        if pair.resolve:  # the household rule's verdict needs the records
            pair = scorer.pair_facts(patterns[code], records[i], records[j])
        kind, probability, may_be_same = scorer.decide(float(totals[position]), pair)
        if kind == "new":
            continue
        scored[(i, j)] = may_be_same
        (links if kind == "link" else reviews).append((i, j, probability))
    return links, reviews, scored
