"""Factories for the matching tests: records and a hand-set model."""

from __future__ import annotations

from typing import Any

from hub.domain.matching.comparisons import COMPARISON_CLASSES
from hub.domain.matching.model import MatchModel
from hub.domain.matching.record import NormalisedRecord, normalise_record
from hub.domain.matching.settings import default_settings

_M = {"exact": 0.85, "close": 0.1, "fuzzy": 0.03, "different": 0.02}
_U = {"exact": 0.01, "close": 0.02, "fuzzy": 0.07, "different": 0.9}


def person(**fields: Any) -> NormalisedRecord:
    """A normalised record; `id` defaults to "x"."""
    fields.setdefault("id", "x")
    return normalise_record(fields)


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
