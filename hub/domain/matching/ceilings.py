"""How much a pair may still be worth before all its fields are compared.

The online matcher compares a new record with some eighty candidates, and most of them
share only a common key with it (a surname and a year, a postcode): another birth date,
another e-mail say at once that the pair cannot reach any threshold, whatever its names.
A pair's ceiling is its total weight with every field not compared yet at its best
level (the names' best with the frequency adjustment of the new record's name); fields
are compared one at a time, cheapest and most telling first, names last, and the pair
is set aside as soon as its ceiling falls below a bar. Names both plainly different (or
one different, the other missing on a side) may still agree once exchanged
(`compare_records`): then they count at their best exchanged, never exact, and a field
whose level the exchange may raise (a family's e-mail, the person's own once the first
names agree exchanged: `Comparison.best_exchanged`) is held at that level until the
names are compared.

The ceiling only falls as fields are compared, and never below the pair's probability
(`tests/unit/matching/test_matching_scoring.py` checks it on generated pairs), so a pair
set aside below every threshold and below the evidence that keeps two records in one
cluster (`may_share_cluster`) is "new" and incompatible whatever is left to compare.

Example:
    >>> from hub.domain.matching.model import default_model
    >>> from hub.domain.matching.record import normalise_record
    >>> from hub.domain.matching.scoring import PatternScorer
    >>> anne = normalise_record({"nom": "Dupont", "prenom": "Anne",
    ...                          "date_naissance": "1985-03-14"})
    >>> other = normalise_record({"nom": "Dupont", "prenom": "Anne",
    ...                           "date_naissance": "1962-11-02"})
    >>> ceilings = Ceilings(PatternScorer(default_model()), anne)
    >>> pair = ceilings.pair(other)
    >>> ceilings.advance(pair, 0.6), pair.levels[2]   # set aside at its birth date
    (False, 'different')
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hub.domain.matching.comparisons import DIFFERENT, EXACT, MISSING, Comparison
from hub.domain.matching.decision import OWN_FIELDS, same_identity
from hub.domain.matching.model import probability_of
from hub.domain.matching.record import NormalisedRecord

if TYPE_CHECKING:
    from hub.domain.matching.model import MatchModel
    from hub.domain.matching.scoring import PatternScorer

NAMES = frozenset({"nom", "prenom"})
# Compared first: cheap, and telling when they differ; the names come last.
_ORDER = ("date_naissance", "courriel", "telephone", "lieu", "adresse")
# What rules a pair of one identity out before its names are compared (`same_identity`).
_IDENTITY = ("date_naissance", "courriel", "telephone")
# Added to a ceiling before it is read as a probability: far above the rounding of the
# sums and of `probability_of`, far below any threshold's distance.
_MARGIN = 1e-6


# A field of a stage, as `refine` compares it (`Ceilings._step`).
_Step = tuple[int, Callable[[NormalisedRecord], object], dict[object, str],
              Callable[[NormalisedRecord], str], dict[str, float], bool]
# A stage of one field as `Ceilings.advance` compares it: `_Step` with the field's
# `Comparison.best_exchanged` for its last part where names exchanged may raise it.
_PlainStep = tuple[int, Callable[[NormalisedRecord], object], dict[object, str],
                   Callable[[NormalisedRecord], str], dict[str, float],
                   Callable[[NormalisedRecord, NormalisedRecord, str], str] | None]
# A plain stage no pair of the record has reached yet (`_Shape.plain`).
_UNSET = object()


class Pair:
    """A candidate being compared: its levels so far (None: not compared yet)."""

    __slots__ = ("held", "levels", "other", "stage", "total")

    def __init__(self, other: NormalisedRecord, size: int, total: float) -> None:
        self.other = other
        self.levels: list[str | None] = [None] * size
        self.total = total  # the ceiling as a weight
        self.stage = 0
        # What fields compared before the names may still lose: their level as written
        # where the names, read exchanged, may raise it (`Comparison.best_exchanged`).
        self.held = 0.0

    @property
    def ceiling(self) -> float:
        """The most the pair may be worth, as a probability."""
        return probability_of(self.total + _MARGIN)


class CeilingParts:
    """What `Ceilings` takes of the model alone, worked out once per model rather than at
    every new record: the weight of each field at each level (before the frequency
    adjustment), the fields adjusted, the names, the order the other fields are compared
    in, the fields the names read exchanged may raise, and what each field reads of the
    other record."""

    def __init__(self, model: MatchModel) -> None:
        comparisons = model.comparisons
        self.weights = [{level: model.level_weight(c.field, level) for level in c.levels}
                        for c in comparisons]
        self.adjusted = frozenset(
            p for p, c in enumerate(comparisons)
            if EXACT in self.weights[p] and model.settings.comparisons[c.field].term_frequency)
        self.names = tuple(p for p, c in enumerate(comparisons) if c.field in NAMES)
        fields = [c.field for c in comparisons]
        self.order = sorted((p for p in range(len(fields)) if p not in self.names),
                            key=lambda p: _ORDER.index(fields[p]) if fields[p] in _ORDER
                            else len(_ORDER))
        # Both names plainly different: `compare_records` may read them exchanged and
        # compare every field again; the fields whose level may then rise (a family's
        # e-mail: `Comparison.best_exchanged`) are held at that level until then.
        self.raised_exchanged = frozenset(
            p for p, c in enumerate(comparisons)
            if len(self.names) >= 2 and p not in self.names
            and type(c).best_exchanged is not Comparison.best_exchanged)
        # A field's level depends on the other record's values it reads alone: candidates
        # sharing them (a surname, a postcode) are compared once (`Comparison.reads`).
        self.reads = [operator.attrgetter(*c.reads) for c in comparisons]
        # Where a pair of one identity links whatever it weighs (`decision.identity_links`):
        # the positions of the birth date and of the contacts, which may rule it out.
        self.identity = (model.decision.identity_link and "date_naissance" in fields
                         and set(fields) >= NAMES)
        self.identity_fields = tuple((f, fields.index(f)) for f in _IDENTITY if f in fields)
        self.fields = fields
        # Names agreeing only once exchanged are close at best (`compare_records`); the
        # frequency adjustment moves the exact level only, so this is the model's alone.
        self.exchanged = {p: max(w for level, w in {**self.weights[p], MISSING: 0.0}.items()
                                 if level != EXACT) for p in self.names}
        self._shapes: dict[tuple[bool, ...], _Shape] = {}

    def shape(self, given: tuple[bool, ...]) -> _Shape:
        """`_Shape` of the records holding the fields `given` (a handful of shapes: each
        worked out once, not at every new record)."""
        found = self._shapes.get(given)
        if found is None:
            found = self._shapes[given] = _Shape(self, given)
        return found


class _Shape:
    """What `Ceilings` takes of the model and of which fields a new record holds (not of
    their values): the fields' weights before the frequency adjustment, their best, how
    far each level brings a pair down from it, and the stages the fields are compared in.
    Shared by every record of that shape; `Ceilings` copies what the adjustment changes."""

    def __init__(self, parts: CeilingParts, given: tuple[bool, ...]) -> None:
        self.given = given
        self.weights: list[dict[str, float]] = [{**levels, MISSING: 0.0}
                                                for levels in parts.weights]
        self.best = [max(field.values()) if given[p] else 0.0
                     for p, field in enumerate(self.weights)]
        self.falls = [{level: weight - self.best[p] for level, weight in field.items()}
                      for p, field in enumerate(self.weights)]
        others = [p for p in parts.order if given[p]]
        names = parts.names
        self.stages = [(p,) for p in others] + ([names] if names else [])
        self.names_stage = len(others) if names else -1
        # The stages `Ceilings.advance` compares itself, without `refine`'s general loop:
        # one field, not the names (`_UNSET` until a pair of the record reaches one), the
        # names' stage None.
        self.plain = [_UNSET if len(stage) == 1 and stage != names else None
                      for stage in self.stages]


class Ceilings:
    """Of one new record: what each field may weigh in a pair with it, and the order
    the fields of a pair are compared in."""

    def __init__(self, scorer: PatternScorer, left: NormalisedRecord) -> None:
        model, parts = scorer.model, scorer.ceiling_parts
        self.left = left
        self.comparisons = model.comparisons
        self.names = parts.names
        # A field other than the names that the new record lacks is missing in every pair
        # (names exchanged change the names only): it weighs nothing from the start and
        # is never compared. The names are always compared (a lone name may agree with
        # the other's names exchanged: `_may_agree_exchanged`).
        shape = parts.shape(tuple(c.present(left) or p in self.names
                                  for p, c in enumerate(self.comparisons)))
        self.weights, self.best, self._falls = shape.weights, shape.best, shape.falls
        if parts.adjusted:  # the exact level of a name weighs by its frequency (as `judge`)
            self.weights, self.best, self._falls = \
                list(shape.weights), list(shape.best), list(shape.falls)
            for position in parts.adjusted:
                field = dict(shape.weights[position])
                field[EXACT] += scorer.adjustment(position, left)
                best = max(field.values()) if shape.given[position] else 0.0
                self.weights[position], self.best[position] = field, best
                self._falls[position] = {level: weight - best for level, weight in field.items()}
        self.exchanged = parts.exchanged
        self.stages = shape.stages
        self._names_stage = shape.names_stage
        self._raised_exchanged = parts.raised_exchanged
        # May a pair be of one identity (`decision.same_identity`)? Only if the new record
        # holds the names and a birth date; then, until its birth date and contacts say no.
        self._identity = parts.identity and all(
            self.comparisons[p].present(left) for p in (*parts.names, parts.identity_fields[0][1]))
        self._identity_fields = parts.identity_fields
        self._fields = parts.fields
        self._reads = parts.reads
        self._floors: dict[tuple[float, float | None], float] = {}
        self.prior = model.prior_weight
        self.start = model.prior_weight + sum(self.best)
        # Per stage, what `refine` needs of each of its fields, looked up once per record
        # rather than at every pair (some eighty pairs a fiche, six stages each), and only
        # once a pair reaches the stage (most pairs are set aside at the first ones).
        self._steps: list[tuple[_Step, ...] | None] = [None] * len(self.stages)
        # The stages `advance` compares itself, without `refine`'s general loop (some 230
        # stages a fiche): their field's step (`_Shape.plain`, `_plain_step`).
        self._plain: list[Any] = list(shape.plain)  # _PlainStep, None or _UNSET
        # `same_identity` of the identity fields' levels so far, by those levels (a
        # handful of patterns a fiche, asked of every pair set aside).
        self._identity_levels = operator.itemgetter(*(p for _f, p in self._identity_fields)) \
            if self._identity else None
        self._identity_known: dict[object, bool] = {}

    def _step(self, position: int) -> _Step:
        """A field of a stage: its position, what it reads of the other record, the levels
        met so far by value, its level against the new record, its falls, and whether
        the names read exchanged may raise it."""
        comparison = self.comparisons[position]
        level_of: Callable[[NormalisedRecord], str] = functools.partial(comparison.level,
                                                                         self.left)
        if position not in self.names:  # the new record has a value (see `given`)
            level_of = _level_beside(comparison, self.left)
        return (position, self._reads[position], {}, level_of,
                self._falls[position], position in self._raised_exchanged)

    def _plain_step(self, stage: int) -> _PlainStep:
        """The step of a stage of one field (not the names), as `advance` compares it:
        with the field's `Comparison.best_exchanged` where the names read exchanged may
        raise it, else None."""
        position, reads, known, level_of, falls, raised = self._stage_steps(stage)[0]
        exchanged = self.comparisons[position].best_exchanged if raised else None
        return position, reads, known, level_of, falls, exchanged

    def _stage_steps(self, stage: int) -> tuple[_Step, ...]:
        """The steps of a stage, worked out when a pair first reaches it."""
        steps = self._steps[stage]
        if steps is None:
            steps = self._steps[stage] = tuple(self._step(p) for p in self.stages[stage])
        return steps

    def pair(self, other: NormalisedRecord) -> Pair:
        return Pair(other, len(self.comparisons), self.start)

    def advance(self, pair: Pair, bar: float, evidence: float | None = None, *,
                moved: bool = False) -> bool:
        """Compare the pair's fields, one stage at a time, while its ceiling may reach
        `bar` (at most 0.98: a threshold, or a probability below one) or its evidence
        (the weight without the prior) may reach `evidence` bits, or, with `moved`, while
        it may still differ by the home alone (`decision.moved`: one cluster whatever it
        weighs): True once every field is compared and it still may (then compare it in
        full), False as soon as it cannot."""
        floor = self._floors.get((bar, evidence))
        if floor is None:
            floor = self._floors[bar, evidence] = self._floor(bar, evidence)
        last, plain, levels, other = len(self.stages), self._plain, pair.levels, pair.other
        total, stage = pair.total, pair.stage  # written back to the pair when it leaves
        while total + _MARGIN >= floor or self._may_be_one_identity(pair) or (
                moved and self._may_have_moved(pair)):
            if stage == last:
                pair.total, pair.stage = total, stage
                return True
            step = plain[stage]
            if step is None:
                pair.total, pair.stage = total, stage
                self.refine(pair)
                total, stage = pair.total, pair.stage
                continue
            if step is _UNSET:
                step = plain[stage] = self._plain_step(stage)
            # `refine` of a stage of one field (not the names), as it compares it.
            position, reads, known, level_of, falls, exchanged = step
            values = reads(other)
            level = known.get(values)
            if level is None:
                level = known[values] = level_of(other)
            levels[position] = level
            stage += 1
            if exchanged is not None:
                best = exchanged(self.left, other, level)
                if best != level:  # held at its best until the names are compared
                    total += falls[best]
                    pair.held += falls[level] - falls[best]
                    continue
            total += falls[level]
        pair.total, pair.stage = total, stage
        return False

    def _may_be_one_identity(self, pair: Pair) -> bool:
        """The pair may still be of one identity, which links whatever its ceiling
        (`decision.identity_links`): its birth date and contacts compared so far allow it.
        The names are left to the full comparison (read exchanged, they may agree)."""
        if self._identity_levels is None:
            return False
        levels = self._identity_levels(pair.levels)
        known = self._identity_known.get(levels)
        if known is None:
            known = self._identity_known[levels] = same_identity(
                {field: pair.levels[p] for field, p in self._identity_fields})
        return known

    def _may_have_moved(self, pair: Pair) -> bool:
        """The pair may still differ by the home alone (`decision.moved`): nothing of the
        person plainly different so far, the home not known to agree. Its own identifiers
        are not asked: without one agreeing, the names may still weigh for one person
        (`decision.moved_on_names`), known only in full."""
        levels = {field: pair.levels[p] for p, field in enumerate(self._fields)}
        return DIFFERENT not in [levels.get(f) for f in OWN_FIELDS] and any(
            levels.get(f) in (DIFFERENT, None) for f in ("adresse", "lieu") if f in levels)

    def _floor(self, bar: float, evidence: float | None) -> float:
        floor = _weight_below(bar)
        if evidence is not None:
            floor = min(floor, self.prior + evidence - 1e-6)
        return floor

    def refine(self, pair: Pair) -> None:
        """Compare the pair's next stage of fields; its ceiling falls accordingly."""
        other, levels = pair.other, pair.levels
        steps = self._steps[pair.stage] or self._stage_steps(pair.stage)
        for position, reads, known, level_of, falls, raised in steps:
            values = reads(other)
            level = known.get(values)
            if level is None:
                level = known[values] = level_of(other)
            levels[position] = level
            if raised:
                best = self.comparisons[position].best_exchanged(self.left, other, level)
                if best != level:  # held at its best until the names are compared
                    pair.total += falls[best]
                    pair.held += falls[level] - falls[best]
                    continue
            pair.total += falls[level]
        if pair.stage == self._names_stage:
            stage = self.stages[pair.stage]
            written = [levels[p] for p in stage]
            if _may_agree_exchanged(written):
                pair.total += sum(max(self.exchanged[p], self.weights[p][DIFFERENT])
                                  - self.weights[p][DIFFERENT] for p in stage
                                  if levels[p] == DIFFERENT)
            if written.count(DIFFERENT) < 2:  # every field stays as written
                pair.total += pair.held
                pair.held = 0.0
        pair.stage += 1


def _level_beside(comparison: Comparison,
                  left: NormalisedRecord) -> Callable[[NormalisedRecord], str]:
    """`Comparison.level` against `left`, a record known to have a value (one call a
    candidate's value met first, where partials of partials took three)."""
    present, compare = comparison.present, comparison.compare

    def level_of(other: NormalisedRecord) -> str:
        return compare(left, other) if present(other) else MISSING
    return level_of


def _may_agree_exchanged(levels: list[str | None]) -> bool:
    """Names both plainly different, or one different and the other missing (a lone
    name against names exchanged): they may agree once exchanged (`compare_records`)."""
    different = levels.count(DIFFERENT)
    return different >= 2 or (different == 1 and levels.count(MISSING) == 1)


def _weight_below(probability: float) -> float:
    """A weight whose probability is a little below `probability` (by 1e-6 bits): a
    ceiling under it is under `probability` too, whatever the rounding."""
    if probability <= 0.0:
        return -math.inf
    if probability >= 1.0:
        return math.inf
    return math.log2(probability / (1 - probability)) - 1e-6
