"""The shipped default policy, rule by rule (examples/policy.json)."""

from __future__ import annotations

import pytest

from hub.domain.policy import PURPOSES, ROLES

IDENTITY = {"porteur.nom", "porteur.nom_naissance", "porteur.prenom", "porteur.date_naissance"}
CONTACT = {"porteur.courriel", "porteur.telephone", "porteur.adresse.ligne",
           "porteur.adresse.code_postal", "porteur.adresse.commune", "porteur.adresse.code_insee"}
AMOUNTS = {"financement.besoin_total", "financement.apport", "financement.pret_honneur",
           "financement.microcredit", "financement.subventions"}
NOTES = "accompagnement[].notes"
GRANTED = [(role, purpose) for role in ROLES for purpose in PURPOSES]


def seen(policy, role, purpose, is_referent=False):
    return policy.role_policy(role, purpose).allowed(is_referent)


def test_accueil_sees_contact_and_needs_but_no_funding_amounts(policy):
    allowed = seen(policy, "accueil", "orientation")
    assert allowed >= CONTACT
    assert {"projet.besoins", "projet.stade", "projet.intitule"} <= allowed
    assert not AMOUNTS & allowed


def test_accueil_never_sees_funding_amounts_for_any_purpose(policy):
    for purpose in ("orientation", "accompagnement", "financement"):
        assert not AMOUNTS & seen(policy, "accueil", purpose, is_referent=True)


def test_financement_sees_the_funding_plan_for_funding(policy):
    allowed = seen(policy, "financement", "financement")
    assert allowed >= AMOUNTS | IDENTITY | CONTACT


def test_funding_plan_is_not_disclosed_for_mere_orientation(policy):
    for role in ROLES:
        assert not AMOUNTS & seen(policy, role, "orientation", is_referent=True)


@pytest.mark.parametrize(("role", "purpose"), GRANTED)
def test_free_text_notes_go_only_to_the_referents_structure(policy, role, purpose):
    assert NOTES not in seen(policy, role, purpose, is_referent=False)


def test_the_referents_structure_sees_notes_when_supporting_or_funding(policy):
    assert NOTES in seen(policy, "accompagnement", "accompagnement", is_referent=True)
    assert NOTES in seen(policy, "financement", "financement", is_referent=True)
    assert NOTES not in seen(policy, "accueil", "orientation", is_referent=True)


@pytest.mark.parametrize("role", ROLES)
def test_statistics_see_no_identity_nor_contact(policy, role):
    allowed = seen(policy, role, "statistiques", is_referent=True)
    assert allowed, "each role has a statistics rule"
    assert not (IDENTITY | CONTACT) & allowed
    assert not {"fiche_id", "projet.siret", "projet.intitule", "projet.description",
                "accompagnement[].referent", "accompagnement[].parrain", NOTES} & allowed


@pytest.mark.parametrize(("role", "purpose"), [("accueil", "financement"),
                                               ("accueil", "accompagnement"),
                                               ("coordination", "financement"),
                                               ("financement", "accompagnement")])
def test_a_pair_no_rule_names_sees_nothing(policy, role, purpose):
    assert seen(policy, role, purpose, is_referent=True) == frozenset()


def test_an_unknown_role_or_purpose_sees_nothing(policy):
    assert seen(policy, "direction", "orientation", is_referent=True) == frozenset()
    assert seen(policy, "accueil", "prospection", is_referent=True) == frozenset()


@pytest.mark.parametrize(("role", "purpose"), GRANTED)
def test_the_referent_sees_at_least_what_anyone_of_the_role_sees(policy, role, purpose):
    rule = policy.role_policy(role, purpose)
    assert rule.for_anyone <= rule.for_referent
    assert rule.for_referent - rule.for_anyone <= {NOTES}
