"""Unsupervised estimation of a `MatchModel` from the records themselves.

- u by random sampling: random pairs of records are almost all different
  people, so the share of each level among them estimates u.
- m and the prior by expectation–maximisation on the blocked candidate pairs,
  u held fixed (as Splink does). EM runs on the distinct comparison patterns
  with their counts, so it costs little whatever the number of pairs.
- term frequencies of names; only values seen at least `tf_min_count` times
  are kept in the model file (rare names are not written down).
"""

from __future__ import annotations

import dataclasses
import math
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence

from hub.domain.matching.comparisons import (
    CLOSE,
    DAY_OFF,
    DIFFERENT,
    EXACT,
    FUZZY,
    MISSING,
    SWAPPED,
    Comparison,
    compare_records,
)
from hub.domain.matching.household import (
    HOUSEHOLD_PAIRS,
    HOUSEHOLD_SHARE,
    household_share,
    share_of,
)
from hub.domain.matching.model import (
    NAMESAKE_SHARE,
    RANDOM_PAIR_U,
    SEEDED_LEVELS,
    MatchModel,
    default_model,
    households_seen,
)
from hub.domain.matching.namesakes import one_person_shares
from hub.domain.matching.record import NormalisedRecord
from hub.domain.matching.settings import CONTACT_FIELDS, MatchingSettings, TrainingSettings

Pattern = tuple[str, ...]
# Where EM starts m, per number of levels (best first; the birth date's six: exact,
# swapped, day_off, close, fuzzy, different).
_M_START = {6: (0.7, 0.03, 0.06, 0.06, 0.1, 0.05), 4: (0.7, 0.15, 0.1, 0.05),
            3: (0.8, 0.12, 0.08)}
_FLOOR = 1e-6


