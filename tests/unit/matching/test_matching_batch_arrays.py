"""The batch's array fast paths give what the reference functions give, pair for pair."""

from __future__ import annotations

import random
from array import array

import numpy as np
import pytest

from hub.domain.matching.blocking import BlockLimits, candidate_pairs
from hub.domain.matching.comparisons import build_comparisons, compare_records
from hub.domain.matching.scoring import PatternScorer
from hub.domain.matching.settings import default_settings
from hub.services.matching import dedup_parallel, pair_arrays
from hub.services.matching.pair_arrays import (
    candidate_pair_arrays,
    candidate_pairs_for_training,
    sorted_unique,
)
from hub.services.matching.pair_scoring import score_pairs
from tests.unit.matching.matching_factories import hand_model, person

_SURNAMES = ["Martin", "Martn", "Bernard", "Durand", "Kerbrat", "Le Gall", "Dupont", ""]
_FIRST = ["Anne", "Jean", "Marie", "Manu", "Emmanuel", ""]
_DATES = ["1980-05-12", "1980-12-05", "1981-05-12", "1975-01-30", ""]


def _people(count: int, seed: int) -> list:
    """People drawn from small pools: many shared keys, blocks over every cap."""
    rng = random.Random(seed)
    return [person(id=str(n), nom=rng.choice(_SURNAMES), prenom=rng.choice(_FIRST),
                   date_naissance=rng.choice(_DATES),
                   courriel=rng.choice(["", "", "anne@free.fr", "jm@orange.fr"]),
                   telephone=rng.choice(["", "", "0612345678", "0473000001"]),
                   adresse_ligne=rng.choice(["", "3 rue Haute", "8 place du Marché"]),
                   code_postal=rng.choice(["", "63200", "15000"]),
                   commune=rng.choice(["", "Riom", "Aurillac"]))
            for n in range(count)]


@pytest.mark.parametrize("limits", [BlockLimits(6, 2, 4, 1), BlockLimits(50, 5, 20, 2),
                                    BlockLimits(8, 0), BlockLimits(3, 3, 2, 0)])
@pytest.mark.parametrize("workers", [1, 2])
def test_the_array_blocking_gives_the_pairs_of_the_reference(limits, workers, monkeypatch):
    monkeypatch.setattr(pair_arrays, "MIN_RECORDS_PER_WORKER", 10)
    records = _people(400, seed=3)
    rules = default_settings().blocking.rules
    left, right = candidate_pair_arrays(records, rules, limits, workers)
    reference = sorted(candidate_pairs(records, rules, limits))
    assert list(zip(left.tolist(), right.tolist(), strict=True)) == reference


@pytest.mark.parametrize("limits", [BlockLimits(6, 2, 4, 1), BlockLimits(50, 5, 20, 2)])
def test_the_pairs_kept_from_training_are_all_the_pairs_and_marked_by_the_rules_that_train(
        limits):
    records = _people(400, seed=4)
    rules = default_settings().blocking.rules
    untrained = ("rue_code_postal", "date", "lieu_nom")
    left, right, learnt = candidate_pairs_for_training(records, rules, untrained, limits)
    everything = candidate_pair_arrays(records, rules, limits)
    assert left.tolist() == everything[0].tolist() and right.tolist() == everything[1].tolist()
    taught = candidate_pair_arrays(records, [r for r in rules if r not in untrained], limits)
    pairs = list(zip(left.tolist(), right.tolist(), strict=True))
    assert learnt is not None and 0 < learnt.sum() < len(pairs)
    assert [p for p, keep in zip(pairs, learnt.tolist(), strict=True) if keep] == list(
        zip(taught[0].tolist(), taught[1].tolist(), strict=True))
    assert candidate_pairs_for_training(records, rules, (), limits)[2] is None


def test_the_array_blocking_of_no_record_or_one_gives_no_pair():
    rules = default_settings().blocking.rules
    for records in ([], _people(1, seed=1)):
        left, right = candidate_pair_arrays(records, rules, BlockLimits(50, 5))
        assert len(left) == len(right) == 0


