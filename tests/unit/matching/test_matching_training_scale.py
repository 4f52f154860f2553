"""Training in a large file, where the pairs alike as persons are mostly namesakes."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

from hub.domain.matching.comparisons import build_comparisons
from hub.domain.matching.settings import default_settings
from hub.domain.matching.training import train
from tests.unit.matching.matching_factories import person

# Levels per comparison: nom, prenom, date_naissance, courriel, telephone, adresse, lieu.
_SAME_PERSON = {"nom": {"exact": 0.82, "close": 0.16, "different": 0.02},
                "prenom": {"exact": 0.82, "close": 0.14, "fuzzy": 0.02, "different": 0.02},
                "date_naissance": {"exact": 0.6, "close": 0.1, "missing": 0.3},
                "courriel": {"exact": 0.5, "different": 0.1, "missing": 0.4},
                "telephone": {"exact": 0.5, "different": 0.1, "missing": 0.4},
                "adresse": {"exact": 0.6, "missing": 0.4},
                "lieu": {"exact": 0.8, "close": 0.15, "different": 0.05}}
_NAMESAKES = {"nom": {"exact": 0.6, "close": 0.2, "fuzzy": 0.2},
              "prenom": {"exact": 0.7, "close": 0.2, "fuzzy": 0.1},
              "date_naissance": {"different": 0.45, "fuzzy": 0.3, "close": 0.1, "exact": 0.02,
                                 "missing": 0.13},
              "courriel": {"different": 0.6, "missing": 0.4},
              "telephone": {"different": 0.6, "missing": 0.4},
              "adresse": {"different": 0.6, "missing": 0.4},
              "lieu": {"different": 0.9, "exact": 0.1}}


def _patterns(share_same: float, pairs: int, seed: int) -> Counter[tuple[str, ...]]:
    rng = random.Random(seed)
    fields = list(_SAME_PERSON)
    patterns: Counter[tuple[str, ...]] = Counter()
    for _ in range(pairs):
        table = _SAME_PERSON if rng.random() < share_same else _NAMESAKES
        patterns[tuple(rng.choices(list(table[f]), list(table[f].values()))[0]
                       for f in fields)] += 1
    return patterns


def _records(count: int) -> list:
    rng = random.Random(1)
    return [person(id=str(n), nom=rng.choice(["Martin", "Bernard", "Kerbrat", "Durand"]),
                   prenom=rng.choice(["Anne", "Jean", "Marie"]),
                   date_naissance=f"19{rng.randrange(40, 99)}-0{rng.randrange(1, 9)}-1{n % 9}")
            for n in range(count)]


def _million_file_patterns() -> Counter[tuple[str, ...]]:
    """The patterns seen 1,000 times or more among the pairs alike as persons in the
    synthetic French population of 1,000,000 records (seed 11, `bench/_population.py`),
    counts divided by 100: about 6 % of those pairs are duplicates, the rest namesakes."""
    rows = json.loads(Path(__file__).with_name("alike_patterns_1m.json").read_text("utf-8"))
    return Counter({tuple(pattern): count for pattern, count in rows})


def test_em_learns_the_same_person_where_namesakes_outnumber_duplicates():
    settings = default_settings()
    comparisons = build_comparisons(settings.comparisons)
    model = train(_records(300), _million_file_patterns(), settings, comparisons)
    date = model.m["date_naissance"]
    assert date["exact"] > 0.5 > date["different"]
    assert date["different"] < settings.decision.veto_max_m  # another birth date still vetoes
    assert model.training["em_sans_dates_differentes"]


def test_a_file_where_duplicates_are_many_among_the_alike_pairs_trains_as_before():
    settings = default_settings()
    comparisons = build_comparisons(settings.comparisons)
    model = train(_records(300), _patterns(0.3, 20_000, seed=4), settings, comparisons)
    assert model.m["date_naissance"]["exact"] > 0.5
    assert not model.training["em_sans_dates_differentes"]