def estimate_u(
    records: Sequence[NormalisedRecord], comparisons: list[Comparison], pairs: int, seed: int
) -> dict[str, dict[str, float]]:
    """u per field and level from `pairs` random pairs (add-one smoothed)."""
    rng = random.Random(seed)
    n = len(records)
    total = min(pairs, n * (n - 1) // 2)
    counts: list[Counter[str]] = [Counter() for _ in comparisons]
    for _ in range(total):
        i, j = rng.randrange(n), rng.randrange(n)
        if i == j:
            continue
        levels, _b = compare_records(comparisons, records[i], records[j])
        for counter, level in zip(counts, levels, strict=True):
            counter[level] += 1
    return {c.field: _smoothed(counter, c.levels) for c, counter in zip(comparisons, counts,
                                                                         strict=True)}


def _smoothed(counter: Counter[str], levels: tuple[str, ...]) -> dict[str, float]:
    seen = sum(counter[level] for level in levels)
    return {level: (counter[level] + 1) / (seen + len(levels)) for level in levels}


@dataclasses.dataclass(frozen=True)
class EmResult:
    m: dict[str, dict[str, float]]
    u: dict[str, dict[str, float]]
    prior: float
    iterations: int
    converged: bool
    without_other_dates: bool = False


def expectation_maximisation(
    patterns: Counter[Pattern],
    comparisons: list[Comparison],
    u: dict[str, dict[str, float]],
    training: TrainingSettings,
    fixed_m: Mapping[str, dict[str, float]] | None = None,
) -> EmResult:
    """EM on comparison patterns, from u by random sampling.

    With `reestimate_u`, u is refined too, among candidate pairs: blocked pairs
    that are not matches agree on names far more often than random pairs do, and
    holding u at its random-pair value makes every candidate look like a match.
    The m of the fields in `fixed_m` is held at its value (`identity_agreeing_m`).
    """
    fixed = dict(fixed_m or {})
    m = {c.field: dict(zip(c.levels, _M_START[len(c.levels)], strict=True)) for c in comparisons}
    m.update(fixed)
    prior = 0.3
    fields = [c.field for c in comparisons]
    for iteration in range(1, training.em_max_iterations + 1):
        posterior = {p: _posterior(p, fields, m, u, prior) for p in patterns}
        new_prior, new_m = _maximise(patterns, posterior, comparisons, matched=True)
        new_m.update(fixed)
        new_u = _maximise(patterns, posterior, comparisons, matched=False)[1] if (
            training.reestimate_u) else u
        change = max(abs(new_prior - prior), *(
            abs(new[f][lv] - old[f][lv]) for new, old in ((new_m, m), (new_u, u))
            for f in old for lv in old[f]
        ))
        prior, m, u = new_prior, new_m, new_u
        if change < training.em_tolerance:
            return EmResult(m, u, prior, iteration, True)
    return EmResult(m, u, prior, training.em_max_iterations, False)


def _posterior(pattern: Pattern, fields: list[str], m: dict[str, dict[str, float]],
               u: dict[str, dict[str, float]], prior: float) -> float:
    weight = math.log2(prior / (1 - prior))
    for field, level in zip(fields, pattern, strict=True):
        if level != MISSING:
            weight += math.log2(m[field][level] / u[field][level])
    weight = max(min(weight, 60.0), -60.0)
    odds_against: float = 2.0**-weight
    return 1 / (1 + odds_against)


def _maximise(
    patterns: Counter[Pattern],
    posterior: dict[Pattern, float],
    comparisons: list[Comparison],
    matched: bool,
) -> tuple[float, dict[str, dict[str, float]]]:
    """New prior, and new m (matched) or u (not matched) from the posteriors."""
    share = {p: posterior[p] if matched else 1 - posterior[p] for p in patterns}
    total = sum(patterns.values())
    prior = sum(count * posterior[p] for p, count in patterns.items()) / total
    prior = min(max(prior, _FLOOR), 1 - _FLOOR)
    m: dict[str, dict[str, float]] = {}
    for index, comparison in enumerate(comparisons):
        mass: defaultdict[str, float] = defaultdict(float)
        for pattern, count in patterns.items():
            mass[pattern[index]] += count * share[pattern]
        present = sum(mass[level] for level in comparison.levels)
        m[comparison.field] = {
            level: max(mass[level] / present, _FLOOR) if present else 1 / len(comparison.levels)
            for level in comparison.levels
        }
    return prior, m


IDENTITY_FIELDS = ("nom", "prenom", "date_naissance")


def identity_patterns(patterns: Counter[Pattern], comparisons: list[Comparison]) -> Counter[Pattern]:
    """The patterns of pairs agreeing, at least roughly, on two of name, first name and date.

    Blocking on a place or a street number alone brings many pairs of one household
    or one street; on those, EM finds "same address" rather than "same person" (its
    two classes split on the address). The pairs that look alike as persons are the
    ones EM must separate, as the name-based blocking keys gave it before.
    """
    positions = [i for i, c in enumerate(comparisons) if c.field in IDENTITY_FIELDS]
    kept = Counter({p: n for p, n in patterns.items()
                    if sum(p[i] in _ROUGHLY for i in positions) >= 2})
    return kept or patterns


_ROUGHLY = frozenset({EXACT, SWAPPED, DAY_OFF, CLOSE, FUZZY})
_DATE = "date_naissance"
_ALIKE = frozenset({EXACT, SWAPPED, DAY_OFF, CLOSE})
# Pairs agreeing on surname, first name and birth date it takes to count the m of the
# other fields among them (`identity_agreeing_m`), per field given on both sides.
MIN_IDENTITY_PAIRS = 50


def identity_agreeing_m(alike: Counter[Pattern], comparisons: list[Comparison],
                        u: Mapping[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """The m of each field beyond the identity ones (contacts, address, place), counted
    among the pairs whose surname, first name and birth date all agree (exact or close),
    where it is given on both sides of at least `MIN_IDENTITY_PAIRS` of them.

    In a file of households EM's two classes split on the home: a household's members
    agree on the surname and the address, so its "match" class becomes "same home", a
    person who moved weighs as a stranger (address different -6.5 bits) and the matches
    it leaves out make the names weak (French households 5k: m of a different address
    0.01 where 14 % of duplicates moved, surname exact +1.0 bit). Two members of one home
    rarely share a first name and a birth date too, so among the pairs agreeing on all
    three, nearly all the same person, the share of each level of the other fields is
    their m, which a household cannot bend (same file: 2,436 such pairs, all duplicates,
    address different 0.144 against 0.142 among all duplicates).

    Namesakes (one surname, first name and birth date, two people) are among those pairs
    too, and each counts a different address, place and phone as a duplicate's: 5 % of
    people given one raised m of a different address from 0.14 to 0.21 and of a different
    phone from 0.01 to 0.09, and namesakes linked. Each pair is counted by the chance it
    is one person (`namesakes.one_person_shares`): namesakes are strangers on every other field,
    as random pairs are (`u`).
    """
    positions = [i for i, c in enumerate(comparisons) if c.field in IDENTITY_FIELDS]
    agreeing = Counter({p: n for p, n in alike.items() if all(p[i] in _ALIKE for i in positions)})
    others = [(i, c) for i, c in enumerate(comparisons) if c.field not in IDENTITY_FIELDS]
    weights = one_person_shares(agreeing, others, u)
    m: dict[str, dict[str, float]] = {}
    for index, comparison in others:
        seen: defaultdict[str, float] = defaultdict(float)
        given = 0
        for pattern, count in agreeing.items():
            if pattern[index] != MISSING:
                seen[pattern[index]] += count * weights[pattern]
                given += count
        mass = sum(seen.values())
        if given >= MIN_IDENTITY_PAIRS and mass > 0:
            m[comparison.field] = {level: seen[level] / mass for level in comparison.levels}
    return _at_least(m, M_FLOOR)


def identity_namesakes(alike: Counter[Pattern], comparisons: list[Comparison],
                       u: Mapping[str, dict[str, float]]) -> float:
    """The share of namesakes among the pairs agreeing on identity, as
    `namesakes.one_person_shares` estimates it (0 without such pairs): French households
    5k 0.0; with 1 % of people given a namesake 0.018, with 5 % 0.068 (seed 1). Where it
    is above `model.MAX_NAMESAKE_SHARE`, identity alone links no pair (`MatchModel.decision`)."""
    positions = [i for i, c in enumerate(comparisons) if c.field in IDENTITY_FIELDS]
    agreeing = Counter({p: n for p, n in alike.items() if all(p[i] in _ALIKE for i in positions)})
    total = sum(agreeing.values())
    if not total:
        return 0.0
    others = [(i, c) for i, c in enumerate(comparisons) if c.field not in IDENTITY_FIELDS]
    shares = one_person_shares(agreeing, others, u)
    return max(0.0, 1 - sum(n * shares[p] for p, n in agreeing.items()) / total)


def learnt_namesakes(m: dict[str, dict[str, float]]) -> bool:
    """Whether EM's "match" class has another birth date more often than the same one.

    In a large file the pairs alike as persons are mostly namesakes (MARTIN Marie is
    ~15 people per birth year in a million; the same person typed twice stays one pair),
    and EM then splits them on the date: its "match" class is "same names", not "same
    person". No file's duplicates differ on the birth date more often than they agree.
    """
    date = m.get(_DATE)
    return date is not None and date.get(DIFFERENT, 0.0) > date.get(EXACT, 0.0)


def without_other_dates(alike: Counter[Pattern], comparisons: list[Comparison]) -> Counter[Pattern]:
    """The alike pairs whose birth dates are not plainly different: among them EM's split
    is same person against different people, not same names against other names.

    The date's m of "different" then comes out at the floor (`M_FLOOR`): the date veto
    holds, as it does for the French population at 5k to 100k (m 0.02 to 0.03).
    """
    position = next(i for i, c in enumerate(comparisons) if c.field == _DATE)
    return Counter({p: n for p, n in alike.items() if p[position] != DIFFERENT})


def term_frequencies(
    records: Sequence[NormalisedRecord], fields: Sequence[str], min_count: int, max_values: int
) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
    """Frequencies of common values per field, and the frequency assumed for any other."""
    n = max(len(records), 1)
    tables: dict[str, dict[str, float]] = {}
    floors: dict[str, float] = {}
    for field in fields:
        counts = Counter(v for r in records if (v := getattr(r, field)))
        common = [(v, c) for v, c in counts.most_common(max_values) if c >= min_count]
        tables[field] = {value: count / n for value, count in common}
        floors[field] = max(min_count - 1, 1) / n
    return tables, floors


def train(
    records: Sequence[NormalisedRecord],
    patterns: Counter[Pattern],
    settings: MatchingSettings,
    comparisons: list[Comparison],
) -> MatchModel:
    """A model estimated from the records and the patterns of their candidate pairs."""
    t = settings.training
    u_random = estimate_u(records, comparisons, t.u_sample_pairs, t.seed)
    households = household_share(patterns, [c.field for c in comparisons])
    alike_all = identity_patterns(patterns, comparisons)
    namesakes = identity_namesakes(alike_all, comparisons, u_random)
    counted = identity_agreeing_m(alike_all, comparisons, u_random) if (
        t.m_from_identity and households_seen(settings.decision, {
            HOUSEHOLD_SHARE: share_of(households), HOUSEHOLD_PAIRS: list(households)})) else {}
    # Whether every veto is lifted is decided on EM without the counted m, which could
    # bend it either way: where every veto is lifted (typo-heavy data) the pairs agreeing
    # on identity are the least retyped, not the typical duplicate (dsgen-zipf-heavy-
    # households: address different 0.07 among them, 0.17 by EM), so the counted m are
    # not used; elsewhere they are, and the vetoes stay as that run says.
    alike, em, first_iterations = _em_on_alike(alike_all, comparisons, u_random, t, {})
    veto_m, contact_matches, moved_matches = household_free_veto_m(
        alike, comparisons, em, settings.decision.veto_fields)
    every_veto_lifted = t.reestimate_u and lifts_every_veto(veto_m, settings)
    fixed = {} if every_veto_lifted else counted
    if fixed:
        alike, em, first_iterations = _em_on_alike(alike_all, comparisons, u_random, t, fixed)
    if every_veto_lifted:
        em = dataclasses.replace(expectation_maximisation(
            alike, comparisons, u_random, dataclasses.replace(t, reestimate_u=False)),
            without_other_dates=em.without_other_dates)
    # The matches are among the pairs alike as persons: the prior of any candidate pair
    # is theirs, diluted by the other candidates.
    matches = em.prior * sum(alike.values())
    prior = matches / max(sum(patterns.values()), 1)
    if every_veto_lifted:  # u of random pairs: the prior of a random pair goes with it
        prior = min(matches / max(len(records) * (len(records) - 1) / 2, 1), prior)
    tf_fields = [name for name, c in settings.comparisons.items() if c.term_frequency]
    tf, floors = term_frequencies(records, tf_fields, t.tf_min_count, t.tf_max_values)
    stats = {"enregistrements": len(records), "paires_candidates": sum(patterns.values()),
             "iterations_em": em.iterations, "em_converge": em.converged,
             "em_sans_dates_differentes": em.without_other_dates,
             "iterations_em_toutes_paires": first_iterations,
             "paires_contact_m_veto": round(contact_matches),
             "paires_adresse_differente_m_veto": round(moved_matches),
             RANDOM_PAIR_U: every_veto_lifted,
             M_FROM_IDENTITY: sorted(fixed),
             HOUSEHOLD_SHARE: round(share_of(households), 4),
             HOUSEHOLD_PAIRS: list(households), NAMESAKE_SHARE: round(namesakes, 4)}
    u = {field: _at_least_each(levels, u_random[field]) for field, levels in em.u.items()}
    return MatchModel(settings, prior, _at_least(em.m, M_FLOOR), u, tf, floors, stats,
                      u_random, veto_m)


def _em_on_alike(alike: Counter[Pattern], comparisons: list[Comparison],
                 u_random: dict[str, dict[str, float]], t: TrainingSettings,
                 fixed: dict[str, dict[str, float]],
                 ) -> tuple[Counter[Pattern], EmResult, int]:
    """EM on the pairs alike as persons (`identity_patterns`), again without those of
    another birth date where its "match" class came out as namesakes; the pairs it ran on
    last, its result, and the iterations of its first run."""
    em = expectation_maximisation(alike, comparisons, u_random, t, fixed)
    first_iterations = em.iterations
    if learnt_namesakes(em.m):
        alike = without_other_dates(alike, comparisons)
        em = dataclasses.replace(expectation_maximisation(alike, comparisons, u_random, t, fixed),
                                 without_other_dates=True)
    return alike, em, first_iterations


def lifts_every_veto(veto_m: dict[str, float], settings: MatchingSettings) -> bool:
    """Whether the matches no household could have made replace every veto field often
    enough to lift its veto (`MatchModel.decision`): typo-heavy data without households.

    There EM's u among the candidate pairs (`reestimate_u`) is the wrong one: the pairs
    alike as persons are nearly all duplicates, and its "non-match" class takes in the
    most retyped of them, so a closer level weighs less than a looser one (a postcode
    exact +3.9 bits, another one with the same suburb +8.2: FEBRL-family sets). The u
    of random pairs then holds, as in the Fellegi–Sunter model (and Splink's): EM runs
    again from it, learning m alone (`RANDOM_PAIR_U` in the model file).

    This reads the veto m alone (`household_free_veto_m`), which leaves out the pairs
    sharing an address: a file holding households can lift every veto all the same
    when its duplicates also replace names and dates (600 family members at one address
    added to a typo-heavy set: the vetoes lifted, most siblings merged). It says the
    vetoes are lifted, not that the file holds no household.
    """
    fields = settings.decision.veto_fields
    return bool(fields) and all(veto_m.get(f, 0.0) >= settings.decision.veto_max_m
                                for f in fields)


M_FLOOR = 0.01
# The training entry naming the fields whose m was counted among the pairs agreeing on
# identity (`identity_agreeing_m`) and held through EM.
M_FROM_IDENTITY = "m_par_identite"
# Matches (posterior mass) it takes to estimate a veto field's m among them: agreeing on a
# contact, or else whose addresses differ.
MIN_CONTACT_MATCHES = 50.0
_ADDRESS = "adresse"


def household_free_veto_m(alike: Counter[Pattern], comparisons: list[Comparison], em: EmResult,
                          veto_fields: Sequence[str]) -> tuple[dict[str, float], float, float]:
    """Per veto field, how often matches no household could have made differ on it; how
    many matches agree on a contact; how many have addresses that differ.

    EM's "match" class also takes in twins at one address (one surname, one birth date,
    another first name) and brothers and sisters: alike enough to outweigh their first
    names, they raise the m of a different first name (birth date), which lifts the veto,
    which links them. Twins rarely share an e-mail or a phone, and a household shares its
    address: among the matches agreeing on a contact (`contact_veto_m`), or, where the file
    has too few of them (no e-mails nor phones: FEBRL, a French file without contacts),
    among the matches whose addresses are both given and differ (a duplicate retyped or a
    person who moved), a first name differs only where duplicates really replace it.
    Where neither holds `MIN_CONTACT_MATCHES` (every pair alike shares its address or
    lacks one), nothing in the file tells a retyped first name from a twin's: m 0, the
    veto holds. French population without contacts, 2,000 records: EM's 0.049 (seed 6),
    no match with addresses differing; FEBRL-family sets: 0.046 to 0.069 among those with
    addresses differing against EM's 0.047 to 0.081.
    """
    by_contact, contact_matches = contact_veto_m(alike, comparisons, em, veto_fields)
    address = [i for i, c in enumerate(comparisons) if c.field == _ADDRESS]
    by_address, moved_matches = _veto_shares(
        alike, comparisons, em, veto_fields,
        lambda p: any(p[i] not in (EXACT, MISSING) for i in address))
    shares = {field: by_contact.get(field, by_address.get(field, 0.0))
              for field in veto_fields if field in {c.field for c in comparisons}}
    return shares, contact_matches, moved_matches


def contact_veto_m(alike: Counter[Pattern], comparisons: list[Comparison], em: EmResult,
                   veto_fields: Sequence[str]) -> tuple[dict[str, float], float]:
    """Per veto field, how often matches agreeing on a contact (e-mail, phone) differ on it;
    and how many matches (posterior mass) agree on a contact.

    Twins rarely share an e-mail or a phone, so among the matches agreeing on one, a first
    name (a birth date) differs only where duplicates really replace it: the veto is lifted
    or kept on that share, not on the m of EM (French population 5k: 0.4 to 0.7 % against
    EM's 2 to 4 %).
    """
    positions = [i for i, c in enumerate(comparisons) if c.field in CONTACT_FIELDS]
    return _veto_shares(alike, comparisons, em, veto_fields,
                        lambda p: any(p[i] == EXACT for i in positions))


def _veto_shares(alike: Counter[Pattern], comparisons: list[Comparison], em: EmResult,
                 veto_fields: Sequence[str], kept: Callable[[Pattern], bool],
                 ) -> tuple[dict[str, float], float]:
    """Per veto field, the share of "different" among the matches (EM's posterior mass) of
    the `kept` patterns where it is given, if they hold `MIN_CONTACT_MATCHES`; and their
    mass."""
    fields = [c.field for c in comparisons]
    posterior = {p: _posterior(p, fields, em.m, em.u, em.prior) for p in alike if kept(p)}
    shares: dict[str, float] = {}
    for index, comparison in enumerate(comparisons):
        if comparison.field not in veto_fields:
            continue
        mass: defaultdict[str, float] = defaultdict(float)
        for pattern, share in posterior.items():
            if pattern[index] != MISSING:
                mass[pattern[index]] += alike[pattern] * share
        seen = sum(mass.values())
        if seen >= MIN_CONTACT_MATCHES:
            shares[comparison.field] = round(mass[DIFFERENT] / seen, 6)
    return shares, sum(alike[p] * share for p, share in posterior.items())


def _at_least_each(u: dict[str, float], floor: dict[str, float]) -> dict[str, float]:
    """u re-estimated among candidates, never below u among random pairs (then summing
    to 1 again). EM may give a level shared by households (an address, a landline) to
    the match class alone, u then falls to zero and the level outweighs everything;
    candidates that are not matches agree at least as often as random pairs do."""
    raised = {level: max(p, floor.get(level, 0.0)) for level, p in u.items()}
    return {level: p / sum(raised.values()) for level, p in raised.items()}


def _at_least(m: dict[str, dict[str, float]], floor: float) -> dict[str, dict[str, float]]:
    """m with no level below `floor` (then summing to 1 again).

    EM drives the share of a level it never saw among matches to zero, and a single
    level then outweighs every other field (a person who moved: -20 bits for the
    address alone). A floor keeps the level strong evidence, not a veto.
    """
    floored = {field: {level: max(p, floor) for level, p in levels.items()}
               for field, levels in m.items()}
    return {field: {level: p / sum(levels.values()) for level, p in levels.items()}
            for field, levels in floored.items()}


def refine_m(model: MatchModel, same_person: Sequence[Pattern], pseudo_count: float = 20.0) -> MatchModel:
    """m re-estimated from pairs a coordinator judged to be the same person.

    Each field's share of levels among the judged pairs is blended with the current
    m, which counts as `pseudo_count` pairs (a handful of decisions nudges m, many
    decisions dominate it). Missing levels say nothing and are not counted.

    The m counted among the pairs agreeing on identity (the fields listed under
    `m_par_identite`, `identity_agreeing_m`) are kept, as EM keeps them: they were
    counted on thousands of pairs no household makes, where the judged pairs are those
    the model was unsure of (sent to review: most often a home or a contact that
    differs), a sample that would lean them towards "different". The entry stays true of
    the model written.

    Example (one level per comparison: nom, prenom, date_naissance, courriel, ...):
        >>> from hub.domain.matching.model import default_model
        >>> model = default_model()
        >>> same_email = ("missing", "missing", "missing", "exact", "missing", "missing", "missing")
        >>> refined = refine_m(model, [same_email] * 40)
        >>> refined.m["courriel"]["exact"] > model.m["courriel"]["exact"]
        True
        >>> refined.m["nom"] == model.m["nom"]
        True
    """
    m: dict[str, dict[str, float]] = {}
    u: dict[str, dict[str, float]] = {}
    seeded: list[str] = list(model.training.get(SEEDED_LEVELS, ()))
    counted = set(model.training.get(M_FROM_IDENTITY, ()))
    for index, comparison in enumerate(model.comparisons):
        current, u[comparison.field], new = _with_every_level(model, comparison)
        seeded += [f"{comparison.field}.{level}" for level in new]
        seen = Counter(p[index] for p in same_person if p[index] != MISSING)
        total = sum(seen.values()) + pseudo_count
        if not seen or comparison.field in counted:
            m[comparison.field] = current
            continue
        m[comparison.field] = {
            level: max((seen[level] + pseudo_count * current[level]) / total, _FLOOR)
            for level in current
        }
    training = {**model.training, "paires_jugees_memes": len(same_person)}
    if seeded:
        training[SEEDED_LEVELS] = sorted(set(seeded))
    return dataclasses.replace(model, m=m, u={**model.u, **u}, training=training,
                               veto_m=_refined_veto_m(model, same_person, pseudo_count))


def _with_every_level(model: MatchModel, comparison: Comparison) -> tuple[
        dict[str, float], dict[str, float], list[str]]:
    """The field's m and u over the comparison's levels, and the levels added: a level
    newer than the model file takes its share of its former level's m and u as the
    shipped model splits them (u is not re-estimated from judged pairs: an even split
    would leave a halved u to overweigh the former level by up to a bit), evenly when the
    shipped model has no such split; each table still sums to 1."""
    m, u = dict(model.m[comparison.field]), dict(model.u[comparison.field])
    shipped = default_model()
    added = []
    for level, former in comparison.formerly:
        if level not in m and former in m and former in u:
            for table, reference in ((m, shipped.m), (u, shipped.u)):
                share = _share(reference.get(comparison.field, {}), level, former)
                table[level], table[former] = table[former] * share, table[former] * (1 - share)
            added.append(level)
    return m, u, added


def _share(table: dict[str, float], level: str, former: str) -> float:
    """`level`'s part of `level` + `former` in the shipped table, 1/2 without one."""
    total = table.get(level, 0.0) + table.get(former, 0.0)
    return table[level] / total if total > 0 and level in table else 0.5


def _refined_veto_m(model: MatchModel, same_person: Sequence[Pattern],
                    pseudo_count: float) -> dict[str, float]:
    """`m_veto` re-estimated as `refine_m` re-estimates m: per veto field the model holds
    one for, the share of "different" among the judged pairs agreeing exactly on a contact
    or with addresses differing (as `household_free_veto_m` counts them), blended with the
    current value as `pseudo_count` pairs. A field without one keeps following m."""
    fields = [c.field for c in model.comparisons]
    contacts = [i for i, field in enumerate(fields) if field in CONTACT_FIELDS]
    address = [i for i, field in enumerate(fields) if field == _ADDRESS]
    with_contact = [p for p in same_person if any(p[i] == EXACT for i in contacts)
                    or any(p[i] not in (EXACT, MISSING) for i in address)]
    refined = dict(model.veto_m)
    for field, current in model.veto_m.items():
        index = fields.index(field)
        seen = [p[index] for p in with_contact if p[index] != MISSING]
        if seen:
            different = sum(level == DIFFERENT for level in seen)
            refined[field] = round((different + pseudo_count * current)
                                   / (len(seen) + pseudo_count), 6)
    return refined
