"""Which blocking rules make the batch's candidate pairs, and what each brings, at any size.

    .venv/bin/python bench/dedup_rule_pairs.py --size 300000                  # French
    .venv/bin/python bench/dedup_rule_pairs.py --size 100000 --sets french dsgen-zipf-heavy
    .venv/bin/python bench/dedup_rule_pairs.py --size 100000 --settings a.json b.json

Per rule of the settings' blocking (the shipped ones, or a settings file laid over them),
with their caps and windows, as `capactif dedup` blocks (`pair_arrays`): the candidate
pairs it alone makes (per record), those no other rule makes, how many of them a window
past the cap makes (blocks over the cap), the records in its blocks by block size; the
true pairs it alone brings and those only it brings. Overall: candidate pairs per record
and pairs completeness (true pairs among the candidates). Built on numpy, so it runs at
300,000 and 1,000,000 records where `dedup_accuracy.py`'s per-rule sets would not.
dsgen-* sets (FEBRL family) are made at --size too, their originals and duplicates
scaled from the preset's 5,000 records. Counts, not times: no baseline needed.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import _dsgen
from _population import generate

from hub.domain.matching.blocking import RULES, BlockLimits
from hub.domain.matching.record import NormalisedRecord, normalise_record
from hub.domain.matching.settings import BlockingSettings, default_settings
from hub.services.matching.dedup_batch import load_settings
from hub.services.matching.dedup_parallel import normalise_rows
from hub.services.matching.pair_arrays import candidate_pair_arrays, sorted_unique

Codes = npt.NDArray[np.uint64]
SIZE_BANDS = (1, 2, 5, 10, 20, 50, 200)  # records in blocks of at most each, then more


def load(name: str, size: int, seed: int) -> tuple[list[dict[str, str]], list[str]]:
    """A French population of `size`, or a dsgen preset scaled to `size` records."""
    if name == "french":
        rows, truth = generate(size, seed)
        return rows, [str(t) for t in truth]
    preset = _dsgen.PRESETS[name.removeprefix("dsgen-")]
    scale = size / (preset.originals + preset.duplicates)
    params = dataclasses.replace(preset, originals=round(preset.originals * scale),
                                 duplicates=round(preset.duplicates * scale),
                                 siblings=round(preset.siblings * scale))
    return _dsgen.generate(params, seed)


def true_codes(truth: Sequence[str]) -> Codes:
    """Sorted codes (i * n + j, i < j) of the pairs of one person."""
    members: dict[str, list[int]] = {}
    for index, person in enumerate(truth):
        members.setdefault(person, []).append(index)
    n = len(truth)
    codes = [i * n + j for group in members.values() if len(group) > 1
             for k, i in enumerate(group) for j in group[k + 1:]]
    return np.sort(np.array(codes, dtype=np.uint64))


def pair_codes(records: Sequence[NormalisedRecord], rules: Sequence[str], limits: BlockLimits,
               workers: int) -> Codes:
    left, right = candidate_pair_arrays(records, rules, limits, workers)
    return left.astype(np.uint64) * np.uint64(len(records)) + right.astype(np.uint64)


def among(codes: Codes, wanted: Codes) -> int:
    """How many of the sorted `wanted` codes are in the sorted `codes`."""
    if len(codes) == 0 or len(wanted) == 0:
        return 0
    at = np.searchsorted(codes, wanted).clip(max=len(codes) - 1)
    return int((codes[at] == wanted).sum())


def through_clusters(codes: Codes, wanted: Codes, n: int) -> int:
    """How many `wanted` pairs a chain of true candidate pairs joins (the recall the
    blocking leaves: `_blocking_misses.reachable`)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    at = np.searchsorted(codes, wanted).clip(max=max(len(codes) - 1, 0))
    kept = wanted[codes[at] == wanted] if len(codes) else wanted[:0]
    left, right = kept // np.uint64(n), kept % np.uint64(n)
    graph = coo_matrix((np.ones(len(kept), dtype=np.int8), (left, right)), shape=(n, n))
    _count, label = connected_components(graph, directed=False)
    return int((label[wanted // np.uint64(n)] == label[wanted % np.uint64(n)]).sum())


def block_bands(records: Sequence[NormalisedRecord], rule: str) -> list[int]:
    """Records keyed by `rule`, by the size of their block (`SIZE_BANDS`)."""
    hashes = np.array([hash(key) for record in records for key in RULES[rule](record)
                       if key is not None], dtype=np.int64)
    if len(hashes) == 0:
        return [0] * (len(SIZE_BANDS) + 1)
    _keys, counts = np.unique(np.sort(hashes), return_counts=True)
    edges = np.array(SIZE_BANDS)
    band = np.searchsorted(edges, counts, side="left")
    return np.bincount(band, weights=counts, minlength=len(SIZE_BANDS) + 1).astype(int).tolist()


def report(name: str, records: list[NormalisedRecord], truth: list[str],
           blocking: BlockingSettings, workers: int) -> None:
    n = len(records)
    wanted = true_codes(truth)
    limits = blocking.limits()
    no_window = dataclasses.replace(limits, window=0, weak_window=0)
    per_rule = {rule: pair_codes(records, [rule], limits, workers) for rule in blocking.rules}
    every = np.concatenate(list(per_rule.values()))
    owner = np.repeat(np.arange(len(per_rule), dtype=np.uint8),
                      [len(codes) for codes in per_rule.values()])
    order = np.argsort(every, kind="stable")
    every, owner = every[order], owner[order]
    starts = np.flatnonzero(np.r_[True, every[1:] != every[:-1]])
    runs = np.diff(np.r_[starts, len(every)])
    union = every[starts]
    alone_owner = owner[starts[runs == 1]]
    alone_codes = union[runs == 1]
    found = among(union, wanted)
    print(f"{name}: {n} records, {len(wanted)} true pairs; caps {limits}")
    print(f"  candidate pairs {len(union)} ({len(union) / n:.2f} per record); pairs "
          f"completeness {found / max(len(wanted), 1):.4f} ({found} of {len(wanted)}); "
          f"through clusters {through_clusters(union, wanted, n) / max(len(wanted), 1):.4f}")
    print(f"    {'rule':20s} {'pairs/rec':>9s} {'only/rec':>8s} {'window':>7s} "
          f"{'true alone':>10s} {'true only':>9s}   records by block size "
          f"(<= {', '.join(map(str, SIZE_BANDS))}, more)")
    for position, (rule, codes) in enumerate(per_rule.items()):
        mine = alone_owner == position
        whole = pair_codes(records, [rule], no_window, workers)
        print(f"    {rule:20s} {len(codes) / n:9.3f} {mine.sum() / n:8.3f} "
              f"{(len(codes) - len(whole)) / n:7.3f} "
              f"{among(codes, wanted) / max(len(wanted), 1):10.4f} "
              f"{among(sorted_unique(alone_codes[mine]), wanted):9d}   "
              f"{block_bands(records, rule)}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--sets", nargs="+", default=["french"],
                        choices=["french", *(f"dsgen-{p}" for p in _dsgen.PRESETS)])
    parser.add_argument("--settings", type=Path, nargs="*", default=[],
                        help="matching settings files laid over the shipped: each reported "
                             "after the shipped ones, on the same records")
    parser.add_argument("--no-shipped", action="store_true", help="only the --settings files")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    variants = [] if args.no_shipped else [("shipped", default_settings())]
    variants += [(str(path), load_settings(path)) for path in args.settings]
    for name in args.sets:
        rows, truth = load(name, args.size, args.seed)
        records = (normalise_rows([(row, row["id"]) for row in rows], args.workers)
                   if args.workers > 1 else [normalise_record(row, row["id"]) for row in rows])
        for label, settings in variants:
            report(f"{name} ({label})", records, truth, settings.blocking, args.workers)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
