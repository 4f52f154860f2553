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
The links the clustering split are broken down by why (`split_causes`): the pair across
their two clusters that may not be one cluster (the household rule's doubt, a veto, too
little evidence alone: a weak edge), a record left between two people, a component over
the size cap; each line says how many of them ask a question (a pair of clusters) another
review pair asks already, which one coordinator's decision settles with it.
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
from _review_load import HOUSEHOLD_RULE, SPLIT_LINK, holding_rule

from hub.domain.matching.decision import compatible, lines_contradict, one_household, vetoed
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


WEAK_EDGE = "a pair across short of evidence only (no veto, nothing contradicting)"
BETWEEN_TWO = "a record left between two people a field it lacks tells apart"


def across_cause(explanation: Explanation, model: MatchModel) -> str:
    """Why a pair across two clusters may not be one cluster (`compatible` false)."""
    settings = model.decision
    household = one_household(explanation, settings)
    if household == UNSURE:
        return "a pair across held by the household rule (first names alike, one home)"
    if household is not None:
        return f"a pair across the household rule tells apart ({household})"
    if vetoed(explanation, settings):
        return holding_rule(explanation, model).replace("veto:", "a pair across with a veto:")
    if lines_contradict(explanation, settings):
        return "a pair across with two phones, a veto field unknown"
    return WEAK_EDGE


def split_causes(pairs: Sequence[tuple[NormalisedRecord, NormalisedRecord]],
                 labels: dict[str, str], records: dict[str, NormalisedRecord],
                 model: MatchModel) -> list[tuple[str, tuple[str, str] | None]]:
    """Of the review pairs, the links the clustering split, each with why it was
    (`cluster._split`) and the pair across its two clusters that says so (the first not
    compatible, None where no pair does): the component its two clusters make through the
    split links over `max_group_size`; a pair across not compatible (`across_cause`); or
    none, a record left on its own between two people (`cluster._ambiguous`).
    `labels` and `records`: each record's cluster, and the records, of the whole run."""
    settings = model.decision
    split = [(a, b) for a, b in pairs if holding_rule(model.score(a, b), model) == SPLIT_LINK]
    joined: dict[str, str] = {}

    def root(label: str) -> str:
        while joined.get(label, label) != label:
            label = joined[label]
        return label

    for a, b in split:
        x, y = root(labels[a.id]), root(labels[b.id])
        if x != y:
            joined[max(x, y)] = min(x, y)
    members: dict[str, list[str]] = {}
    for record_id, label in labels.items():
        members.setdefault(label, []).append(record_id)
    size: Counter[str] = Counter()
    for label, ids in members.items():
        size[root(label)] += len(ids)
    causes: list[tuple[str, tuple[str, str] | None]] = []
    for a, b in split:
        if size[root(labels[a.id])] > settings.max_group_size:
            causes.append((f"a component over max_group_size ({settings.max_group_size})", None))
            continue
        across = next(((x, y) for x in members[labels[a.id]] for y in members[labels[b.id]]
                       if not compatible(model.score(records[x], records[y]), settings)),
                      None)
        if across is None:
            causes.append((BETWEEN_TWO, None))
        else:
            causes.append((across_cause(model.score(records[across[0]], records[across[1]]),
                                        model), across))
    return causes


def print_split_causes(pairs: Sequence[tuple[NormalisedRecord, NormalisedRecord]],
                       labels: dict[str, str], records: dict[str, NormalisedRecord],
                       person: dict[str, str], model: MatchModel) -> None:
    """The links split by the clustering by cause, each line with its pairs that are one
    person and two, and with the pairs across that said so that are one person and two;
    and how many of them ask a question (a pair of clusters) another review pair asks
    already, which a coordinator's one decision settles with it."""
    causes = split_causes(pairs, labels, records, model)
    split = {frozenset((a.id, b.id)) for a, b in pairs
             if holding_rule(model.score(a, b), model) == SPLIT_LINK}
    asked = {frozenset((labels[a.id], labels[b.id])) for a, b in pairs
             if frozenset((a.id, b.id)) not in split}
    lines: Counter[tuple[str, str]] = Counter()
    for (cause, across), (a, b) in zip(causes, (p for p in pairs
                                                 if frozenset((p[0].id, p[1].id)) in split),
                                       strict=True):
        lines[(cause, "one" if person[a.id] == person[b.id] else "two")] += 1
        if across is not None:
            lines[(cause, "across one" if person[across[0]] == person[across[1]]
                   else "across two")] += 1
        if frozenset((labels[a.id], labels[b.id])) in asked:
            lines[(cause, "asked")] += 1
    print("  links split by the clustering, by cause: one person / two (the pair across "
          "that split them: one / two; their question asked by another review pair):")
    for cause in sorted({cause for cause, _kind in lines}):
        print(f"    {lines[(cause, 'one')]:4d} / {lines[(cause, 'two')]:2d}  "
              f"({lines[(cause, 'across one')]} / {lines[(cause, 'across two')]}; "
              f"{lines[(cause, 'asked')]})  {cause}")


def print_set(name: str, rows: list[dict[str, str]], truth: list[str],
              fields: Sequence[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        labels, _seconds, _summary = dedup_accuracy.run_ours(rows, workdir,
                                                            model_out=workdir / "model.json")
        p, r, f1 = dedup_accuracy.pairwise(labels, truth)
        model = MatchModel.from_json((workdir / "model.json").read_text("utf-8"))
        pairs = review_pairs(workdir)
        with (workdir / "clusters.csv").open(encoding="utf-8") as handle:
            clusters = {row["id"]: row["cluster_id"] for row in csv.DictReader(handle)}
        records = {record.id: record for record in read_people_csv(workdir / "people.csv")}
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
    print_split_causes(pairs, clusters, records, person, model)
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
