"""What goes to review: only pairs a coordinator can decide, and enough of them linked.

Hand-made records against the hand-set model (`matching_factories.hand_model`); the
online decision (`match_one`) and the batch's pattern scorer must say the same.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from hub.domain.matching.decision import Candidate, compatible, match_one, pair_kind
from hub.domain.matching.model import MatchModel
from hub.domain.matching.scoring import PatternScorer
from hub.domain.matching.settings import MatchingSettings, default_settings
from schemas.loader import validator
from tests.unit.matching.matching_factories import hand_model, person

HOME = {"nom": "Kerguelen", "adresse_ligne": "3 rue Haute", "code_postal": "63000"}


def _with(model: MatchModel, **decision: Any) -> MatchModel:
    settings = model.settings
    return dataclasses.replace(model, settings=dataclasses.replace(
        settings, decision=dataclasses.replace(settings.decision, **decision)))


def _kinds(model: MatchModel, new: dict[str, str], known: dict[str, str]) -> tuple[str, str]:
    """The online decision's kind and the batch scorer's, for one pair."""
    online = match_one(new, [Candidate("P1", known)], model).kind
    levels = tuple(t.level for t in model.score(person(**new), person(**known)).terms)
    return online, PatternScorer(model).judge(levels, person(**new), person(**known))[0]


def test_an_email_agreeing_is_the_personal_evidence_a_link_needs(model):
    """Surname, address and e-mail agree; the first name is missing on one side and no
    birth date is given: the e-mail is the person's own, so the pair links. Without a
    personal field agreeing (the same home, no e-mail), it does not."""
    known = dict(HOME, prenom="Jacqueline", courriel="jacqueline.k@free.fr")
    unnamed = dict(HOME, courriel="jacqueline.k@free.fr")
    assert _kinds(model, unnamed, known) == ("link", "link")
    assert _kinds(model, dict(HOME), known)[0] != "link"
    household_only = _with(model, personal_fields=("prenom", "date_naissance"),
                           review_needs_personal=False)
    assert _kinds(household_only, unnamed, known) == ("review", "review")


def test_a_pair_with_nothing_personal_agreeing_is_another_person_not_a_review(model):
    """Same surname and home, no first name, birth date, e-mail or phone agreeing: a
    household member or a namesake, nothing for a coordinator to decide on. A phone
    agreeing keeps it a question; where the model lifts every veto (typo-heavy files
    replace first names and dates), so does the rest."""
    asking = _with(model, review_needs_personal=True)
    augustin = dict(HOME, prenom="Augustin", date_naissance="1989-08-16")
    unnamed = dict(HOME)
    assert _kinds(_with(model, review_needs_personal=False), unnamed, augustin) == (
        "review", "review")
    assert _kinds(asking, unnamed, augustin) == ("new", "new")
    same_phone = dict(augustin, telephone="0612345678")
    assert _kinds(asking, dict(unnamed, telephone="0612345678"), same_phone) == (
        "review", "review")
    lifted = dataclasses.replace(asking, m={**asking.m, **{
        field: {**asking.m[field], "different": 0.15} for field in ("prenom", "date_naissance")}})
    assert set(lifted.decision.lifted_vetoes) == {"prenom", "date_naissance"}
    assert _kinds(lifted, unnamed, augustin)[0] != "new"


def test_names_and_a_place_alone_go_to_review_only_above_their_own_bound():
    """Surname, first name and postcode only: MARTIN Marie (common names, the frequency
    tables say) scores 0.9991, KERGUELEN Anne (rare) 0.99999998. Under a bound of 0.9999
    for such thin pairs, the common names are namesakes as often as not ("new"), the
    rare ones a question; neither links. A pair with a strong field agreeing keeps the
    plain review threshold."""
    model = _with(hand_model(tf={"nom": {"MARTIN": 0.02}, "prenom": {"MARIE": 0.03}}),
                  thin_review_probability=0.9999, thin_link_probability=None)
    common = {"nom": "Martin", "prenom": "Marie", "code_postal": "63000"}
    rare = {"nom": "Kerguelen", "prenom": "Anne", "code_postal": "63000"}
    assert 0.999 < model.score(person(**common), person(**common)).probability < 0.9999
    assert _kinds(model, common, common) == ("new", "new")
    assert _kinds(model, rare, rare) == ("review", "review")
    plain = _with(model, thin_review_probability=None)
    assert _kinds(plain, common, common) == ("review", "review")
    phoned = dict(common, telephone="0612345678")
    typed = {"nom": "Martin", "code_postal": "63000", "telephone": "0612345679"}
    explanation = model.score(person(**typed), person(**phoned))
    assert explanation.level_of("telephone") == "close"
    assert 0.6 < explanation.probability < 0.9999
    assert pair_kind(explanation, model.decision) == "review"


def test_clusters_keep_their_own_bound_when_the_review_band_is_narrowed():
    """A pair scoring between the cluster bound and a raised review threshold is not
    worth a review ("new"), yet it does not split a cluster linked by other pairs."""
    common = hand_model(tf={"nom": {"MARTIN": 0.02}})
    narrowed = _with(common, link_probability=0.995, review_probability=0.99,
                     cluster_probability=0.6)
    martin = person(nom="Martin", code_postal="63000")
    explanation = narrowed.score(martin, martin)
    assert 0.6 <= explanation.probability < 0.99
    assert pair_kind(explanation, narrowed.decision) == "new"
    assert compatible(explanation, narrowed.decision)
    assert not compatible(explanation, _with(narrowed, cluster_probability=None,
                                             cluster_evidence_bits=None).decision)


def test_a_first_name_veto_yields_where_the_settings_say_e_mail_and_birth_date_agreeing(model):
    """Alsx (Alex mistyped) for Alexandre: another first name, yet the same e-mail and
    birth date. Where the settings let the first-name veto yield to those two (the shipped
    ones do), the pair links (online and in the batch's scorer); with the birth date
    missing, or where they do not, the veto holds and a human decides. The birth date's
    own veto never yields to itself. Masnu (Manu mistyped) for Emmanuel, another initial,
    reads like twins sharing a family e-mail: the veto holds, a human decides."""
    alexandre = dict(HOME, prenom="Alexandre", date_naissance="1961-06-10",
                     courriel="alexandre.r@yahoo.fr")
    alex = dict(alexandre, prenom="Alsx")  # Alex mistyped
    yielding = _with(model, veto_yields_to=("courriel", "date_naissance"))
    assert _kinds(_with(model, veto_yields_to=()), alex, alexandre) == ("review", "review")
    assert _kinds(yielding, alex, alexandre) == ("link", "link")
    undated = dict(alex, date_naissance="")
    assert _kinds(yielding, undated, alexandre) == ("review", "review")
    born_else = dict(alexandre, date_naissance="1975-01-30")
    assert _kinds(yielding, born_else, alexandre)[0] != "link"
    emmanuel = dict(alexandre, prenom="Emmanuel", courriel="emmanuel.r@yahoo.fr")
    assert _kinds(yielding, dict(emmanuel, prenom="Masnu"), emmanuel) == ("review", "review")


def test_twins_with_no_contact_given_are_another_person_where_the_settings_ask_a_contact(model):
    """Same surname, birth date and home, another first name, no e-mail or phone on a
    side: twins as often as not, and nothing of their own for a coordinator to decide
    on. Where the settings ask a contact agreeing for a vetoed pair's review, "new";
    a phone agreeing keeps the question."""
    anne = dict(HOME, prenom="Anne", date_naissance="1980-05-12")
    louise = dict(anne, prenom="Louise")
    asking = _with(model, veto_review_needs_contact=True)
    assert _kinds(_with(model, veto_review_needs_contact=False), louise, anne) == (
        "review", "review")
    assert _kinds(asking, louise, anne) == ("new", "new")
    phoned = dict(anne, telephone="0612345678")
    assert _kinds(asking, dict(louise, telephone="0612345678"), phoned) == ("review", "review")


def test_the_review_settings_are_read_and_written_in_french():
    doc = default_settings().to_dict()
    doc["decision"].update({"champs_personnels": ["prenom"], "revue_exige_champ_personnel": True,
                            "probabilite_revue_sans_identifiant": 0.999,
                            "probabilite_min_groupe": 0.5, "poids_min_groupe": 1.5,
                            "veto_cede_a": ["courriel", "date_naissance"],
                            "revue_veto_exige_contact": True})
    decision = MatchingSettings.from_dict(doc).decision
    assert decision.personal_fields == ("prenom",)
    assert decision.review_needs_personal is True
    assert (decision.thin_review_probability, decision.cluster_probability) == (0.999, 0.5)
    assert decision.cluster_evidence_bits == 1.5
    assert decision.veto_yields_to == ("courriel", "date_naissance")
    assert decision.veto_review_needs_contact is True
    assert MatchingSettings.from_dict(doc).to_dict() == doc


def _may_share_a_cluster(model: MatchModel, a: dict[str, str], b: dict[str, str]) -> tuple[
        bool, bool]:
    """`compatible` for the online matcher and the batch scorer's answer, for one pair."""
    explanation = model.score(person(**a), person(**b))
    levels = tuple(t.level for t in explanation.terms)
    return (compatible(explanation, model.decision),
            PatternScorer(model).judge(levels, person(**a))[2])


def test_two_fiches_of_one_cluster_stay_together_where_their_fields_weigh_for_one_person():
    """Records of a cluster reach each other through their links; two of them may hold
    too little to score high alone (a common name, a commune changed, nothing else), the
    prior of a random candidate pair drawing them down. Inside a cluster that prior is not
    theirs: they stay together where their own fields weigh for one person
    (`poids_min_groupe` bits without the prior), not where they weigh against it (names
    alike, e-mail and phone both different) nor under a veto."""
    common = hand_model(tf={"nom": {"MARTIN": 0.02}, "prenom": {"ANNE": 0.02}})
    anne = {"nom": "Martin", "prenom": "Anne", "code_postal": "63000"}
    moved = dict(anne, code_postal="15100")
    assert common.score(person(**moved), person(**anne)).probability < 0.6
    by_probability = _with(common, cluster_evidence_bits=None)
    by_evidence = _with(common, cluster_evidence_bits=0.0)
    assert _may_share_a_cluster(by_probability, moved, anne) == (False, False)
    assert _may_share_a_cluster(by_evidence, moved, anne) == (True, True)
    contacts = dict(anne, courriel="anne.m@free.fr", telephone="0612345678")
    other = {"nom": "Martinn", "prenom": "Annne", "courriel": "a.martin@orange.fr",
             "telephone": "0698765432"}
    assert _may_share_a_cluster(by_evidence, other, contacts) == (False, False)
    sister = dict(anne, prenom="Louise", date_naissance="1980-05-12")
    assert _may_share_a_cluster(by_evidence, sister, dict(anne, date_naissance="1980-05-12")
                                ) == (False, False)


def test_in_typo_heavy_data_a_cluster_holds_a_retyping_that_weighs_a_little_against_one_person():
    """Where the model lifts every veto (duplicates replace first names and birth dates
    often), a record retyped with a surname, a street and a place of its own holds little
    of another retyping of the same person, each linked to a third: its fields weigh a
    little against one person (a few bits here), which splits the cluster under
    `poids_min_groupe` (0) and keeps it under `poids_min_groupe_sans_veto` (-12).
    Never where a veto is kept (French households), nor for birth dates years apart or
    two first names (twins, a father and his son: a French file without contacts may lift
    both vetoes too); the online matcher (`compatible`) and the batch scorer say the same."""
    typo_heavy = _with(hand_model(), veto_max_m=0.0, cluster_evidence_bits=0.0,
                       unvetoed_cluster_evidence_bits=-12.0)
    assert typo_heavy.decision.lifted_vetoes == ("prenom", "date_naissance")
    anne = {"nom": "Kerbrat", "prenom": "Anne", "adresse_ligne": "3 rue Haute",
            "code_postal": "63000", "date_naissance": "1980-05-12"}
    retyped = {"nom": "Dupont", "prenom": "Anne", "adresse_ligne": "9 avenue Foch",
               "code_postal": "15100", "date_naissance": "1980-12-05"}  # day, month exchanged
    explanation = typo_heavy.score(person(**anne), person(**retyped))
    assert -12 < explanation.total_weight - explanation.prior_weight < 0
    assert _may_share_a_cluster(typo_heavy, anne, retyped) == (True, True)
    assert _may_share_a_cluster(_with(typo_heavy, unvetoed_cluster_evidence_bits=None),
                                anne, retyped) == (False, False)
    vetoes_kept = _with(typo_heavy, veto_max_m=1.0)
    assert _may_share_a_cluster(vetoes_kept, anne, retyped) == (False, False)
    years_apart = dict(retyped, date_naissance="1955-11-03")
    assert _may_share_a_cluster(typo_heavy, anne, years_apart) == (False, False)
    twin = {"nom": "Kerbrat", "prenom": "Lucie", "code_postal": "15100"}
    evidence = typo_heavy.score(person(**anne), person(**twin))
    assert -12 < evidence.total_weight - evidence.prior_weight < 0
    assert _may_share_a_cluster(typo_heavy, anne, twin) == (False, False)


def test_a_fiche_joins_a_porteur_whose_other_retyping_weighs_a_little_against_it_online():
    """The online decision asks the same of every fiche of the porteur it would join: a
    new fiche linked to one of them joins where the other weighs only a little against
    it in typo-heavy data, and goes to review where a veto is kept."""
    typo_heavy = _with(hand_model(), veto_max_m=0.0, cluster_evidence_bits=0.0,
                       unvetoed_cluster_evidence_bits=-12.0)
    new = {"nom": "Kerbrat", "prenom": "Anne", "adresse_ligne": "3 rue Haute",
           "code_postal": "63000", "date_naissance": "1980-05-12"}
    porteur = [Candidate("P1", {**new, "adresse_ligne": "3 rue Hautte"}),
               Candidate("P1", {"nom": "Dupont", "prenom": "Anne", "date_naissance": "1980-12-05",
                                "adresse_ligne": "9 avenue Foch", "code_postal": "15100"})]
    for model, kind in ((typo_heavy, "link"), (_with(typo_heavy, veto_max_m=1.0), "review")):
        assert match_one(new, porteur, model).kind == kind
        assert PatternScorer(model).match_one(new, porteur) == match_one(new, porteur, model)


@pytest.mark.parametrize("bits", [-61, 0.5, True, "-3"])
def test_the_cluster_bound_of_typo_heavy_data_is_refused_out_of_its_bounds(bits):
    """Bits in [-60, poids_min_groupe]: above it, data whose vetoes are lifted would be
    held to more than the others."""
    doc = default_settings().to_dict()
    doc["decision"].update({"poids_min_groupe": 0.0, "poids_min_groupe_sans_veto": bits})
    with pytest.raises(ValueError, match="poids_min_groupe_sans_veto"):
        MatchingSettings.from_dict(doc)


def test_the_cluster_bound_of_typo_heavy_data_is_read_and_written_in_french():
    doc = default_settings().to_dict()
    doc["decision"]["poids_min_groupe_sans_veto"] = -7.5
    decision = MatchingSettings.from_dict(doc).decision
    assert decision.unvetoed_cluster_evidence_bits == -7.5
    assert MatchingSettings.from_dict(doc).to_dict() == doc
    assert validator("matching_settings").errors(doc) == []


def test_in_typo_heavy_data_a_missing_birth_date_holds_a_pair_to_the_plain_cluster_bound():
    """The lower bound holds only a pair whose first name and birth date are both given,
    none plainly different and one agreeing: a date missing on a side says nothing for one
    person. Marie MARTIN born 1980-05-12 at Riom, and another Marie MARTIN of that date
    at B's address, linked to Marie MOREAU (no date) living there: Marie MOREAU and the
    first weigh -4.7 bits against one person, and a chain would merge two people."""
    typo_heavy = _with(hand_model(), veto_max_m=0.0, cluster_evidence_bits=0.0,
                       unvetoed_cluster_evidence_bits=-12.0)
    riom = {"nom": "Martin", "prenom": "Marie", "date_naissance": "1980-05-12",
            "adresse_ligne": "3 rue Haute", "code_postal": "63200", "commune": "Riom"}
    moreau = {"nom": "Moreau", "prenom": "Marie", "adresse_ligne": "12 avenue Foch",
              "code_postal": "15000", "commune": "Aurillac"}
    evidence = typo_heavy.score(person(**riom), person(**moreau))
    assert -12 < evidence.total_weight - evidence.prior_weight < 0
    assert _may_share_a_cluster(typo_heavy, riom, moreau) == (False, False)
    dated = dict(moreau, date_naissance="1980-12-05")  # day and month exchanged
    assert _may_share_a_cluster(typo_heavy, riom, dated) == (True, True)


def test_names_and_a_place_link_from_their_own_link_bound_where_nothing_differs():
    """A fiche holding names and a postcode only (no date, no address, no contact: a
    member's thin record of someone met once) against a full one: KERGUELEN Anne, rare
    names, scores above the thin link bound and links, online and in the batch, when
    every field given on both sides agrees. MARTIN Marie (common names) stays under it.
    Another street on a side, or no thin link bound (older settings), and it does not
    link; nor where the first name is missing (the surname and the home are a
    household's)."""
    model = _with(hand_model(tf={"nom": {"MARTIN": 0.02}, "prenom": {"MARIE": 0.03}}),
                  thin_review_probability=0.999, thin_link_probability=0.9999)
    rare = {"nom": "Kerguelen", "prenom": "Anne", "code_postal": "63000"}
    full = dict(rare, date_naissance="1971-04-02", adresse_ligne="3 rue Haute")
    assert _kinds(model, rare, full) == ("link", "link")
    common = {"nom": "Martin", "prenom": "Marie", "code_postal": "63000"}
    assert _kinds(model, common, dict(common, date_naissance="1971-04-02"))[0] != "link"
    moved = dict(rare, adresse_ligne="12 avenue Foch")
    assert _kinds(model, moved, full) == ("review", "review")
    assert _kinds(_with(model, thin_link_probability=None), rare, full) == ("review", "review")
    unnamed = {"nom": "Kerguelen", "code_postal": "63000"}
    assert _kinds(model, unnamed, full)[0] != "link"


def test_a_thin_fiche_matching_two_people_of_one_name_goes_to_review():
    """Father and son, KERGUELEN Yann at one address, born 1958 and 1988: a fiche with
    the name and the postcode only links to neither alone (online: two porteurs linked)."""
    model = _with(hand_model(), thin_review_probability=0.999, thin_link_probability=0.9999)
    father = {"nom": "Kerguelen", "prenom": "Yann", "code_postal": "63000",
              "date_naissance": "1958-03-01", "adresse_ligne": "3 rue Haute"}
    son = dict(father, date_naissance="1988-06-11")
    thin_fiche = {"nom": "Kerguelen", "prenom": "Yann", "code_postal": "63000"}
    decision = match_one(thin_fiche, [Candidate("P1", father), Candidate("P2", son)], model)
    assert decision.kind == "review"


def test_a_first_name_only_close_never_links_on_names_and_a_place():
    """MOREL Marine, an address, no date, against MOREL Martine born 1957, no address,
    in one commune: sisters as likely as one person retyped. Names and a place link only
    with the first name the same; close, the pair stays short of a link."""
    model = _with(hand_model(), thin_review_probability=0.999, thin_link_probability=0.9999)
    marine = {"nom": "Kerguelen", "prenom": "Marine", "code_postal": "63000",
              "adresse_ligne": "3 rue Haute"}
    martine = {"nom": "Kerguelen", "prenom": "Martine", "code_postal": "63000",
               "date_naissance": "1957-04-19"}
    assert model.score(person(**marine), person(**martine)).level_of("prenom") == "close"
    assert _kinds(model, marine, martine)[0] != "link"
    assert _kinds(model, dict(marine, prenom="Martine"), martine) == ("link", "link")
