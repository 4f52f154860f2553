"""What the pairs left for review are, field by field, and how many are one person.

    .venv/bin/python bench/dedup_review_pairs.py --sets dsgen-zipf-heavy-households
    .venv/bin/python bench/dedup_review_pairs.py --sets french-households --seed 2 --fields prenom

Runs the batch as `bench/dedup_accuracy.py` does (same sets, same seeds) and breaks its
review pairs down by the rule that held each one from an auto-link (`_review_load`) and
by the levels of the fields asked (`--fields`: first name, birth date and street by
default), each line with its pairs that are one person and two. A rule that would
decide the pairs where the evidence is clear needs a line whose pairs are nearly all
one or nearly all two. The household rule's pairs held as "names exchanged" (a first
name near the other's surname, and no other likeness of the first names) are listed with
the likeness of the other way round, since one person typed with the names exchanged
shows it both ways and twins with one fiche typed so show it one way only. The household
rule's pairs are also broken down by their first names (`household_names`): both names in
use, one of them only, or neither (`first_name_typos.in_use`: the model's table, the list
of given names), one typed letter apart (OSA 1) or more. A name in use beside one a letter
off that is none is the typo a coordinator who knows the name reads at a glance, and the
pattern of real names the list lacks (Alexis / Alexie, Maëlle / Naëlle: kept with a
coordinator, `first_name_typos`): the line says how many pairs hang on that list.
Counts, not times: no baseline needed.
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from rapidfuzz.distance import OSA, JaroWinkler

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import dedup_accuracy
from _review_load import HOUSEHOLD_RULE, holding_rule

from hub.domain.matching.first_name_typos import in_use
from hub.domain.matching.household import ALIKE_FIRST_NAMES, UNSURE
from hub.domain.matching.model import Explanation, MatchModel
from hub.domain.matching.record import NormalisedRecord
from hub.services.matching.dedup_batch import read_people_csv

Line = tuple[str, ...]


def review_pairs(workdir: Path) -> list[tuple[NormalisedRecord, NormalisedRecord]]:
    records = {record.id: record for record in read_people_csv(workdir / "people.csv")}
    with (workdir / "reviews.csv").open(encoding="utf-8") as handle:
        return [(records[row["id_a"]], records[row["id_b"]]) for row in csv.DictReader(handle)]


def by_levels(pairs: Sequence[tuple[NormalisedRecord, NormalisedRecord]], person: dict[str, str],
              model: MatchModel, fields: Sequence[str]) -> Counter[tuple[Line, bool]]:
    lines: Counter[tuple[Line, bool]] = Counter()
    for a, b in pairs:
        explanation = model.score(a, b)
        line = (holding_rule(explanation, model), *(explanation.level_of(f) for f in fields))
        lines[(line, person[a.id] == person[b.id])] += 1
    return lines


def exchanged_one_way(a: NormalisedRecord, b: NormalisedRecord,
                      explanation: Explanation) -> float | None:
    """Of a pair the household rule holds as names exchanged only, the likeness
    (Jaro-Winkler) of the names the other way round; None for any other pair."""
    x, y = a.prenom or "", b.prenom or ""
    if not (explanation.household_rule == UNSURE and explanation.may_be_one and x and y):
        return None
    if JaroWinkler.similarity(x, y) >= ALIKE_FIRST_NAMES or set(a.prenom_tokens) & set(
            b.prenom_tokens):
        return None
    there, back = JaroWinkler.similarity(x, b.nom or ""), JaroWinkler.similarity(y, a.nom or "")
    return min(there, back)


def household_names(a: NormalisedRecord, b: NormalisedRecord, explanation: Explanation,
                     model: MatchModel) -> str | None:
    """Of a pair the household rule holds, its first names: "both in use", "one in use"
    or "neither in use" (`in_use`, the model's table of first names), and "a letter
    apart" (OSA 1) or "further"; None for a pair another rule holds."""
    if holding_rule(explanation, model) != HOUSEHOLD_RULE:
        return None
    names = model.tf.get("prenom", {})
    used = in_use(a, names) + in_use(b, names)
    apart = OSA.distance(a.prenom or "", b.prenom or "")
    return (("neither", "one", "both")[used] + " in use, "
            + ("a letter apart" if apart == 1 else "further"))


def print_set(name: str, rows: list[dict[str, str]], truth: list[str],
              fields: Sequence[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        labels, _seconds, _summary = dedup_accuracy.run_ours(rows, workdir,
                                                            model_out=workdir / "model.json")
        p, r, f1 = dedup_accuracy.pairwise(labels, truth)
        model = MatchModel.from_json((workdir / "model.json").read_text("utf-8"))
        pairs = review_pairs(workdir)
    person = {row["id"]: who for row, who in zip(rows, truth, strict=True)}
    print(f"{name}: {len(rows)} records, P {p:.4f} R {r:.4f} F1 {f1:.4f}, "
          f"{len(pairs)} review pairs ({1000 * len(pairs) / len(rows):.1f} per 1,000)")
    lines = by_levels(pairs, person, model, fields)
    totals: Counter[Line] = Counter()
    for (line, _same), count in lines.items():
        totals[line] += count
    print(f"  pairs  one  two  rule, {' / '.join(fields)}")
    for line, count in totals.most_common():
        print(f"  {count:5d} {lines[(line, True)]:4d} {lines[(line, False)]:4d}  "
              f"{line[0][:48]}, {' / '.join(line[1:])}")
    exchanged: Counter[tuple[bool, bool]] = Counter()
    for a, b in pairs:
        back = exchanged_one_way(a, b, model.score(a, b))
        if back is not None:
            exchanged[(back >= ALIKE_FIRST_NAMES, person[a.id] == person[b.id])] += 1
    print(f"  household rule, names exchanged only: alike the other way round "
          f"{exchanged[(True, True)]} one / {exchanged[(True, False)]} two; not alike "
          f"{exchanged[(False, True)]} one / {exchanged[(False, False)]} two")
    first_names: Counter[tuple[str, bool]] = Counter()
    for a, b in pairs:
        if (names := household_names(a, b, model.score(a, b), model)) is not None:
            first_names[(names, person[a.id] == person[b.id])] += 1
    print("  household rule, by first names (one person / two):")
    for names in sorted({names for names, _same in first_names}):
        print(f"    {first_names[(names, True)]:5d} / {first_names[(names, False)]:3d}  {names}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=["dsgen-zipf-heavy-households"])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--size", type=int, default=5_000, help="French population size")
    parser.add_argument("--fields", nargs="+", default=["prenom", "date_naissance", "adresse"])
    args = parser.parse_args(argv)
    for name in args.sets:
        rows, truth = dedup_accuracy.load_set(name, args.size, args.seed)
        print_set(name, rows, truth, args.fields)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
