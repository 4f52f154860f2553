"""The clusters of the batch dedup that hold two people, pair by pair (synthetic data).

    .venv/bin/python bench/dedup_false_pairs.py --seed 10 --seed 22

For each seed of the French population (`_population.generate`), `capactif dedup`'s
clusters (trained on the file, as `dedup_accuracy.py` runs it) that join records of two
true persons or more: each record (true person, fields as typed), then each pair with its
truth, probability, decision (`pair_kind`), whether it may share a cluster
(`compatible`) and its comparison levels. What precision loses, read one by one.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dedup_accuracy import load_set, run_ours

from hub.domain.matching.decision import compatible, pair_kind
from hub.domain.matching.model import MatchModel
from hub.domain.matching.record import normalise_record

_SHOWN = ("prenom", "nom", "nom_naissance", "date_naissance", "courriel", "telephone",
          "adresse_ligne", "code_postal")


def false_clusters(seed: int, size: int, legacy_phones: bool = False) -> int:
    """Print the clusters of two people or more; answer their pairs of two people."""
    rows, truth = load_set("french", size, seed, legacy_phones=legacy_phones)
    with tempfile.TemporaryDirectory() as tmp:
        labels, _seconds, _summary = run_ours(rows, Path(tmp), model_out=Path(tmp) / "model.json")
        model = MatchModel.from_json((Path(tmp) / "model.json").read_text("utf-8"))
    members: dict[str, list[int]] = defaultdict(list)
    for index, label in enumerate(labels):
        members[label].append(index)
    records = [normalise_record(row, row["id"]) for row in rows]
    false_pairs = 0
    for label, group in members.items():
        wrong = sum(truth[i] != truth[j] for i, j in combinations(group, 2))
        if not wrong:
            continue
        false_pairs += wrong
        print(f"--- cluster {label}: {len(group)} records, {wrong} pairs of two people")
        for i in group:
            fields = " | ".join(f"{rows[i][f][:28]:28.28}" for f in _SHOWN)
            print(f"  person {truth[i]:>6} {rows[i]['id']} | {fields}")
        for i, j in combinations(group, 2):
            explanation = model.score(records[i], records[j])
            levels = " ".join(f"{t.field}={t.level}" for t in explanation.terms)
            print(f"    {rows[i]['id']}-{rows[j]['id']} "
                  f"{'same' if truth[i] == truth[j] else 'TWO'} p={explanation.probability:.5f} "
                  f"{pair_kind(explanation, model.decision):6} "
                  f"compatible={compatible(explanation, model.decision)} {levels}")
    print(f"seed {seed}: {false_pairs} pairs of two people in one cluster")
    return false_pairs


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, action="append", help="repeat for several")
    parser.add_argument("--size", type=int, default=5_000)
    parser.add_argument("--legacy-phones", action="store_true", help="the population before")
    args = parser.parse_args(argv)
    for seed in args.seed or [10]:
        false_clusters(seed, args.size, args.legacy_phones)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
