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
from hub.domain.matching.chains import may_be_one, porteur_to_link, porteurs_to_join
from hub.domain.matching.decision import Decision, pair_kind, record_blocking_keys
from hub.domain.matching.model import MatchModel
from hub.domain.matching.record import NormalisedRecord
from hub.services.matching.dedup_batch import read_people_csv
from hub.services.matching.online import IndexedFiche, _BatchIndex


def online_labels(records: Sequence[NormalisedRecord], model: MatchModel, order: Sequence[int],
                  cap: int, join: bool = True,
                  ) -> tuple[list[str], Counter[str], dict[int, tuple[Decision, set[int]]]]:
    """Each record's porteur when the records arrive in `order` at the online path, the
    count of its decisions by kind, and each record's decision and candidates.

    With `join` (the worker of this revision), a fiche linking porteurs that may be one
    person with it, as far as its candidates show them (`porteurs_to_join`), is linked to
    the best and the others merged into it if every fiche of them may still be one person
    (`may_be_one`, `join_chains`, here right after the fiche), and one linking porteurs
    that may not be one person is linked to the best it fits (`porteur_to_link`);
    without, it goes to review (the worker before)."""
    index, porteur_of, kinds = _BatchIndex(cap), [""] * len(records), Counter[str]()
    index.load((), {}, {})
    decided = {}
    fiches_of: dict[str, list[int]] = {}
    for pk in order:
        record = records[pk]
        keys = record_blocking_keys(record, model)
        candidates = index.candidates(keys, skip_fiche=pk)
        decision = model.pattern_scorer.match_one(record, candidates, best_new=False)
        decided[pk] = (decision, {c.fiche_pk for c in candidates})
        kinds[decision.kind] += 1
        porteur = decision.porteur_id if decision.kind == "link" else None
        others = porteurs_to_join(record, decision, candidates, model) if join else ()
        if others:
            porteur = decision.porteur_id
            kinds["joined"] += 1
        elif join and (best := porteur_to_link(record, decision, candidates, model)):
            porteur = best
            kinds["linked to the best"] += 1
        porteur_of[pk] = porteur or f"p{pk}"
        fiches_of.setdefault(porteur_of[pk], []).append(pk)
        index.add(IndexedFiche(pk, porteur_of[pk], record), keys)
        for other in others:
            held = fiches_of[porteur_of[pk]] + fiches_of[other]
            if not may_be_one([records[o] for o in held], model):
                continue
            for o in fiches_of.pop(other):
                porteur_of[o] = porteur_of[pk]
                index.records[o] = index.records[o]._replace(porteur_id=porteur_of[pk])
            fiches_of[porteur_of[pk]] = held
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
          + ", ".join(f"{k} {kinds[k]}" for k in ("link", "review", "new", "joined",
                                                       "linked to the best"))
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
        online, kinds, decided = online_labels(records, model, list(order), cap,
                                               join=policy == "worker")
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
    parser.add_argument("--policies", nargs="+", default=["before", "worker"],
                        choices=["before", "worker"],
                        help="a fiche linking porteurs together: joined (the worker of this "
                             "revision) or left in review (the worker before)")
    args = parser.parse_args(argv)
    cap = Settings().match_candidates_per_key
    for name in args.sets:
        bench_set(name, args.size, args.seed, cap, args.policies)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
