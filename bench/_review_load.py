"""What the review pairs of a batch run are, and how many decisions they ask of a coordinator.

A review pair is a candidate pair left open (scored "review", or linked but split by
the clustering). Several pairs can ask one question: a record in review against
two fiches already linked into one porteur gives two pairs, and one decision ("is
this the same person as that porteur?") settles both. So beside the pairs the bench
prints the distinct pairs of clusters they join (`BatchSummary.review_decisions`), and
says so.

Each pair is put in one class by the rule that held it from an auto-link, scored
again with the trained model: the household rule's doubt (one home, one surname, and
records that may be one person: `household.may_be_one`), a veto field different, not enough agreeing evidence
(and which fields agreed: "names and a place only" is the class the decision tests
forbid from linking), the probability below the link threshold, or a link the
clustering split (chaining).
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from hub.domain.matching.comparisons import DIFFERENT
from hub.domain.matching.decision import (
    agrees,
    contacts_contradict,
    has_enough_evidence,
    one_household,
    vetoed,
)
from hub.domain.matching.household import UNSURE
from hub.domain.matching.model import Explanation, MatchModel
from hub.domain.matching.record import NormalisedRecord

_NAMES_AND_PLACE = {"nom", "prenom", "lieu"}


def review_classes(reviews_csv: Path, records: Sequence[NormalisedRecord],
                   truth: Sequence[object], model: MatchModel) -> Counter[tuple[str, bool]]:
    """Counter of (class, truly one person) over the open review pairs of a run."""
    index = {record.id: position for position, record in enumerate(records)}
    classes: Counter[tuple[str, bool]] = Counter()
    with reviews_csv.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            i, j = index[row["id_a"]], index[row["id_b"]]
            explanation = model.score(records[i], records[j])
            classes[(holding_rule(explanation, model), truth[i] == truth[j])] += 1
    return classes


SPLIT_LINK = "link split by the clustering (chaining)"
HOUSEHOLD_RULE = "household rule: one home, may be one person (first names alike, one mobile)"


def holding_rule(explanation: Explanation, model: MatchModel) -> str:
    """The first rule, in this order, that keeps the pair from an auto-link."""
    settings = model.decision
    if one_household(explanation, settings) == UNSURE:
        return HOUSEHOLD_RULE
    if vetoed(explanation, settings):
        fields = sorted(t.field for t in explanation.terms if t.level == DIFFERENT
                        and t.field in settings.veto_fields
                        and t.field not in settings.lifted_vetoes)
        return "veto: " + " and ".join(fields) + " different"
    agreeing = {t.field for t in explanation.terms if agrees(t, settings)}
    if agreeing <= _NAMES_AND_PLACE:
        return "names and/or a place only, nothing else agreeing (never auto-linked)"
    if explanation.probability < settings.link_probability:
        review = settings.review_probability
        band = "0.9" if explanation.probability >= 0.9 and review < 0.9 else str(review)
        return f"probability {band} to the link threshold, some other field agreeing"
    if not has_enough_evidence(explanation, settings):
        if contacts_contradict(explanation):
            return "evidence: e-mail and phone both different"
        if not agreeing & {*settings.veto_fields, *settings.lifted_vetoes}:
            return "evidence: no first name or birth date agreeing (e.g. surname and address)"
        return "evidence: too few fields agreeing or no strong one"
    return SPLIT_LINK


def print_review_classes(decisions: int, classes: Counter[tuple[str, bool]], size: int) -> None:
    pairs = sum(classes.values())
    print(f"  review: {pairs} pairs ({1000 * pairs / size:.1f} per 1,000 records) ask "
          f"{decisions} coordinator decisions ({1000 * decisions / size:.1f} per 1,000 records: "
          f"one per pair of clusters, a decision covers all the pairs between them)")
    totals: Counter[str] = Counter()
    for (reason, _same), count in classes.items():
        totals[reason] += count
    for reason, count in totals.most_common():
        print(f"    {count:5d} pairs ({classes[(reason, True)]} one person, "
              f"{classes[(reason, False)]} two)  {reason}")
