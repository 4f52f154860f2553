"""Candidate pairs: every pair sharing a usable key, once; oversized blocks say too little."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from hub.domain.matching.blocking import blocking_keys, candidate_pairs
from hub.domain.matching.settings import default_settings
from tests.unit.matching.matching_factories import person

RULES = default_settings().blocking.rules

_rows = st.lists(st.fixed_dictionaries({
    "nom": st.sampled_from(["Martin", "Martain", "Kerbrat", "Durand", ""]),
    "prenom": st.sampled_from(["Anne", "Marie", "Jean", ""]),
    "date_naissance": st.sampled_from(["1980-05-12", "1980-12-05", "1975-01-02", ""]),
    "courriel": st.sampled_from(["a@free.fr", "b@free.fr", ""]),
    "code_postal": st.sampled_from(["63200", "15000", ""]),
}), max_size=25)


@settings(max_examples=100)
@given(_rows, st.integers(min_value=2, max_value=8))
def test_candidate_pairs_are_the_pairs_sharing_a_key_of_a_small_enough_block(rows, cap):
    records = [person(id=str(n), **row) for n, row in enumerate(rows)]
    keys = [set(blocking_keys(r, RULES)) for r in records]
    size = {key: sum(key in k for k in keys) for key in set().union(*keys)}
    expected = {(i, j) for i, j in itertools.combinations(range(len(records)), 2)
                if any(size[key] <= cap for key in keys[i] & keys[j])}
    found = list(candidate_pairs(records, RULES, cap))
    assert len(found) == len(set(found)) and set(found) == expected


def test_a_common_name_without_date_meets_its_duplicate_in_the_same_place():
    marie = person(nom="Martin", prenom="Marie", code_postal="63200")
    again = person(nom="MARTIN", prenom="marie", commune="Riom", code_postal="63200")
    assert {k for k in blocking_keys(marie, RULES) if k.startswith("noms_lieu:")} & set(
        blocking_keys(again, RULES))


def test_the_year_and_first_initial_block_a_common_name_with_a_mistyped_date():
    anne = person(nom="Martin", prenom="Anne", date_naissance="1980-05-12")
    typo = person(nom="Martin", prenom="Annie", date_naissance="1980-06-21")
    shared = set(blocking_keys(anne, RULES)) & set(blocking_keys(typo, RULES))
    assert any(k.startswith("nom_initiale_annee:") for k in shared)
