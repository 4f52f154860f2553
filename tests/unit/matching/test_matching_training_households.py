"""Training on a file of households: the home does not become what makes a match.

Members of one home agree on the surname and the address; EM's "match" class then grows
into "same home": a person who moved weighs as a stranger (issue 16's French population).
The m of the fields beyond identity is counted among the pairs agreeing on surname, first
name and birth date, which a household cannot make, and held through EM."""

from __future__ import annotations

import dataclasses
import json
import math
import random
from collections import Counter
from pathlib import Path

from hub.domain.matching.comparisons import build_comparisons
from hub.domain.matching.model import MatchModel
from hub.domain.matching.settings import default_settings
from hub.domain.matching.training import M_FROM_IDENTITY, refine_m, train
from tests.unit.matching.matching_factories import NAMESAKE_LEVELS, drawn_pattern, training_records

# Levels per comparison: nom, prenom, date_naissance, courriel, telephone, adresse, lieu.
_FIELDS = ("nom", "prenom", "date_naissance", "courriel", "telephone", "adresse", "lieu")
# One surname, one first name, one birth date, typed again after a move.
_MOVED = ("exact", "exact", "exact", "missing", "missing", "different", "different")


def _household_file_patterns() -> Counter[tuple[str, ...]]:
    """The patterns seen 3 times or more among the training pairs of the synthetic French
    population with dense households (5,000 records, seed 1, `bench/dedup_accuracy.py
    --sets french-households`): 18,160 pairs, about half of its homes' pairs siblings; 14 %
    of its duplicates have another address."""
    rows = json.loads(Path(__file__).with_name("household_patterns_5k.json").read_text("utf-8"))
    return Counter({tuple(pattern): count for pattern, count in rows})


def _trained(m_from_identity: bool = True) -> MatchModel:
    settings = default_settings()
    settings = dataclasses.replace(settings, training=dataclasses.replace(
        settings.training, m_from_identity=m_from_identity))
    return train(training_records(300), _household_file_patterns(), settings,
                 build_comparisons(settings.comparisons))


def _weight(model: MatchModel, pattern: tuple[str, ...]) -> float:
    return math.log2(model.prior / (1 - model.prior)) + sum(
        math.log2(model.m[f][level] / model.u[f][level])
        for f, level in zip(_FIELDS, pattern, strict=True) if level != "missing")


def test_a_person_who_moved_is_not_learnt_as_a_stranger_in_a_file_of_households():
    model = _trained()
    assert model.m["adresse"]["different"] > 0.1  # EM alone: 0.01, the floor
    assert model.m["lieu"]["different"] > 0.1
    assert model.training[M_FROM_IDENTITY] == ["adresse", "courriel", "lieu", "telephone"]
    assert _weight(model, _MOVED) > _weight(_trained(m_from_identity=False), _MOVED) + 4


def test_the_birth_date_weighs_more_once_the_home_is_not_the_match_class():
    def date_exact(model: MatchModel) -> float:
        return math.log2(model.m["date_naissance"]["exact"] / model.u["date_naissance"]["exact"])

    assert date_exact(_trained()) > date_exact(_trained(m_from_identity=False)) + 0.5


def test_the_counted_m_can_be_turned_off():
    model = _trained(m_from_identity=False)
    assert model.training[M_FROM_IDENTITY] == []
    assert model.m["adresse"]["different"] < 0.02


def test_a_coordinators_retraining_keeps_the_counted_m_and_the_entry_naming_them():
    # The judged pairs are those sent to review, most often a home that differs: they
    # would lean the m counted on thousands of pairs towards "different".
    model = _trained()
    refined = refine_m(model, [_MOVED] * 40)
    assert refined.training[M_FROM_IDENTITY] == ["adresse", "courriel", "lieu", "telephone"]
    for field in refined.training[M_FROM_IDENTITY]:
        assert refined.m[field] == model.m[field]
    assert refined.m["nom"]["exact"] > model.m["nom"]["exact"]  # the others refined


def test_without_counted_m_a_retraining_refines_every_field():
    model = _trained(m_from_identity=False)
    refined = refine_m(model, [_MOVED] * 40)
    assert refined.m["adresse"]["different"] > model.m["adresse"]["different"] + 0.3


# Typo-heavy data (FEBRL family) with households: duplicates retype the first name, the
# birth date and the address, every veto is lifted; brothers and sisters share a home.
_RETYPED = {"nom": {"exact": 0.8, "close": 0.2},
            "prenom": {"exact": 0.7, "close": 0.15, "different": 0.15},
            "date_naissance": {"exact": 0.75, "close": 0.1, "different": 0.15},
            "courriel": {"missing": 1.0}, "telephone": {"missing": 1.0},
            "adresse": {"exact": 0.4, "close": 0.3, "fuzzy": 0.2, "different": 0.05,
                        "missing": 0.05},
            "lieu": {"exact": 0.9, "different": 0.1}}
_SIBLINGS = {"nom": {"exact": 1.0}, "prenom": {"different": 1.0},
             "date_naissance": {"different": 1.0}, "courriel": {"missing": 1.0},
             "telephone": {"missing": 1.0}, "adresse": {"exact": 1.0}, "lieu": {"exact": 1.0}}


def _typo_heavy(m_from_identity: bool, retyped: dict[str, dict[str, float]] = _RETYPED,
                ) -> MatchModel:
    rng = random.Random(5)
    patterns = Counter(drawn_pattern(rng, {f: table[f] for f in _FIELDS})
                       for table, pairs in ((retyped, 3_000), (_SIBLINGS, 600),
                                            (NAMESAKE_LEVELS, 6_000)) for _ in range(pairs))
    settings = default_settings()
    settings = dataclasses.replace(settings, training=dataclasses.replace(
        settings.training, m_from_identity=m_from_identity))
    return train(training_records(300), patterns, settings,
                 build_comparisons(settings.comparisons))


def test_where_every_veto_is_lifted_the_model_is_trained_as_without_the_counted_m():
    # There the pairs agreeing on identity are the least retyped duplicates, not typical
    # ones: EM from the u of random pairs learns the other fields' m.
    model = _typo_heavy(m_from_identity=True)
    assert model.training["part_foyers"] >= model.settings.decision.household_min_share
    assert model.training["u_paires_aleatoires_tous_vetos_leves"] is True
    assert model.training[M_FROM_IDENTITY] == []
    assert model.m == _typo_heavy(m_from_identity=False).m


def _near_the_veto_bound(m_from_identity: bool) -> MatchModel:
    """Duplicates retyping first names and birth dates 3 % of the time (the veto bound,
    `m_max_veto`, is 0.03), with brothers and sisters at home: EM without the counted m
    finds 0.034 / 0.029 (the date's veto holds), with them 0.032 / 0.032 (both lifted)."""
    return _typo_heavy(m_from_identity, {
        **_RETYPED, "prenom": {"exact": 0.82, "close": 0.15, "different": 0.03},
        "date_naissance": {"exact": 0.87, "close": 0.1, "different": 0.03}})


def test_whether_every_veto_is_lifted_is_decided_without_the_counted_m():
    # The counted m are left out where every veto is lifted; deciding that on the run
    # that used them left them out of a file whose vetoes then held.
    counted, plain = _near_the_veto_bound(True), _near_the_veto_bound(False)
    assert counted.veto_m == plain.veto_m
    assert counted.decision.lifted_vetoes == plain.decision.lifted_vetoes == ("prenom",)
    assert counted.training["u_paires_aleatoires_tous_vetos_leves"] is False
    assert counted.training[M_FROM_IDENTITY] == ["adresse", "courriel", "lieu", "telephone"]
