"""Training in a large file, where the pairs alike as persons are mostly namesakes."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

from hub.domain.matching.comparisons import build_comparisons
from hub.domain.matching.settings import default_settings
from hub.domain.matching.training import train
from tests.unit.matching.matching_factories import NAMESAKE_LEVELS, drawn_pattern, training_records

# Levels per comparison: nom, prenom, date_naissance, courriel, telephone, adresse, lieu.
_SAME_PERSON = {"nom": {"exact": 0.82, "close": 0.16, "different": 0.02},
                "prenom": {"exact": 0.82, "close": 0.14, "fuzzy": 0.02, "different": 0.02},
                "date_naissance": {"exact": 0.6, "close": 0.1, "missing": 0.3},
                "courriel": {"exact": 0.5, "different": 0.1, "missing": 0.4},
                "telephone": {"exact": 0.5, "different": 0.1, "missing": 0.4},
                "adresse": {"exact": 0.6, "missing": 0.4},
                "lieu": {"exact": 0.8, "close": 0.15, "different": 0.05}}
_NAMESAKES = NAMESAKE_LEVELS


def _patterns(share_same: float, pairs: int, seed: int) -> Counter[tuple[str, ...]]:
    rng = random.Random(seed)
    fields = list(_SAME_PERSON)
    patterns: Counter[tuple[str, ...]] = Counter()
    for _ in range(pairs):
        table = _SAME_PERSON if rng.random() < share_same else _NAMESAKES
        patterns[drawn_pattern(rng, {f: table[f] for f in fields})] += 1
    return patterns


def _million_file_patterns() -> Counter[tuple[str, ...]]:
    """The patterns seen 1,000 times or more among the pairs alike as persons in the
    synthetic French population of 1,000,000 records (seed 11, `bench/_population.py`),
    counts divided by 100: about 6 % of those pairs are duplicates, the rest namesakes."""
    rows = json.loads(Path(__file__).with_name("alike_patterns_1m.json").read_text("utf-8"))
    return Counter({tuple(pattern): count for pattern, count in rows})


def test_em_learns_the_same_person_where_namesakes_outnumber_duplicates():
    settings = default_settings()
    comparisons = build_comparisons(settings.comparisons)
    model = train(training_records(300), _million_file_patterns(), settings, comparisons)
    date = model.m["date_naissance"]
    assert date["exact"] > 0.5 > date["different"]
    assert date["different"] < settings.decision.veto_max_m  # another birth date still vetoes
    assert model.training["em_sans_dates_differentes"]


def test_a_file_where_duplicates_are_many_among_the_alike_pairs_trains_as_before():
    settings = default_settings()
    comparisons = build_comparisons(settings.comparisons)
    model = train(training_records(300), _patterns(0.3, 20_000, seed=4), settings, comparisons)
    assert model.m["date_naissance"]["exact"] > 0.5
    assert not model.training["em_sans_dates_differentes"]
