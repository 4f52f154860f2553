"""The classes of `bench/dedup_lost_pairs.py`: why a true pair ended in two clusters."""

from __future__ import annotations

import dataclasses

from bench.dedup_lost_pairs import loss_class
from hub.domain.matching.decision import pair_kind
from hub.domain.matching.model import RANDOM_PAIR_U
from tests.unit.matching.matching_factories import person


def test_names_and_a_place_between_the_link_threshold_and_the_thin_bound_say_so(model):
    """Where every veto is lifted (u of random pairs), names and a place link only from
    the thin review bound up: a pair between the link threshold and it is lost to that
    bound, not to a lack of evidence."""
    lifted = dataclasses.replace(
        model, veto_m={}, training={**model.training, RANDOM_PAIR_U: True},
        m={**model.m, **{field: {**model.m[field], "different": 0.15}
                         for field in ("prenom", "date_naissance")}})
    here = {"nom": "Kerguelen", "prenom": "Anne", "code_postal": "63000"}
    explanation = lifted.score(person(**dict(here, nom="Kerguelenn", prenom="Annie")),
                               person(**here))
    settings = lifted.decision
    assert settings.link_probability <= explanation.probability < settings.thin_review()
    assert pair_kind(explanation, settings) == "new"
    assert loss_class(explanation, settings) == "new: p >= link threshold, below the thin link bound"
