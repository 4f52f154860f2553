"""The true pairs the batch's blocking misses, by why: the keys their two records share
and the size of those keys' blocks (each over its cap, or the pair would be a candidate),
or no key shared at all.

    .venv/bin/python bench/_capped_misses.py --size 100000

Counts, not times: no baseline needed.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dedup_rule_pairs import load, pair_codes, true_codes

from hub.domain.matching.blocking import SPLIT_MARK, blocking_keys
from hub.domain.matching.settings import default_settings
from hub.services.matching.dedup_batch import load_settings
from hub.services.matching.dedup_parallel import normalise_rows

FIELDS = ("nom", "nom_naissance", "prenom", "date_naissance", "numero", "adresse", "code_postal",
          "commune", "courriel", "telephone")


def _show(record: object) -> str:
    return " ".join(str(getattr(record, f, None)) for f in FIELDS)


def _online(keys: list[list[str]], truth: list[str], cap: int, sample: int = 3000) -> None:
    """As the online matcher looks a fiche up (a key over `cap` fiches skipped), with the
    split keys and without them: candidates a fiche and true pairs found, on a sample."""
    members: dict[str, list[int]] = {}
    for index, record_keys in enumerate(keys):
        for key in record_keys:
            members.setdefault(key, []).append(index)
    mates: dict[str, list[int]] = {}
    for index, person in enumerate(truth):
        mates.setdefault(person, []).append(index)
    picked = random.Random(5).sample(range(len(keys)), min(sample, len(keys)))
    for label, keep in (("with split keys", lambda k: True),
                        ("without", lambda k: SPLIT_MARK not in k)):
        found = wanted = candidates = 0
        for index in picked:
            near = {j for k in keys[index] if keep(k) and len(members[k]) <= cap
                    for j in members[k]} - {index}
            true = set(mates[truth[index]]) - {index}
            candidates += len(near)
            wanted += len(true)
            found += len(true & near)
        print(f"  online (cap {cap}), {label}: {candidates / len(picked):.1f} candidates a "
              f"fiche, true pairs found {found / max(wanted, 1):.4f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--set", default="french")
    parser.add_argument("--settings", type=Path)
    parser.add_argument("--examples", type=int, default=0)
    parser.add_argument("--online-cap", type=int, default=50)
    args = parser.parse_args()
    settings = load_settings(args.settings) if args.settings else default_settings()
    blocking = settings.blocking
    rows, truth = load(args.set, args.size, args.seed)
    records = normalise_rows([(row, row["id"]) for row in rows], 2)
    n = len(records)
    limits = blocking.limits()
    codes = pair_codes(records, blocking.rules, limits, 2)
    wanted = true_codes(truth)
    at = np.searchsorted(codes, wanted).clip(max=len(codes) - 1)
    missed = wanted[codes[at] != wanted]
    print(f"{args.set} {n}: {len(codes)} candidates ({len(codes) / n:.2f}/record), "
          f"completeness {1 - len(missed) / len(wanted):.4f} ({len(missed)} of {len(wanted)} missed)")
    keys = [blocking_keys(r, blocking.rules) for r in records]
    sizes = Counter(k for ks in keys for k in ks)
    by_rule: Counter[str] = Counter()
    by_best: Counter[str] = Counter()
    none = 0
    shown = 0
    for code in missed.tolist():
        i, j = divmod(code, n)
        shared = [k for k in keys[i] if k in set(keys[j])]
        if not shared:
            none += 1
            if none <= args.examples:
                print("   none:", _show(records[i]), "|", _show(records[j]))
            continue
        for k in shared:
            by_rule[k.split(":", 1)[0]] += 1
        best = min(shared, key=lambda k: sizes[k])
        rule = best.split(":", 1)[0]
        band = next(b for b in (20, 30, 50, 75, 100, 200, 500, 10**9) if sizes[best] <= b)
        by_best[f"{rule} <= {band}"] += 1
        if shown < args.examples:
            shown += 1
            print("  ", [(k, sizes[k]) for k in shared])
            print("      ", _show(records[i]), "|", _show(records[j]))
    print(f"  no key shared: {none}; sharing only capped keys: {len(missed) - none}")
    print("  capped keys shared, per rule (a pair counted under each):")
    for rule, count in by_rule.most_common():
        print(f"    {rule:22s} {count}")
    _online(keys, truth, args.online_cap)
    print("  smallest shared block, by rule and size:")
    for label, count in sorted(by_best.items(), key=lambda kv: -kv[1]):
        print(f"    {label:30s} {count}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
