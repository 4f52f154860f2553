"""Online pairs completeness against a per-key cap for the weak keys (not a speed bench:
what a lower cap would cost). On a store built by `_store_index.build` (the population
of `dedup_speed.py --store`, seed 11, N fiches), a sample of its own fiches is looked up
as the online matcher looks one up: its keys' fiches, a key skipped when it holds more
than its cap (strong keys: `HUB_MATCH_CANDIDATES_PER_KEY`, 50), and the true pairs
found counted against the true pairs of the sample.

    .venv/bin/python bench/_online_caps.py STORE_DIR N [--sample 4000]
"""

from __future__ import annotations

import argparse
import collections
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _population import generate
from _store_index import _hub, as_porteur

from hub.domain.matching.blocking import WEAK_RULES
from hub.domain.matching.decision import record_blocking_keys
from hub.services.matching.online import identity_of, matching_model

CAPS = (50, 40, 30, 25, 20)
QUERIES = 300  # the probes `dedup_speed.py --store` generates after the indexed rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", type=Path)
    parser.add_argument("size", type=int)
    parser.add_argument("--sample", type=int, default=4000)
    args = parser.parse_args()
    rows, truth = generate(args.size + QUERIES, seed=11)  # as `dedup_speed.py --store`
    fiches_of = collections.defaultdict(set)
    for pk, person in enumerate(truth[:args.size], start=1):
        fiches_of[person].add(pk)
    hub = _hub(f"sqlite:///{args.store}/hub.sqlite3", args.store)
    strong_cap = hub.settings.match_candidates_per_key
    model = matching_model(hub)
    found, candidates, pairs = dict.fromkeys(CAPS, 0), dict.fromkeys(CAPS, 0), 0
    sample = random.Random(5).sample(range(1, args.size + 1), args.sample)
    with hub.uow() as uow:
        for pk in sample:
            mates = fiches_of[truth[pk - 1]] - {pk}
            pairs += len(mates)
            keys = record_blocking_keys(identity_of(as_porteur(rows[pk - 1])), model)
            digests = [uow.matching.digest(k) for k in keys]
            held = uow.matching._fiches_under(digests, strong_cap + 1)
            for cap in CAPS:
                got = {other for key, digest in zip(keys, digests, strict=True)
                       if len(held.get(digest, ())) <= (
                           cap if key.split(":", 1)[0] in WEAK_RULES else strong_cap)
                       for other in held.get(digest, ())} - {pk}
                found[cap] += len(got & mates)
                candidates[cap] += len(got)
    hub.close()
    print(f"{args.size} fiches indexed, {args.sample} of them looked up, {pairs} true pairs")
    for cap in CAPS:
        print(f"  weak keys capped at {cap}: pairs completeness {found[cap] / pairs:.4f} "
              f"({found[cap]}), {candidates[cap] / args.sample:.1f} candidates a fiche")


if __name__ == "__main__":
    main()