def test_the_array_scorer_decides_every_pair_as_judge_does():
    model = hand_model(tf={"nom": {"MARTIN": 0.02, "DURAND": 0.01}, "prenom": {"ANNE": 0.03}})
    records = _people(300, seed=5)
    pairs = sorted(candidate_pairs(records, model.settings.blocking.rules, BlockLimits(50, 5)))
    patterns: dict[tuple[str, ...], int] = {}
    codes = [patterns.setdefault(compare_records(model.comparisons, records[i], records[j])[0],
                                 len(patterns)) for i, j in pairs]
    left = np.array([i for i, _ in pairs], dtype=np.uint32)
    right = np.array([j for _, j in pairs], dtype=np.uint32)
    links, reviews, scored = score_pairs(PatternScorer(model), records, left, right,
                                         np.array(codes, dtype=np.uint16), list(patterns))
    judge = PatternScorer(model).judge
    expected: dict[str, list] = {"link": [], "review": []}
    may_be_same = {}
    for (i, j), code in zip(pairs, codes, strict=True):
        kind, probability, compatible = judge(list(patterns)[code], records[i], records[j])
        if kind != "new":
            expected[kind].append((i, j, probability))
            may_be_same[(i, j)] = compatible
    assert expected["link"] and expected["review"]  # the data exercise both answers
    assert (links, reviews, scored) == (expected["link"], expected["review"], may_be_same)


def _people_with_names_exchanged(count: int, seed: int) -> list:
    """`_people`'s raw fields, some with first and last names exchanged, a name alone,
    or typed in another script: the pairs `compare_records` reads exchanged."""
    rng = random.Random(seed)
    people = [{"id": str(n), "nom": rng.choice(_SURNAMES), "prenom": rng.choice(_FIRST),
               "date_naissance": rng.choice(_DATES),
               "courriel": rng.choice(["", "", "anne@free.fr", "jm@orange.fr"]),
               "telephone": rng.choice(["", "", "0612345678", "0473000001"]),
               "adresse_ligne": rng.choice(["", "3 rue Haute", "8 place du Marché"]),
               "code_postal": rng.choice(["", "63200", "15000"])} for n in range(count)]
    for raw in people[::3]:
        raw["nom"], raw["prenom"] = raw["prenom"], raw["nom"]
    for raw in people[1::7]:
        raw[rng.choice(["nom", "prenom"])] = rng.choice(["", "Анна", "Jean Martin"])
    return [person(**raw) for raw in people]


@pytest.mark.parametrize("workers", [1, 2])
def test_the_batch_compares_each_pair_as_compare_records_does(workers, monkeypatch):
    monkeypatch.setattr(dedup_parallel, "MIN_PAIRS_PER_WORKER", 1)
    records = _people_with_names_exchanged(300, seed=6)
    settings = default_settings()
    comparisons = build_comparisons(settings.comparisons)
    left, right = candidate_pair_arrays(records, settings.blocking.rules, BlockLimits(50, 5))
    codes, patterns = dedup_parallel.compare_pairs(
        records, array("I", left.tolist()), array("I", right.tolist()), comparisons, workers)
    pairs = list(zip(left.tolist(), right.tolist(), strict=True))
    reference = [compare_records(comparisons, records[i], records[j])[0] for i, j in pairs]
    assert [patterns[code] for code in codes] == reference
    assert patterns == list(dict.fromkeys(reference))  # first met, first
    as_written = [tuple(c.level(records[i], records[j]) for c in comparisons) for i, j in pairs]
    assert len(patterns) > 20 and reference != as_written  # names read exchanged too


@pytest.mark.parametrize("dtype", [np.uint64, np.uint32, np.int64])
def test_sorted_unique_gives_the_distinct_values_in_order(dtype):
    values = np.random.default_rng(5).integers(0, 500, 3_000).astype(dtype)
    assert sorted_unique(values).tolist() == np.unique(values).tolist()
    assert sorted_unique(values).dtype == dtype
    assert sorted_unique(np.empty(0, dtype=dtype)).tolist() == []
    assert sorted_unique(np.array([7], dtype=dtype)).tolist() == [7]


def test_the_candidate_pairs_are_found_without_numpys_hashing_unique(monkeypatch):
    """numpy 2.3+ finds an integer array's distinct values by hashing when no index is
    asked, ten times slower than sorting on the batch's tens of millions of pair codes."""
    records = _people(400, seed=4)
    rules = default_settings().blocking.rules
    limits = BlockLimits(6, 2, 4, 1)
    expected = candidate_pairs_for_training(records, rules, ("rue_code_postal",), limits)

    def hashing_unique(*args, **kwargs):
        raise AssertionError("np.unique without an index: the hash table")

    for name in ("unique", "union1d"):
        monkeypatch.setattr(np, name, hashing_unique)
    found = candidate_pairs_for_training(records, rules, ("rue_code_postal",), limits)
    assert all(a.tolist() == b.tolist() for a, b in zip(found, expected, strict=True))
