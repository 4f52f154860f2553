"""Scoring many pairs at once: the batch's shortcut to `MatchModel.explain` + `pair_kind`.

A pair's match weight is the prior, plus one weight per (field, level), plus the
term-frequency adjustment of the names agreeing exactly, which depends on the left
record's name only. So everything but the adjustment is worked out once per
comparison pattern (a few hundred distinct patterns for millions of pairs), and
the adjustment once per distinct name. The answers are those of the explanation
path, to the last bit (the tests compare both on many pairs).

Example (one level per comparison of the model, in its order):
    >>> from hub.domain.matching.model import default_model
    >>> from hub.domain.matching.record import normalise_record
    >>> scorer = PatternScorer(default_model())
    >>> left = normalise_record({"nom": "Dupont", "prenom": "Anne"}, "a")
    >>> kind, probability, may_be_same = scorer.judge(
    ...     ("exact", "exact", "exact", "exact", "missing", "missing", "missing"), left)
    >>> kind, probability > 0.99, may_be_same
    ('link', True, True)
    >>> scorer.judge(("missing",) * 7, left)[0]
    'new'
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable

from hub.domain.matching.ceilings import CeilingParts, Ceilings, Pair
from hub.domain.matching.comparisons import CLOSE, EXACT, MISSING, compare_records
from hub.domain.matching.decision import (
    CandidateLike,
    Decision,
    Kind,
    RecordLike,
    Scored,
    as_record,
    decide_among,
    has_enough_evidence,
    identity_links,
    lines_contradict,
    link_bound,
    may_share_cluster,
    moved_kept,
    moved_once_weighs,
    other_person,
    question_floor,
    review_bound,
    street_counted_twice,
    thin,
    veto_fields_vouch,
    vetoed,
)
from hub.domain.matching.exchanged_names import letter_for_letter, names_exchanged
from hub.domain.matching.first_name_typos import may_be_retyped, one_name_retyped
from hub.domain.matching.household import (
    AGED,
    ALIKE,
    NEIGHBOURS,
    UNDATED,
    household_verdict,
    needs_records,
    resolve,
)
from hub.domain.matching.hypocoristics import hypocoristic_of_one_name
from hub.domain.matching.mobile import mobile_lifts, shared_mobile
from hub.domain.matching.model import Explanation, FieldTerm, MatchModel, probability_of
from hub.domain.matching.record import NormalisedRecord

Pattern = tuple[str, ...]
# A pair compared in full: its levels, the other record as compared (names exchanged,
# maybe) and as written.
Detail = tuple[Pattern, NormalisedRecord, NormalisedRecord]


@dataclasses.dataclass(frozen=True)
class PatternFacts:
    weights: tuple[float, ...]  # per field, before any frequency adjustment
    tf_fields: tuple[int, ...]  # positions of fields agreeing exactly with adjustments on
    evidence: bool
    veto: bool
    other_person: bool
    thin: bool = False  # no strong field agreeing (`decision.thin`)
    lines_contradict: bool = False  # `decision.lines_contradict`: never one cluster
    veto_fields_vouch: bool = False  # `decision.veto_fields_vouch` (`may_share_cluster`)
    # positions of fields agreeing closely with frequencies on (`MatchModel.close_cap`)
    close_fields: tuple[int, ...] = ()
    # The household rule's verdict needs the pair's records (`household.resolve`), or
    # whether one mobile lifts the first-name veto does (`mobile.shared_mobile`): the facts
    # are then those of `PatternScorer.pair_facts`.
    resolve: bool = False
    # One identity where the settings link on it (`decision.identity_links`): a link and
    # one cluster whatever the probability, unless vetoed.
    identity: bool = False
    # Differing by the home alone where clusters are kept on evidence
    # (`decision.moved_kept`): one cluster whatever the probability, unless vetoed.
    moved: bool = False
    # The street's weight of a move whose street and town both differ
    # (`decision.street_counted_twice`): one cluster where its evidence without it weighs
    # for one person (`decision.moved_once_weighs`). None otherwise.
    moved_street: float | None = None


class PatternScorer:
    """link / review / new, the probability, and whether the pair may be one person."""

    def __init__(self, model: MatchModel) -> None:
        self.model = model
        self.decision = model.decision
        self._facts = functools.cache(self._pattern_facts)  # (levels, rule, may be one)
        self._adjustments: dict[tuple[int, str | None], float] = {}
        self.ceiling_parts = CeilingParts(model)  # `Ceilings`' share of the model, once
        settings = self.decision
        # Below this probability a pair is "new", and incompatible unless its evidence
        # reaches `cluster_evidence()` bits (`may_share_cluster`), whatever its pattern.
        self._floor = min(settings.link_probability, settings.review_probability,
                          settings.thin_review(), settings.cluster_bound())
        # Below this one a pair is "new" (no link, no review), whatever its evidence.
        self._kind_floor = question_floor(settings)

    def judge(self, levels: Pattern, left: NormalisedRecord,
              right: NormalisedRecord | None = None) -> tuple[Kind, float, bool]:
        """The pair's answer; `right` (the other record as compared) for a name agreeing
        closely, which weighs no more than either side's name agreeing exactly
        (`MatchModel.close_cap`); without it, left's name stands for both."""
        facts = self.pair_facts(levels, left, left if right is None else right)
        weights = list(facts.weights)
        for position in facts.tf_fields:
            weights[position] += self.adjustment(position, left)
        for position in facts.close_fields:
            weights[position] += self.close_cap(
                position, self.adjustment(position, left),
                self.adjustment(position, left if right is None else right))
        return self.decide(self.model.prior_weight + sum(weights), facts)

    def pair_facts(self, levels: Pattern, left: NormalisedRecord,
                   right: NormalisedRecord) -> PatternFacts:
        """The pattern's facts, with the household rule's verdict resolved on the pair's
        records (as written) where the levels alone do not settle it (`facts.resolve`), and
        whether one mobile lifts the first-name veto (`mobile.mobile_lifts`)."""
        facts = self.facts(levels)
        if not facts.resolve:
            return facts
        named = self._named(levels)
        verdict = household_verdict(named) if self.decision.household_apart else None
        first_names = self.model.tf.get("prenom", {})
        retyped = may_be_retyped(named) and one_name_retyped(left, right, first_names)
        exchanged = may_be_retyped(named) and names_exchanged(
            left, right, first_names, self.model.tf.get("nom", {}))
        pet_name = hypocoristic_of_one_name(named, left, right)
        return self._facts(levels, *resolve(named, verdict, left, right, retyped=retyped,
                                            exchanged=exchanged, pet_name=pet_name,
                                            first_names=first_names),
                           mobile_lifts(named, left, right, first_names), retyped,
                           exchanged, exchanged and not letter_for_letter(left, right))

    def _named(self, levels: Pattern) -> dict[str, str]:
        return {c.field: level for c, level in zip(self.model.comparisons, levels, strict=True)}

    def close_cap(self, position: int, left: float, right: float) -> float:
        """`MatchModel.close_cap` from the two sides' exact adjustments (same floats)."""
        exact, close = self.field_weights(position)
        return min(0.0, exact + min(left, right) - close)

    def field_weights(self, position: int) -> tuple[float, float]:
        """The exact and close weights of a field with frequencies."""
        return self._close_weights[position]

    @functools.cached_property
    def _close_weights(self) -> dict[int, tuple[float, float]]:
        """Per field with frequencies, its exact and close weights."""
        return {position: (self.model.level_weight(c.field, EXACT),
                           self.model.level_weight(c.field, CLOSE))
                for position, c in enumerate(self.model.comparisons)
                if self.model.settings.comparisons[c.field].term_frequency
                and c.field in self.model.tf_floor and CLOSE in c.levels}

    def match_one(self, record: RecordLike, candidates: Iterable[CandidateLike], *,
                  best_new: bool = True) -> Decision:
        """`match_one`'s decision, to the last bit, judging each pair by its pattern and
        explaining only the best one (the online matcher's path: explaining every
        candidate cost more than comparing it).

        A pair is compared in full only if it may weigh in the decision: its ceiling
        (`Ceilings`) reaching the lowest threshold or its evidence the weight that keeps
        two records in one cluster (`may_share_cluster`), or the best probability of the pairs
        compared (a record matching no one is answered with its best pair). Any other
        pair is "new", incompatible and below the best pair whatever is left to compare:
        it enters the decision as such, its ceiling for its probability, and changes
        nothing in it.

        Without `best_new` a new porteur is answered without its best pair (probability
        0, no explanation), so pairs set aside are never compared in full: most records
        match no one, and finding the best of their pairs compared most of them. A pair
        set aside stays below the lowest threshold, so it can neither link nor go to
        review nor outrank a pair that does: the other decisions are the same, whole.
        Nor is a pair compared on below the link and review thresholds (for the cluster
        bound or its evidence) but for a porteur some pair links to
        (`_compatible_with_links`): whether two records may stay in one cluster is read
        of the porteur a record links to, and of no other."""
        new = as_record(record)
        candidates = list(candidates)
        if not candidates:  # a porteur new to the hub often meets none: no ceilings to work out
            return decide_among([], self._explain(new), explain_new=best_new)
        ceilings = Ceilings(self, new)
        scored: list[Scored[Detail | None]] = []
        waiting: list[tuple[Pair, int]] = []
        top = -1.0
        bar, evidence = (self._floor, self.decision.cluster_evidence()) if best_new \
            else (self._kind_floor, None)
        pair_with, advance = ceilings.pair, ceilings.advance  # some eighty candidates a fiche
        for candidate in candidates:
            pair = pair_with(as_record(candidate.record))
            if advance(pair, bar, evidence, moved=best_new):
                scored.append(self._scored(new, candidate.porteur_id, pair))
                top = max(top, scored[-1][2])
            else:  # "new", its ceiling for its probability (set below)
                waiting.append((pair, len(scored)))
                scored.append((candidate.porteur_id, "new", 0.0, False, None))
        if not best_new and all(answer[1] == "new" for answer in scored):
            # `decide_among`'s answer where no pair links or asks, without its ranking
            # nor the ceilings of the pairs set aside (most records match no one): a new
            # porteur, without its best pair.
            return Decision("new", None, 0.0, None)
        for pair, position in waiting:
            scored[position] = (scored[position][0], "new", pair.ceiling, False, None)
        if best_new:
            self._best_set_aside(ceilings, scored, waiting, top)
        else:
            self._compatible_with_links(ceilings, scored, waiting)
        return decide_among(scored, self._explain(new), explain_new=best_new,
                            floor=self._kind_floor)

    def _compatible_with_links(self, ceilings: Ceilings,
                               scored: list[Scored[Detail | None]],
                               waiting: list[tuple[Pair, int]]) -> None:
        """The pairs set aside below the link and review thresholds, of a porteur some
        pair links to, compared on while they may still reach the cluster bound or their
        evidence keep them in one cluster with the new record (`may_share_cluster`), as
        `match_one` compares every pair with `best_new`: a link stands only if no fiche
        of its porteur contradicts the record (`decide_among`), and that is read of no
        other porteur. A pair's comparison resumes where it stopped (its fields are
        compared in the same order either way), so each pair of those porteurs ends as
        it would have in one pass."""
        linked = {porteur_id for porteur_id, kind, *_rest in scored if kind == "link"}
        if not linked:
            return
        evidence = self.decision.cluster_evidence()
        for pair, position in waiting:
            porteur_id = scored[position][0]
            if porteur_id not in linked:
                continue
            if ceilings.advance(pair, self._floor, evidence, moved=True):
                scored[position] = self._scored(ceilings.left, porteur_id, pair)
            else:
                scored[position] = (porteur_id, "new", pair.ceiling, False, None)

    def _best_set_aside(self, ceilings: Ceilings,
                        scored: list[Scored[Detail | None]],
                        waiting: list[tuple[Pair, int]], top: float) -> None:
        """Compare in full, best ceiling first, the pairs set aside that may still be
        the best of a record matching no one (their answers replace the ceilings)."""
        for pair, position in sorted(waiting, key=lambda item: -item[0].ceiling):
            if pair.ceiling < top:
                break
            porteur_id = scored[position][0]
            if ceilings.advance(pair, top):
                scored[position] = self._scored(ceilings.left, porteur_id, pair)
                top = max(top, scored[position][2])
            else:
                scored[position] = (porteur_id, "new", pair.ceiling, False, None)

    def _scored(self, new: NormalisedRecord, porteur_id: str,
                pair: Pair) -> Scored[Detail | None]:
        levels, used = compare_records(self.model.comparisons, new, pair.other,
                                       tuple(level or MISSING for level in pair.levels))
        kind, probability, may_be_same = self.judge(levels, new, pair.other)
        return porteur_id, kind, probability, may_be_same, (levels, used, pair.other)

    def _explain(self, new: NormalisedRecord
                 ) -> Callable[[Detail | None], Explanation]:
        def explain(detail: Detail | None) -> Explanation:
            if detail is None:  # never: the best pair is always compared in full
                raise ValueError("the best pair was not compared")
            return self.model.explain(detail[0], new, detail[1], written=detail[2])
        return explain

    def facts(self, levels: Pattern) -> PatternFacts:
        """What the pattern alone says (computed once per pattern); the household rule's
        verdict from the levels, `ALIKE`, `AGED`, `NEIGHBOURS` and `UNDATED` read as none and `UNSURE`
        as two people until the records say otherwise (`pair_facts`), and one mobile as lifting no
        veto until the first names say it may (`mobile.mobile_lifts`)."""
        verdict = household_verdict(self._named(levels)) if self.decision.household_apart \
            else None
        return self._facts(levels, None if verdict in (ALIKE, AGED, NEIGHBOURS, UNDATED) else verdict,
                           False, False, False, False, False)

    def decide(self, total: float, facts: PatternFacts) -> tuple[Kind, float, bool]:
        """The answer of `judge` from the pair's total weight and its facts (`pair_facts`;
        the batch's array scorer computes the totals many at a time, then calls this)."""
        probability = probability_of(total)
        settings = self.decision
        if ((probability >= link_bound(facts.thin, settings) or facts.identity)
                and facts.evidence and not facts.veto):
            kind: Kind = "link"
        elif facts.other_person:
            kind = "new"
        else:
            kind = "review" if probability >= review_bound(facts.thin, settings) else "new"
        may_be_same = not (facts.veto or facts.lines_contradict) and (may_share_cluster(
            probability, total - self.model.prior_weight, settings,
            veto_fields_vouch=facts.veto_fields_vouch) or facts.identity or facts.moved or (
            facts.moved_street is not None and moved_once_weighs(
                total - self.model.prior_weight, facts.moved_street, settings)))
        return kind, probability, may_be_same

    def _pattern_facts(self, levels: Pattern, rule: str | None, one: bool,
                       mobile: bool, retyped: bool, exchanged: bool,
                       surname_retyped: bool) -> PatternFacts:
        """What the pattern says under the household rule's verdict `rule` (and whether
        the pair may be one person, `one`), whether its mobile lifts the first-name veto
        (`mobile`) and whether its first names are one retyped or its names exchanged, the
        surname a letter off or not (`decision.alike_at_one_home`): an explanation with no
        frequency adjustment."""
        terms = tuple(FieldTerm(c.field, level, weight) for c, level, weight in zip(
            self.model.comparisons, levels, self.model.pattern_weights(levels), strict=True))
        plain = Explanation(self.model.prior_weight, terms, 0.0, 0.0, may_be_one=one,
                            household_rule=rule, mobile_names_alike=mobile,
                            first_name_retyped=retyped, names_exchanged=exchanged,
                            exchanged_surname_retyped=surname_retyped)
        tf_fields = tuple(position for position, c in enumerate(self.model.comparisons)
                          if levels[position] == EXACT
                          and self.model.settings.comparisons[c.field].term_frequency)
        close_fields = tuple(position for position in self._close_weights
                             if levels[position] == CLOSE)
        from_levels = household_verdict(self._named(levels)) if (
            self.decision.household_apart) else None
        return PatternFacts(tuple(t.weight for t in terms), tf_fields,
                             has_enough_evidence(plain, self.decision), vetoed(plain, self.decision),
                             other_person(plain, self.decision), thin(plain, self.decision),
                             lines_contradict(plain, self.decision),
                             veto_fields_vouch(plain, self.decision), close_fields,
                             needs_records(self._named(levels), from_levels)
                             or shared_mobile(self._named(levels))
                             or may_be_retyped(self._named(levels)),
                             identity_links(plain, self.decision),
                             moved_kept(self._named(levels), self.decision),
                             _street_weight(terms) if street_counted_twice(
                                 self._named(levels), self.decision) else None)

    def values_held(self) -> int:
        """How many of a fiche's values (names) the adjustments are memoised for."""
        return len(self._adjustments)

    def forget_values(self) -> None:
        """An erasure: the names memoised go (`hub.domain.matching.caches`)."""
        self._adjustments.clear()

    def adjustment(self, position: int, left: NormalisedRecord) -> float:
        """The frequency adjustment of the field at `position` agreeing exactly on
        `left`'s value (memoised per value)."""
        comparison = self.model.comparisons[position]
        value = comparison.tf_value(left, left)
        key = (position, value)
        found = self._adjustments.get(key)  # read once: an erasure may empty the memo meanwhile
        if found is None:
            found = self._adjustments[key] = self.model.tf_adjustment(comparison, EXACT, left, left)
        return found


def _street_weight(terms: tuple[FieldTerm, ...]) -> float:
    return next((t.weight for t in terms if t.field == "adresse"), 0.0)
