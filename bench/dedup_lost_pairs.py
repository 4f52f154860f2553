"""Where the batch dedup's recall goes: the true pairs left in two clusters, by the rule
that lost them.

    .venv/bin/python bench/dedup_lost_pairs.py --set dsgen-zipf-swaps --seed 1 --examples 4

For one data set of `dedup_accuracy.py` (trained on the file, as `capactif dedup` runs
it), each true pair whose records end in two clusters is put in one class: never a
candidate (blocking); linked but split by the clustering; or, for a pair scored, what
`pair_kind` did with it (the probability at or above the link threshold without enough
evidence or under a veto, at or above it but below the thin link bound of names and a
place, another person by the household rules, below the link threshold). Then the most
frequent comparison patterns of each class, and a few pairs of the most frequent ones,
field by field (synthetic data only: the values are printed).
The trained model's weights per field and level come first, with the vetoes it lifts.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from rapidfuzz.distance import OSA

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import _febrl
from dedup_accuracy import DSGEN_SETS, FRENCH_VARIANTS, load_set, pairwise, run_ours, true_pairs

from hub.domain.matching.decision import (
    compatible,
    link_bound,
    other_person,
    pair_kind,
    thin,
    vetoed,
)
from hub.domain.matching.model import Explanation, MatchModel
from hub.domain.matching.record import NormalisedRecord, normalise_record
from hub.domain.matching.settings import DecisionSettings, default_settings
from hub.services.matching.pair_arrays import candidate_pair_arrays

_SHOWN = ("prenom", "nom", "date_naissance", "adresse_ligne", "code_postal", "commune")


def loss_class(explanation: Explanation, settings: DecisionSettings) -> str:
    """Why a scored true pair did not join its records (or, linked, what split them)."""
    kind = pair_kind(explanation, settings)
    probability = explanation.probability
    if kind == "link":
        return "link, split by the clustering" + (
            "" if compatible(explanation, settings) else " (the pair incompatible)")
    if probability >= link_bound(thin(explanation, settings), settings):
        why = "vetoed" if vetoed(explanation, settings) else "not enough evidence"
        return f"{kind}: p >= link threshold, {why}"
    if probability >= settings.link_probability:  # names and a place: the thin bound
        return f"{kind}: p >= link threshold, below the thin link bound"
    if other_person(explanation, settings):
        return f"{kind}: another person (household rules), p {'>=' if probability >= 0.5 else '<'} 0.5"
    return f"{kind}: p < link threshold, p {'>=' if probability >= 0.5 else '<'} 0.5"


def date_relation(a: NormalisedRecord, b: NormalisedRecord) -> str:
    """How two records' birth dates differ, as typed: the same, missing on a side, typed
    impossible on a side, day and month swapped, digits of one part exchanged, one digit
    of the day (month, year) typed wrong, a year apart with the day and month the same,
    or otherwise (another date)."""
    x, y = a.date_naissance, b.date_naissance
    if x is None or y is None:
        if (x is None and a.date_digits is None) or (y is None and b.date_digits is None):
            return "missing on a side"
        return "impossible on a side"
    if x == y:
        return "same"
    if (x.year, x.month, x.day) == (y.year, y.day, y.month):
        return "day and month swapped"
    parts = {"year": (f"{x.year:04d}", f"{y.year:04d}"), "month": (f"{x.month:02d}", f"{y.month:02d}"),
             "day": (f"{x.day:02d}", f"{y.day:02d}")}
    apart = [name for name, (first, second) in parts.items() if first != second]
    if len(apart) == 1:
        first, second = parts[apart[0]]
        if sorted(first) == sorted(second) and OSA.distance(first, second) == 1:
            return f"two digits of the {apart[0]} exchanged"
        if sum(c != d for c, d in zip(first, second, strict=True)) == 1:
            return f"one digit of the {apart[0]} typed wrong"
        return f"the {apart[0]} other"
    return "another date (" + ", ".join(apart) + ")"


def field_cause(explanation: Explanation) -> str:
    """The fields of a pair that neither agree exactly nor are missing, with their level."""
    apart = [f"{t.field}={t.level}" for t in explanation.terms if t.level not in ("exact", "missing")]
    return " ".join(apart) or "every field given exact"


def lost_pairs(name: str, seed: int, size: int, examples: int) -> None:
    rows, truth = load_set(name, size, seed)
    with tempfile.TemporaryDirectory() as tmp:
        labels, _seconds, summary = run_ours(rows, Path(tmp), model_out=Path(tmp) / "model.json")
        model = MatchModel.from_json((Path(tmp) / "model.json").read_text("utf-8"))
    p, r, f1 = pairwise(labels, truth)
    print(f"{name} (seed {seed}): P {p:.4f} R {r:.4f} F1 {f1:.4f}, review pairs {summary.review_pairs}")
    settings = model.decision
    print(f"  vetoes lifted: {', '.join(settings.lifted_vetoes) or 'none'}; prior {model.prior:.6f}")
    for field, levels in model.m.items():
        print(f"    {field:15s} " + "  ".join(
            f"{level} {model.level_weight(field, level):+.1f}" for level in levels))
    records = [normalise_record(row, row["id"]) for row in rows]
    blocking = default_settings().blocking
    left, right = candidate_pair_arrays(records, blocking.rules, blocking.limits(), workers=2)
    candidates = set(zip(left.tolist(), right.tolist(), strict=True))
    wanted = true_pairs(truth)
    lost = sorted((i, j) for i, j in wanted if labels[i] != labels[j])
    classes: Counter[str] = Counter()
    patterns: Counter[tuple[str, str]] = Counter()
    shown: dict[tuple[str, str], list[tuple[int, int, float]]] = {}
    dates: Counter[str] = Counter()
    causes: Counter[str] = Counter()
    for i, j in lost:
        if (i, j) not in candidates:
            classes["never a candidate (blocking)"] += 1
            continue
        explanation = model.score(records[i], records[j])
        reason = loss_class(explanation, settings)
        dates[date_relation(records[i], records[j])] += 1
        causes[field_cause(explanation)] += 1
        pattern = " ".join(f"{t.field[:3]}={t.level[:3]}" for t in explanation.terms)
        classes[reason] += 1
        patterns[(reason, pattern)] += 1
        shown.setdefault((reason, pattern), []).append((i, j, explanation.probability))
    print(f"  {len(wanted)} true pairs, {len(lost)} in two clusters:")
    for reason, count in classes.most_common():
        print(f"    {count:5d}  {reason}")
    print("  lost pairs scored, by how their birth dates differ:")
    for relation, count in dates.most_common():
        print(f"    {count:5d}  {relation}")
    print("  lost pairs scored, by the fields not agreeing exactly (level):")
    for cause, count in causes.most_common(20):
        print(f"    {count:5d}  {cause}")
    print("  most frequent patterns:")
    for (reason, pattern), count in patterns.most_common(25):
        print(f"    {count:5d}  {reason:55.55s} {pattern}")
    for key, _count in patterns.most_common(examples):
        print(f"  == {key[0]}: {key[1]}")
        for i, j, probability in shown[key][:3]:
            print(f"     p={probability:.4f}")
            for index in (i, j):
                print("       " + " | ".join(rows[index][f] for f in _SHOWN))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="dsgen-zipf-heavy",
                        choices=["french", *FRENCH_VARIANTS, *_febrl.DEV_SETS, *DSGEN_SETS])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--size", type=int, default=5_000, help="French population size")
    parser.add_argument("--examples", type=int, default=4,
                        help="patterns shown with pairs of records (synthetic data only)")
    args = parser.parse_args(argv)
    lost_pairs(args.set, args.seed, args.size, args.examples)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
