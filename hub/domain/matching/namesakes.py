"""Namesakes among the pairs agreeing on identity: how likely each is one person.

The m of the fields beyond identity are counted among the pairs whose surname, first
name and birth date agree (`training.identity_agreeing_m`): in a file of households
nearly all are one person typed twice. A namesake (two people of one name and birth
date) is among them too and differs on every other field as a stranger does; counted as
one person, it makes a different address or phone look like a duplicate's. A small EM
over two classes on the fields beyond identity tells them apart: one person (m learnt)
against namesakes (the u of random pairs, held: namesakes live apart).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping

from hub.domain.matching.comparisons import MISSING, Comparison

Pattern = tuple[str, ...]
# The share of namesakes EM starts from, the iterations it may take, its tolerance.
NAMESAKES_START = 0.01
_ITERATIONS = 200
_TOLERANCE = 1e-6
_FLOOR = 1e-6
_ADDRESS, _PLACE = "adresse", "lieu"


def one_person_shares(agreeing: Counter[Pattern], others: list[tuple[int, Comparison]],
                      u: Mapping[str, dict[str, float]]) -> dict[Pattern, float]:
    """Per pattern of `agreeing` (pairs agreeing on identity), the chance it is one person
    rather than namesakes, from the levels of the `others` fields (position, comparison).

    EM from `NAMESAKES_START` with m started at the shares counted. Where the file holds
    no namesake it finds next to none (French households 5k: the m it counts are the
    shares, to the third decimal); 5 % of people given a namesake: m of a different
    phone 0.015 where counting them as one person made it 0.089.
    """
    total = sum(agreeing.values())
    if not total:
        return {}
    m = _shares(agreeing, others, dict.fromkeys(agreeing, 1.0))
    namesakes = NAMESAKES_START
    shares: dict[Pattern, float] = {}
    for _ in range(_ITERATIONS):
        shares = {p: _one_person(p, others, m, u, namesakes) for p in agreeing}
        one_person = sum(n * shares[p] for p, n in agreeing.items())
        new_namesakes = min(max(1 - one_person / total, _FLOOR), 1 - _FLOOR)
        new_m = _shares(agreeing, others, shares)
        change = max(abs(new_namesakes - namesakes), *(
            abs(new_m[f][level] - m[f][level]) for f in m for level in m[f]))
        m, namesakes = new_m, new_namesakes
        if change < _TOLERANCE:
            break
    return shares


def _shares(agreeing: Counter[Pattern], others: list[tuple[int, Comparison]],
            weights: Mapping[Pattern, float]) -> dict[str, dict[str, float]]:
    """Per field, the share of each level among the pairs where it is given, each pair
    counted by its weight (even where nothing is given)."""
    m: dict[str, dict[str, float]] = {}
    for index, comparison in others:
        mass: defaultdict[str, float] = defaultdict(float)
        for pattern, count in agreeing.items():
            if pattern[index] != MISSING:
                mass[pattern[index]] += count * weights[pattern]
        given = sum(mass.values())
        m[comparison.field] = {
            level: max(mass[level] / given, _FLOOR) if given else 1 / len(comparison.levels)
            for level in comparison.levels}
    return m


def _one_person(pattern: Pattern, others: list[tuple[int, Comparison]],
                m: Mapping[str, dict[str, float]], u: Mapping[str, dict[str, float]],
                namesakes: float) -> float:
    """The chance the pair is one person. The place is not weighed where the address is
    given: a move changes both, and weighing both against a person who moved took a
    share of the movers for namesakes (m of a different address 0.14 → 0.11, recall on
    French households 0.855 → 0.833)."""
    weight = math.log2((1 - namesakes) / namesakes)
    address_given = any(pattern[i] != MISSING for i, c in others if c.field == _ADDRESS)
    for index, comparison in others:
        level = pattern[index]
        if level != MISSING and not (address_given and comparison.field == _PLACE):
            weight += math.log2(max(m[comparison.field][level], _FLOOR)
                                / max(u[comparison.field][level], _FLOOR))
    odds_against: float = 2.0 ** -max(min(weight, 60.0), -60.0)
    return 1 / (1 + odds_against)
