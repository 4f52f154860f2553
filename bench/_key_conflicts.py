"""Why two workers put fiches back (not a benchmark: a probe; no database). Two worker
transactions of new fiches run at once only if they share no matching key under the cap
(`OnlineMatcher.lock_free`: a fiche meeting a key the other transaction holds is put
back). This takes bench/ingest.py's workload, indexes --preload fiches, then pairs
consecutive transactions of --size fiches of the next --fiches (as two workers splitting
a queue take them) and prints the share of the second's fiches that meet a key of the
first, by key family, and what that share would be without each family; then the share
when each pair of transactions is cut from its 2 x --size queued fiches sorted by postcode
(as a claim by territory would take them).

    .venv/bin/python bench/_key_conflicts.py [--preload 3000] [--fiches 1500]
                                             [--sizes 100,250,500] [--cap 50]
"""

from __future__ import annotations

import argparse
import collections
import sys
from collections.abc import Collection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest import workload

from hub.domain.matching.decision import record_blocking_keys
from hub.services.matching.online import identity_of, load_matching_model


def family(key: str) -> str:
    return key.split(":", 1)[0]


def refused(fiches: list[list[str]], size: int, counts: collections.Counter[str], cap: int,
            left_out: Collection[str] = ()) -> tuple[float, collections.Counter[str]]:
    """The share of the second transaction's fiches meeting a key of the first (keys over
    the cap are locked in shared mode: no conflict), and the families of the keys met."""
    met: collections.Counter[str] = collections.Counter()
    tried = put_back = 0
    for start in range(0, len(fiches) - 2 * size + 1, 2 * size):
        first, second = fiches[start:start + size], fiches[start + size:start + 2 * size]
        held = {k for keys in first for k in keys
                if counts[k] <= cap and family(k) not in left_out}
        for keys in second:
            tried += 1
            shared = {k for k in keys if k in held}
            put_back += bool(shared)
            met.update({family(k) for k in shared})
    return put_back / max(1, tried), met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--preload", type=int, default=3000)
    parser.add_argument("--fiches", type=int, default=1500)
    parser.add_argument("--sizes", type=lambda text: [int(v) for v in text.split(",")],
                        default=[100, 250, 500])
    parser.add_argument("--cap", type=int, default=50, help="HUB_MATCH_CANDIDATES_PER_KEY")
    args = parser.parse_args()
    model = load_matching_model(None)
    documents = workload("W", args.preload, seed=1) + workload("R0", args.fiches, seed=0)
    keys = [record_blocking_keys(identity_of(d.get("porteur")), model) for d in documents]
    counts = collections.Counter(k for fiche in keys[:args.preload] for k in set(fiche))
    fiches = keys[args.preload:]
    postcodes = [_postcode(d) for d in documents[args.preload:]]
    print(f"{sum(map(len, fiches)) / len(fiches):.1f} keys a fiche; index of {args.preload}")
    for size in args.sizes:
        share, met = refused(fiches, size, counts, args.cap)
        print(f"\ntransactions of {size}: {100 * share:.1f} % of the second's fiches meet a key "
              f"of the first; families met (fiches): {met.most_common(8)}")
        ranked = [name for name, _ in met.most_common()]
        for n in range(1, min(6, len(ranked)) + 1):
            without, _ = refused(fiches, size, counts, args.cap, ranked[:n])
            print(f"   without {', '.join(ranked[:n])}: {100 * without:.1f} %")
        by_place = [fiches[i] for start in range(0, len(fiches), 2 * size)
                    for i in sorted(range(start, min(len(fiches), start + 2 * size)),
                                    key=lambda i: (postcodes[i], i))]
        share, met = refused(by_place, size, counts, args.cap)
        print(f"   claimed by postcode: {100 * share:.1f} %; families met: {met.most_common(4)}")


def _postcode(document: dict) -> str:
    return str(((document.get("porteur") or {}).get("adresse") or {}).get("code_postal", ""))


if __name__ == "__main__":
    main()
