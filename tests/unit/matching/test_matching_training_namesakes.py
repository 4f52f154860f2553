"""Training on a file of households holding namesakes: the m counted among the pairs
agreeing on surname, first name and birth date (`identity_agreeing_m`) are not those of
two people of one name.

A namesake (one surname, first name and birth date, another person) agrees on identity
as a duplicate does, and differs on every other field as a stranger does: counted as one
person, namesakes made a different address and a different phone look like a
duplicate's (5 % of people given a namesake in the French households population: m of a
different phone 0.01 → 0.09, precision 0.9991 → 0.9939)."""

from __future__ import annotations

import dataclasses
import json
import random
from collections import Counter
from pathlib import Path

from hub.domain.matching.comparisons import build_comparisons
from hub.domain.matching.model import MatchModel
from hub.domain.matching.record import NormalisedRecord
from hub.domain.matching.settings import default_settings
from hub.domain.matching.training import M_FROM_IDENTITY, train
from tests.unit.matching.matching_factories import drawn_pattern, person

_FIELDS = ("nom", "prenom", "date_naissance", "courriel", "telephone", "adresse", "lieu")
# Two people of one name and birth date living apart: strangers on every other field.
_NAMESAKES = {"nom": {"exact": 1.0}, "prenom": {"exact": 1.0}, "date_naissance": {"exact": 1.0},
              "courriel": {"different": 0.5, "missing": 0.5},
              "telephone": {"different": 0.6, "missing": 0.4},
              "adresse": {"different": 0.7, "missing": 0.3},
              "lieu": {"different": 0.95, "missing": 0.05}}


def _household_file_patterns() -> Counter[tuple[str, ...]]:
    """The French households file's training patterns (`test_matching_training_households`):
    2,253 pairs agree on the three identity fields, every one a duplicate (m of a
    different address counted among them: 0.129)."""
    rows = json.loads(Path(__file__).with_name("household_patterns_5k.json").read_text("utf-8"))
    return Counter({tuple(pattern): count for pattern, count in rows})


def _strangers(count: int) -> list[NormalisedRecord]:
    """Records of people apart (other e-mails, phones, streets, communes): the random pairs
    u is sampled from."""
    rng = random.Random(2)
    return [person(id=str(n), nom=rng.choice(["Martin", "Bernard", "Kerbrat", "Durand"]),
                   prenom=rng.choice(["Anne", "Jean", "Marie"]),
                   date_naissance=f"19{rng.randrange(40, 99)}-0{rng.randrange(1, 9)}-1{n % 9}",
                   courriel=f"p{n}@example.org", telephone=f"06{rng.randrange(10**8):08d}",
                   adresse_ligne=f"{rng.randrange(1, 90)} {rng.choice(_STREETS)} {_word(rng)}",
                   code_postal=f"{rng.randrange(1, 96):02d}{rng.randrange(1000):03d}",
                   commune=_word(rng).capitalize())
            for n in range(count)]


_STREETS = ("rue", "avenue", "chemin", "place", "impasse")


def _word(rng: random.Random) -> str:
    return "".join(rng.choice("bcdfglmnprstv") + rng.choice("aeiou") for _ in range(4))


def _trained(namesakes: int) -> MatchModel:
    rng = random.Random(9)
    patterns = _household_file_patterns() + Counter(
        drawn_pattern(rng, {f: _NAMESAKES[f] for f in _FIELDS}) for _ in range(namesakes))
    settings = default_settings()
    return train(_strangers(300), patterns, settings, build_comparisons(settings.comparisons))


def test_namesakes_do_not_make_a_different_phone_look_like_a_duplicates():
    alone, with_namesakes = _trained(0), _trained(400)
    assert with_namesakes.training[M_FROM_IDENTITY] == ["adresse", "courriel", "lieu",
                                                        "telephone"]
    assert with_namesakes.m["telephone"]["different"] < alone.m["telephone"]["different"] + 0.01


def test_namesakes_do_not_raise_the_m_of_a_different_address_or_place():
    alone, with_namesakes = _trained(0), _trained(400)
    for field in ("adresse", "lieu"):
        assert with_namesakes.m[field]["different"] < alone.m[field]["different"] + 0.03


def test_without_namesakes_the_counted_m_are_the_shares_among_the_pairs_agreeing():
    # Every pair agreeing on identity in the households file is a duplicate: counted, not
    # halved by a namesake class the file does not hold (14 % of duplicates moved).
    counted = _trained(0)
    assert counted.m["adresse"]["different"] > 0.12
    settings = default_settings()
    plain = dataclasses.replace(settings, training=dataclasses.replace(
        settings.training, m_from_identity=False))
    em_alone = train(_strangers(300), _household_file_patterns(), plain,
                     build_comparisons(plain.comparisons))
    assert em_alone.m["adresse"]["different"] < 0.02
