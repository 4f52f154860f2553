"""Online and batch decisions on the same data: where the worker's path and `capactif dedup`
put records together differently, and which of the two is right.

    .venv/bin/python bench/dedup_agreement.py --sets dsgen-zipf-heavy dsgen-zipf-swaps french febrl4

For each set of `bench/dedup_accuracy.py` (same loading, same seed): the batch runs
(`run_batch`, the model trained on the file), then the same records, read as the batch
read them, with the model it trained, arrive one by one at the online path: each fiche
against the fiches before it, as the worker's `OnlineMatcher.resolve_new` sees them (its
`_BatchIndex`: a key held by more than `HUB_MATCH_CANDIDATES_PER_KEY` fiches gives no
candidate; `PatternScorer.match_one` without the best new pair), linked to its porteur
or made a new one. Once in the file's order, once shuffled (`--seed`). Printed: the
pairs together in both, only online, only in the batch (and how many of each are
true pairs), P / R / F1 of each against the truth, and the online decisions behind the
pairs only the batch joins (a fiche linked to two porteurs: review; a fiche told new
though the batch joins it to a fiche before it; ...).
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dedup_accuracy import load_set, pairwise, run_ours

from hub.config import Settings
from hub.domain.matching.decision import Decision, compatible, pair_kind, record_blocking_keys
from hub.domain.matching.model import MatchModel
from hub.domain.matching.record import NormalisedRecord
from hub.services.matching.dedup_batch import read_people_csv
from hub.services.matching.online import IndexedFiche, _BatchIndex


def online_labels(records: Sequence[NormalisedRecord], model: MatchModel, order: Sequence[int],
                  cap: int, policy: str = "review",
                  ) -> tuple[list[str], Counter[str], dict[int, tuple[Decision, set[int]]]]:
    """Each record's porteur when the records arrive in `order` at the online path, the
    count of its decisions by kind, and each record's decision and candidates.

    `policy`, for a fiche linking to two porteurs or more (what-if): "review" (the
    worker's), "best" (linked to the best porteur it is compatible with, every fiche of
    it), "merge" (and the other porteurs linked merged into it when every pair of fiches
    of the union may be one person, as the batch's cluster check)."""
    index, porteur_of, kinds = _BatchIndex(cap), [""] * len(records), Counter[str]()
    index.load({}, {})
    decided = {}
    fiches_of: dict[str, list[int]] = {}
    max_group = model.settings.decision.max_group_size

    def fits(pk: int, group: Sequence[int]) -> bool:
        return all(compatible(model.score(records[pk], records[o]), model.decision)
                   for o in group)

    for pk in order:
        record = records[pk]
        keys = record_blocking_keys(record, model)
        candidates = index.candidates(keys, skip_fiche=pk)
        decision = model.pattern_scorer.match_one(record, candidates, best_new=False)
        decided[pk] = (decision, {c.fiche_pk for c in candidates})
        kinds[decision.kind] += 1
        porteur = decision.porteur_id if decision.kind == "link" else None
        if policy != "review" and decision.kind == "review" and decision.conflicts:
            seen = {c.fiche_pk for c in candidates}
            linked = [p for p in (decision.porteur_id, *decision.conflicts) if p]
            held = {p: [o for o in fiches_of[p] if policy.endswith("all") or o in seen]
                    for p in linked}
            union = [o for p in linked for o in held[p]]
            coherent = len(union) < max_group and fits(pk, union) and all(
                fits(a, held[q]) for p, q in itertools.combinations(linked, 2) for a in held[p])
            if coherent:
                porteur = linked[0]
            elif policy.startswith("best"):
                porteur = next((p for p in linked if fits(pk, fiches_of[p])), None)
            if coherent and policy.startswith(("merge", "best")):
                for other in linked[1:]:
                    for o in fiches_of.pop(other):
                        porteur_of[o] = porteur
                        index.records[o] = index.records[o]._replace(porteur_id=porteur)
                        fiches_of[porteur].append(o)
        porteur_of[pk] = porteur or f"p{pk}"
        fiches_of.setdefault(porteur_of[pk], []).append(pk)
        index.add(IndexedFiche(pk, porteur_of[pk], record), keys)
    return porteur_of, kinds, decided


def why_apart(records: Sequence[NormalisedRecord], model: MatchModel, order: Sequence[int],
              online: Sequence[str], batch: Sequence[str],
              decided: dict[int, tuple[Decision, set[int]]]) -> Counter[str]:
    """For each fiche that starts an online porteur though the batch puts it with a fiche
    that arrived before it: the online decision, and what it saw of that batch cluster."""
    arrival = {pk: n for n, pk in enumerate(order)}
    first_of: dict[str, int] = {}
    for pk in order:
        first_of.setdefault(online[pk], pk)
    members: dict[str, list[int]] = {}
    for pk, label in enumerate(batch):
        members.setdefault(label, []).append(pk)
    reasons: Counter[str] = Counter()
    for pk in first_of.values():
        earlier = [o for o in members[batch[pk]] if arrival[o] < arrival[pk]]
        if not earlier:
            continue
        decision, seen = decided[pk]
        kinds = Counter(pair_kind(model.score(records[pk], records[o]), model.decision)
                        for o in earlier)
        shown = [o for o in earlier if o in seen]
        if decision.kind == "review" and decision.conflicts:
            reason = "review: links two porteurs or more"
        elif decision.kind == "review":
            reason = "review: " + ("a link refused (a fiche of the porteur incompatible)"
                                   if kinds["link"] else "best pair in the review band")
        elif not shown:
            reason = "new: no fiche of the batch cluster before it among its candidates" + (
                " (a link pair among them)" if kinds["link"] else "")
        elif kinds["link"]:
            reason = "new: a link pair to the cluster but not among candidates"
        else:
            reason = "new: no link pair to the fiches before it (joined by a later one)"
        reasons[reason] += 1
    return reasons


def together(labels: Sequence[str]) -> set[tuple[int, int]]:
    members: dict[str, list[int]] = {}
    for position, label in enumerate(labels):
        members.setdefault(label, []).append(position)
    return {(a, b) for group in members.values() for k, a in enumerate(group)
            for b in group[k + 1:]}


def compare(name: str, order_name: str, online: list[str], batch: list[str],
            truth: Sequence[str], kinds: Counter[str], seconds: float) -> None:
    on, off = together(online), together(batch)
    truly = together(list(truth))
    only_online, only_batch = on - off, off - on
    p, r, f1 = pairwise(online, truth)
    print(f"  online, {order_name:15s}: P {p:.4f} R {r:.4f} F1 {f1:.4f}; pairs both "
          f"{len(on & off)}, only online {len(only_online)} ({len(only_online & truly)} true), "
          f"only batch {len(only_batch)} ({len(only_batch & truly)} true); decisions "
          + ", ".join(f"{k} {kinds[k]}" for k in ("link", "review", "new"))
          + f"; {1000 * seconds / len(online):.2f} ms a fiche")


def bench_set(name: str, size: int, seed: int, cap: int, policies: Sequence[str]) -> None:
    rows, truth = load_set(name, size, seed)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        batch, seconds, _summary = run_ours(rows, workdir, model_out=workdir / "model.json")
        model = MatchModel.from_json((workdir / "model.json").read_text("utf-8"))
        records = read_people_csv(workdir / "people.csv")
    p, r, f1 = pairwise(batch, truth)
    print(f"{name}: {len(rows)} records, {len(together(truth))} true pairs")
    print(f"  batch                   : P {p:.4f} R {r:.4f} F1 {f1:.4f}; pairs {len(together(batch))}; "
          f"{seconds:.1f} s")
    shuffled = list(range(len(records)))
    random.Random(seed).shuffle(shuffled)
    for (order_name, order), policy in itertools.product(
            (("file", range(len(records))), ("shuffled", shuffled)), policies):
        started = time.perf_counter()
        online, kinds, decided = online_labels(records, model, list(order), cap, policy)
        compare(name, f"{order_name} {policy}", online, batch, truth, kinds,
                time.perf_counter() - started)
        for reason, count in why_apart(records, model, list(order), online, batch,
                                       decided).most_common():
            print(f"    {count:5d}  {reason}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+",
                        default=["dsgen-zipf-heavy", "dsgen-zipf-swaps", "french", "febrl4"])
    parser.add_argument("--size", type=int, default=5_000, help="French population size")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--policies", nargs="+", default=["review"],
                        choices=["review", "best-all", "merge-all", "merge-seen", "link-all",
                                 "link-seen"],
                        help="what-if, a fiche linking to two porteurs or more: review (the "
                             "worker's), linked to the best it fits, or the porteurs merged")
    args = parser.parse_args(argv)
    cap = Settings().match_candidates_per_key
    for name in args.sets:
        bench_set(name, args.size, args.seed, cap, args.policies)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
