"""Whether a veto holds is learnt from pairs twins cannot inflate: those agreeing on a contact,
or else those whose addresses differ (a household shares its address)."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from hub.domain.matching.comparisons import build_comparisons
from hub.domain.matching.model import MatchModel
from hub.domain.matching.settings import default_settings
from hub.domain.matching.training import train
from tests.unit.matching.matching_factories import NAMESAKE_LEVELS, drawn_pattern, training_records

# Levels per comparison: nom, prenom, date_naissance, courriel, telephone, adresse, lieu.
_SAME_PERSON = {"nom": {"exact": 0.9, "close": 0.1},
                "prenom": {"exact": 0.85, "close": 0.14, "different": 0.01},
                "date_naissance": {"exact": 0.85, "close": 0.14, "different": 0.01},
                "courriel": {"exact": 0.5, "different": 0.1, "missing": 0.4},
                "telephone": {"exact": 0.5, "different": 0.1, "missing": 0.4},
                "adresse": {"exact": 0.7, "fuzzy": 0.1, "missing": 0.2},
                "lieu": {"exact": 0.9, "different": 0.1}}
# Twins at one address: one surname, one birth date, another first name, their own contacts.
_TWINS = {"nom": {"exact": 1.0}, "prenom": {"different": 1.0}, "date_naissance": {"exact": 1.0},
          "courriel": {"different": 0.5, "missing": 0.5},
          "telephone": {"different": 0.5, "missing": 0.5},
          "adresse": {"exact": 0.8, "missing": 0.2}, "lieu": {"exact": 1.0}}
_NAMESAKES = NAMESAKE_LEVELS

# Typo-heavy data with no contact at all (FEBRL): duplicates replace a first name.
_NO_CONTACT = {**_SAME_PERSON, "prenom": {"exact": 0.7, "close": 0.15, "different": 0.15},
               "courriel": {"missing": 1.0}, "telephone": {"missing": 1.0}}


def _patterns(mix: list[tuple[dict[str, dict[str, float]], int]], seed: int,
              ) -> Counter[tuple[str, ...]]:
    rng = random.Random(seed)
    fields = list(_SAME_PERSON)
    return Counter(drawn_pattern(rng, {f: table[f] for f in fields})
                   for table, pairs in mix for _ in range(pairs))


def _trained(mix: list[tuple[dict[str, dict[str, float]], int]]):
    settings = default_settings()
    model = train(training_records(300), _patterns(mix, seed=3), settings,
                  build_comparisons(settings.comparisons))
    return model, settings.decision.veto_max_m


def test_twins_counted_as_duplicates_by_em_do_not_lift_the_first_name_veto():
    model, bound = _trained([(_SAME_PERSON, 3_000), (_TWINS, 200), (_NAMESAKES, 6_000)])
    assert model.m["prenom"]["different"] > bound  # EM took the twins for duplicates
    assert "prenom" not in model.decision.lifted_vetoes
    assert model.decision.lifted_vetoes == ()
    assert MatchModel.from_json(model.to_json()).decision.lifted_vetoes == ()  # kept in the file


def test_duplicates_agreeing_on_a_contact_with_another_first_name_still_lift_the_veto():
    replaced = {**_SAME_PERSON, "prenom": {"exact": 0.7, "close": 0.15, "different": 0.15}}
    model, _bound = _trained([(replaced, 3_000), (_NAMESAKES, 6_000)])
    assert "prenom" in model.decision.lifted_vetoes


def test_without_contacts_duplicates_whose_addresses_differ_still_lift_the_veto():
    model, bound = _trained([(_NO_CONTACT, 3_000), (_NAMESAKES, 6_000)])
    assert model.m["prenom"]["different"] > bound
    assert "prenom" in model.decision.lifted_vetoes


# A French file without e-mails nor phones: duplicates keep their first name (a few moved),
# twins, brothers and sisters at one address are many (EM takes the twins for duplicates).
_FRENCH_NO_CONTACT = {**_SAME_PERSON, "courriel": {"missing": 1.0}, "telephone": {"missing": 1.0},
                      "adresse": {"exact": 0.75, "different": 0.05, "missing": 0.2}}
_TWINS_NO_CONTACT = {**_TWINS, "courriel": {"missing": 1.0}, "telephone": {"missing": 1.0}}
_SIBLINGS_NO_CONTACT = {**_TWINS_NO_CONTACT, "date_naissance": {"different": 0.7, "fuzzy": 0.3}}
# Typo-heavy data (FEBRL): duplicates retype the first name and the address alike, and
# the file holds no households.
_TYPO_HEAVY = {**_NO_CONTACT, "adresse": {"exact": 0.4, "close": 0.3, "fuzzy": 0.2,
                                          "different": 0.05, "missing": 0.05}}


def test_twins_heavy_file_without_contacts_does_not_lift_the_first_name_veto():
    model, bound = _trained([(_FRENCH_NO_CONTACT, 3_000), (_TWINS_NO_CONTACT, 250),
                             (_SIBLINGS_NO_CONTACT, 400), (_NAMESAKES, 6_000)])
    assert model.m["prenom"]["different"] > bound  # EM took the twins for duplicates
    assert "prenom" not in model.decision.lifted_vetoes
    assert MatchModel.from_json(model.to_json()).decision.lifted_vetoes == model.decision.lifted_vetoes


def test_typo_heavy_file_with_twin_like_pairs_still_lifts_the_first_name_veto():
    model, _bound = _trained([(_TYPO_HEAVY, 3_000), (_TWINS_NO_CONTACT, 100), (_NAMESAKES, 6_000)])
    assert "prenom" in model.decision.lifted_vetoes


def test_without_contacts_nor_duplicates_whose_addresses_differ_the_vetoes_hold():
    # Every pair EM counts shares its address or lacks one: nothing tells a retyped first
    # name from a twin's, whatever EM's m says.
    same_address = {**_NO_CONTACT, "adresse": {"exact": 0.8, "missing": 0.2},
                    "date_naissance": {"exact": 0.8, "close": 0.1, "different": 0.1}}
    model, bound = _trained([(same_address, 3_000), (_NAMESAKES, 6_000)])
    assert model.m["prenom"]["different"] > bound
    assert model.decision.lifted_vetoes == ()


# Typo-heavy data without households (FEBRL family): duplicates replace the first name
# and the birth date both, and move.
_REPLACING_BOTH = {**_TYPO_HEAVY, "date_naissance": {"exact": 0.75, "close": 0.1,
                                                     "different": 0.15}}


def test_where_every_veto_is_lifted_u_and_the_prior_are_those_of_random_pairs():
    """Every veto lifted (on the matches no household could
    have made): EM's u among candidates takes the most retyped duplicates for its non-match
    class; the u of random pairs holds, with the prior of a random pair beside it."""
    model, _bound = _trained([(_REPLACING_BOTH, 3_000), (_NAMESAKES, 6_000)])
    assert set(model.decision.lifted_vetoes) == {"prenom", "date_naissance"}
    assert model.training["u_paires_aleatoires_tous_vetos_leves"] is True
    for field, levels in model.u.items():
        assert levels == pytest.approx(model.u_random[field]), field
    # Its matches over every pair of the file, not over its 9,000 candidate pairs.
    records = len(training_records(300))
    assert model.prior <= 9_000 / (records * (records - 1) / 2)


def test_a_file_with_households_keeps_u_among_its_candidates():
    model, _bound = _trained([(_FRENCH_NO_CONTACT, 3_000), (_TWINS_NO_CONTACT, 250),
                             (_SIBLINGS_NO_CONTACT, 400), (_NAMESAKES, 6_000)])
    assert model.training["u_paires_aleatoires_tous_vetos_leves"] is False
    assert model.u["nom"] != pytest.approx(model.u_random["nom"])
