"""Factories for the matching tests: records and a hand-set model."""

from __future__ import annotations

import random
from typing import Any

from hub.domain.matching.comparisons import COMPARISON_CLASSES
from hub.domain.matching.model import MatchModel
from hub.domain.matching.record import NormalisedRecord, normalise_record
from hub.domain.matching.settings import default_settings

# The birth date's swapped and day_off weigh as close (m/u 5): the hand model scores the
# pairs it scored before those levels existed as it did.
_M = {"exact": 0.85, "swapped": 0.02, "day_off": 0.03, "close": 0.1, "fuzzy": 0.03,
      "different": 0.02}
_U = {"exact": 0.01, "swapped": 0.004, "day_off": 0.006, "close": 0.02, "fuzzy": 0.07,
      "different": 0.9}

# Per field, the share of each level among namesakes alike as persons (another person
# of one name): the usual non-matches of a training file.
NAMESAKE_LEVELS = {"nom": {"exact": 0.6, "close": 0.2, "fuzzy": 0.2},
                   "prenom": {"exact": 0.7, "close": 0.2, "fuzzy": 0.1},
                   "date_naissance": {"different": 0.45, "fuzzy": 0.3, "close": 0.1, "exact": 0.02,
                                      "missing": 0.13},
                   "courriel": {"different": 0.6, "missing": 0.4},
                   "telephone": {"different": 0.6, "missing": 0.4},
                   "adresse": {"different": 0.6, "missing": 0.4},
                   "lieu": {"different": 0.9, "exact": 0.1}}


def with_every_level(document: dict[str, Any]) -> dict[str, Any]:
    """A model file's document (the shipped one's) as a file trained since holds it: the
    birth date's levels newer than the shipped file (day and month swapped, the day a
    digit off), each split off close, the level it replaced. No notice is then due."""
    for table in ("m", "u"):
        date = document[table]["date_naissance"]
        for level in ("swapped", "day_off"):
            if level not in date:
                date[level] = date["close"] / 4
                date["close"] -= date[level]
    return document


def person(**fields: Any) -> NormalisedRecord:
    """A normalised record; `id` defaults to "x"."""
    fields.setdefault("id", "x")
    return normalise_record(fields)


def training_records(count: int) -> list[NormalisedRecord]:
    """`count` records of a few names and many dates: enough for u by random pairs."""
    rng = random.Random(1)
    return [person(id=str(n), nom=rng.choice(["Martin", "Bernard", "Kerbrat", "Durand"]),
                   prenom=rng.choice(["Anne", "Jean", "Marie"]),
                   date_naissance=f"19{rng.randrange(40, 99)}-0{rng.randrange(1, 9)}-1{n % 9}")
            for n in range(count)]


def drawn_pattern(rng: random.Random, table: dict[str, dict[str, float]]) -> tuple[str, ...]:
    """One comparison pattern drawn from per-field level shares (fields in table order)."""
    return tuple(rng.choices(list(levels), list(levels.values()))[0] for levels in table.values())


def hand_model(tf: dict[str, dict[str, float]] | None = None) -> MatchModel:
    """A model with plausible m/u for every field, without training."""
    settings = default_settings()
    m, u = {}, {}
    for name in settings.comparisons:
        levels = COMPARISON_CLASSES[name].levels
        m[name] = {level: _M[level] for level in levels}
        u[name] = {level: _U[level] for level in levels}
    return MatchModel(
        settings, prior=0.05, m=m, u=u, tf=tf or {}, tf_floor={"nom": 1e-4, "prenom": 1e-4},
        u_random={"nom": {"exact": 0.002}, "prenom": {"exact": 0.01}},
    )
