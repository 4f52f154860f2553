"""The lost, review and false pairs of the batch dedup by the kind of difference between
their records (synthetic data: the values are read).

    .venv/bin/python bench/dedup_pair_kinds.py --sets french-households french --seeds 1 2 3 4

Runs the batch as `dedup_accuracy.py` does (trained on the file, as `capactif dedup` runs
it) and puts each pair of records in the kinds of difference its records show, read from
the two rows as typed: a married or maiden name (the surnames apart, one side's usage or
birth name the other's), a compound first name cut or initialled (Jean-Marc / Jean,
J.-M.), a nickname, names exchanged, a move (the postcode or the town apart), a phone
written another way (one number, another writing) or another phone (a landline against a
mobile), how the birth dates differ (`dedup_lost_pairs.date_relation`), a first name or
surname typed wrong, a field missing on a side. A pair may show several kinds: each is
counted, and the pair's kinds together too (the most frequent combinations). Pairs:
true pairs left in two clusters (lost), pairs left for review (one person or two), pairs
of two people in one cluster (false). Counts, not times: no baseline needed.
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from rapidfuzz.distance import OSA

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dedup_accuracy import load_set, pairwise, run_ours, true_pairs
from dedup_lost_pairs import date_relation

from hub.domain.matching.record import NormalisedRecord, normalise_record

_NICKNAMES = {("EMMANUEL", "MANU"), ("FREDERIC", "FRED"), ("SEBASTIEN", "SEB"),
              ("NICOLAS", "NICO"), ("ALEXANDRE", "ALEX"), ("CATHERINE", "CATHY"),
              ("ISABELLE", "ISA"), ("JULIEN", "JUJU"), ("CHRISTOPHE", "CHRIS"),
              ("MAXIME", "MAX"), ("DOMINIQUE", "DOM"), ("THOMAS", "TOM"),
              ("STEPHANE", "STEPH"), ("MATHILDE", "MATHOU"), ("GUILLAUME", "GUIGUI")}


def _surnames(record: NormalisedRecord) -> set[str]:
    return {name for name in (record.nom, record.nom_naissance) if name}


def name_kinds(a: NormalisedRecord, b: NormalisedRecord) -> list[str]:
    """How the names of two records differ."""
    if a.nom and b.nom and a.prenom and b.prenom and a.nom != b.nom and (
            a.nom == b.prenom or OSA.distance(a.nom, b.prenom) <= 1) and (
            a.prenom == b.nom or OSA.distance(a.prenom, b.nom) <= 1):
        return ["names exchanged"]
    return [kind for kind in (_surname_kind(a, b), _first_name_kind(a, b)) if kind]


def _surname_kind(a: NormalisedRecord, b: NormalisedRecord) -> str | None:
    if not (a.nom and b.nom):
        return "surname missing"
    if a.nom == b.nom:
        return None
    if _surnames(a) & _surnames(b):
        return "married name (usage / birth name)"
    return "surname typed wrong" if OSA.distance(a.nom, b.nom) <= 2 else (
        "surname other (maiden / married name alone)")


def _first_name_kind(a: NormalisedRecord, b: NormalisedRecord) -> str | None:
    if not (a.prenom and b.prenom):
        return "first name missing"
    if a.prenom == b.prenom:
        return None
    if any({a.prenom, b.prenom} == set(names) for names in _NICKNAMES):
        return "nickname"
    if max(len(a.prenom_tokens), len(b.prenom_tokens), len(a.prenom_initials),
           len(b.prenom_initials)) > 1:
        return "compound first name cut / initials"
    return "first name typed wrong" if OSA.distance(a.prenom, b.prenom) <= 2 else (
        "first name other")


def place_kinds(a: dict[str, str], b: dict[str, str], x: NormalisedRecord,
                y: NormalisedRecord) -> list[str]:
    if x.code_postal and y.code_postal and x.code_postal != y.code_postal:
        return ["move (postcode apart)"]
    if x.commune and y.commune and x.commune != y.commune:
        return ["move (town apart)"]
    if x.adresse and y.adresse and x.adresse != y.adresse:
        return ["street apart, one town"]
    if not (x.adresse and y.adresse) and not (x.code_postal and y.code_postal) and not (
            x.commune and y.commune):
        return ["address missing"]
    return []


def phone_kinds(a: dict[str, str], b: dict[str, str], x: NormalisedRecord,
                y: NormalisedRecord) -> list[str]:
    if not (x.telephone and y.telephone):
        if a["telephone"].strip() and b["telephone"].strip():
            return ["phone unread on a side"]
        return []
    if x.telephone != y.telephone:
        return ["another phone (landline / mobile)"]
    if a["telephone"].strip() != b["telephone"].strip():
        return ["phone written another way"]
    return []


def pair_kinds(rows: Sequence[dict[str, str]], records: Sequence[NormalisedRecord], i: int,
               j: int) -> list[str]:
    a, b, x, y = rows[i], rows[j], records[i], records[j]
    kinds = name_kinds(x, y) + place_kinds(a, b, x, y) + phone_kinds(a, b, x, y)
    relation = date_relation(x, y)
    if relation != "same":
        kinds.append(f"date: {relation}")
    if x.courriel and y.courriel and x.courriel != y.courriel:
        kinds.append("another e-mail")
    return kinds or ["every field given the same"]


def _print(title: str, pairs: Sequence[tuple[int, int]], rows: Sequence[dict[str, str]],
           records: Sequence[NormalisedRecord], combinations: int) -> None:
    each: Counter[str] = Counter()
    together: Counter[str] = Counter()
    for i, j in pairs:
        kinds = pair_kinds(rows, records, i, j)
        each.update(kinds)
        together[" + ".join(kinds)] += 1
    print(f"  {title}: {len(pairs)} pairs")
    for kind, count in each.most_common():
        print(f"    {count:5d}  {kind}")
    if combinations:
        print("    most frequent combinations:")
        for kinds, count in together.most_common(combinations):
            print(f"      {count:5d}  {kinds}")


def kinds_of_set(name: str, seed: int, size: int, combinations: int) -> None:
    rows, truth = load_set(name, size, seed)
    with tempfile.TemporaryDirectory() as tmp:
        labels, _seconds, summary = run_ours(rows, Path(tmp))
        with (Path(tmp) / "reviews.csv").open(encoding="utf-8") as handle:
            review_ids = [(row["id_a"], row["id_b"]) for row in csv.DictReader(handle)]
    p, r, f1 = pairwise(labels, truth)
    print(f"{name} (seed {seed}): P {p:.4f} R {r:.4f} F1 {f1:.4f}, "
          f"review pairs {summary.review_pairs}")
    records = [normalise_record(row, row["id"]) for row in rows]
    index = {row["id"]: k for k, row in enumerate(rows)}
    wanted = true_pairs(truth)
    lost = sorted((i, j) for i, j in wanted if labels[i] != labels[j])
    reviews = [tuple(sorted((index[a], index[b]))) for a, b in review_ids]
    members: dict[str, list[int]] = {}
    for k, label in enumerate(labels):
        members.setdefault(label, []).append(k)
    false = [(i, j) for group in members.values() for n, i in enumerate(group)
             for j in group[n + 1:] if truth[i] != truth[j]]
    _print("true pairs lost (two clusters)", lost, rows, records, combinations)
    _print("review pairs, one person", [(i, j) for i, j in reviews if truth[i] == truth[j]],
           rows, records, 0)
    _print("review pairs, two people", [(i, j) for i, j in reviews if truth[i] != truth[j]],
           rows, records, 0)
    _print("false pairs (two people, one cluster)", false, rows, records, 0)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=["french-households", "french"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3, 4])
    parser.add_argument("--size", type=int, default=5_000, help="French population size")
    parser.add_argument("--combinations", type=int, default=15,
                        help="the most frequent combinations of kinds of the lost pairs")
    args = parser.parse_args(argv)
    for name in args.sets:
        for seed in args.seeds:
            kinds_of_set(name, seed, args.size, args.combinations)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
