"""Link / review / new: thin records never auto-link, chains go to review, twins too."""

from __future__ import annotations

import dataclasses

from hub.domain.matching.cluster import cluster
from hub.domain.matching.decision import (
    Candidate,
    compatible,
    match_one,
    pair_kind,
    record_blocking_keys,
)
from hub.domain.matching.model import RANDOM_PAIR_U, default_model
from hub.domain.matching.scoring import PatternScorer
from tests.unit.matching.matching_factories import person

ANNE = {"nom": "Kerguelen", "prenom": "Anne", "date_naissance": "1980-05-12",
        "courriel": "anne.k@free.fr", "telephone": "0612345678", "code_postal": "63000"}


def test_the_same_person_typed_twice_is_linked(model):
    typed_again = dict(ANNE, nom="KERGUELEN", prenom="anne", date_naissance="12/05/1980")
    decision = match_one(typed_again, [Candidate("P1", ANNE)], model)
    assert (decision.kind, decision.porteur_id) == ("link", "P1")
    assert decision.explanation is not None and decision.explanation.level_of("nom") == "exact"


def test_a_first_name_alone_never_auto_links(model):
    thin = {"prenom": "Anne"}
    assert pair_kind(model.score(person(**thin), person(**thin)), model.settings.decision) != (
        "link")
    decision = match_one(thin, [Candidate("P1", thin), Candidate("P2", ANNE)], model)
    assert decision.kind != "link"


def test_names_and_a_commune_without_any_strong_identifier_link_only_from_their_own_bound(
        model):
    """Without a thin link bound (the shipped settings: such a link could bridge two
    namesakes, issue 16) names and a postcode never link; with it, only at or above it
    (`test_matching_review_band` for common names)."""
    left = {"nom": "Kerguelen", "prenom": "Anne", "code_postal": "63000"}
    assert model.decision.thin_link_probability is None
    assert match_one(left, [Candidate("P1", left)], model).kind != "link"
    bound = dataclasses.replace(model, settings=dataclasses.replace(
        model.settings, decision=dataclasses.replace(
            model.settings.decision, thin_link_probability=0.99)))
    decision = match_one(left, [Candidate("P1", left)], bound)
    assert decision.kind == "link"
    assert decision.score >= 0.99


def test_twins_sharing_name_birth_date_and_address_go_to_review_at_most(model):
    twin = dict(ANNE, prenom="Louise", courriel="", telephone="")
    decision = match_one(twin, [Candidate("P1", dict(ANNE, courriel="", telephone=""))], model)
    assert decision.kind in {"review", "new"}


def test_a_sister_is_not_linked_through_her_brothers_initials(model):
    """Jeanne against J.-L. (Jean-Luc), one surname, birth date and commune, no contact."""
    home = dict(ANNE, courriel="", telephone="")
    decision = match_one(dict(home, prenom="Jeanne"), [Candidate("P1", dict(home, prenom="J.-L."))],
                         model)
    assert decision.kind != "link"


def test_twins_are_not_linked_when_one_has_the_names_exchanged(model):
    """Louis Martin typed surname first (LOUIS | Martin) against his sister Louise MARTIN:
    read exchanged, LOUIS meets LOUISE in the surname's place, still a feminine form."""
    home = {"date_naissance": "1990-03-04", "code_postal": "63600", "commune": "Ambert"}
    for him, her in ((("Louis", "Martin"), ("Martin", "Louise")),
                     (("Jean", "Simon"), ("Simon", "Jeanne")),
                     (("Michel", "Denis"), ("Denis", "Michelle"))):
        left = dict(home, nom=him[0], prenom=him[1])
        right = dict(home, nom=her[0], prenom=her[1])
        for one, other in ((left, right), (right, left)):
            decision = match_one(one, [Candidate("P1", other)], model)
            assert decision.kind != "link", (one, other, decision.kind)


def test_a_record_matching_two_porteurs_goes_to_review(model):
    decision = match_one(ANNE, [Candidate("P1", ANNE), Candidate("P2", ANNE)], model)
    assert decision.kind == "review"
    assert decision.conflicts in {("P1",), ("P2",)}


def test_a_stranger_is_a_new_porteur(model):
    stranger = {"nom": "Petit", "prenom": "Marc", "date_naissance": "1955-01-30",
                "courriel": "marc@orange.fr", "telephone": "0798765432", "code_postal": "15000"}
    assert match_one(stranger, [Candidate("P1", ANNE)], model).kind == "new"
    assert match_one(stranger, [], model).kind == "new"


def test_blocking_keys_are_stable_strings_shared_by_variants(model):
    keys = record_blocking_keys(ANNE, model)
    variant = record_blocking_keys(dict(ANNE, nom="Kerguélen", courriel=""), model)
    assert keys and all(isinstance(key, str) for key in keys)
    assert set(keys) & set(variant)
    married = record_blocking_keys({"nom": "Durand", "nom_naissance": "Kerguelen",
                                    "prenom": "Anne", "date_naissance": "1980-05-12"}, model)
    assert set(married) & set(keys)


def test_a_chain_a_b_c_with_a_unlike_c_is_not_merged_but_sent_to_review():
    links = [(0, 1, 0.999), (1, 2, 0.998)]
    result = cluster(3, links, lambda i, j: {i, j} != {0, 2}, max_group_size=30)
    assert result.review_groups == [(0, 1, 2)]
    assert result.labels[0] != result.labels[2]
    assert result.labels[0] == result.labels[1]


def test_a_coherent_triangle_is_one_cluster():
    links = [(0, 1, 0.999), (1, 2, 0.999)]
    result = cluster(4, links, lambda i, j: True, max_group_size=30)
    assert result.labels == [0, 0, 0, 3] and result.review_groups == []


def test_a_component_larger_than_the_bound_goes_to_review():
    links = [(i, i + 1, 0.999) for i in range(5)]
    result = cluster(6, links, lambda i, j: True, max_group_size=4)
    assert result.review_groups == [(0, 1, 2, 3, 4, 5)]


def test_a_first_name_veto_is_lifted_where_the_model_learnt_duplicates_often_replace_it(model):
    retyped = dict(ANNE, prenom="Louise", courriel="")  # no e-mail: the veto holds
    assert model.decision.lifted_vetoes == ()
    assert match_one(retyped, [Candidate("P1", ANNE)], model).kind != "link"
    m = {**model.m, "prenom": {"exact": 0.7, "close": 0.1, "fuzzy": 0.05, "different": 0.15}}
    replaced = dataclasses.replace(model, m=m)
    assert replaced.decision.lifted_vetoes == ("prenom",)
    assert match_one(retyped, [Candidate("P1", ANNE)], replaced).kind == "link"
    # the birth date keeps its veto: its m of "different" stays below the bound
    born_else = dict(ANNE, date_naissance="1975-01-30")
    assert match_one(born_else, [Candidate("P1", ANNE)], replaced).kind != "link"


def test_namesakes_with_another_email_and_another_phone_never_auto_link():
    """A rare first name, a close surname and a birth date one transposition away, but
    e-mail and phone both different: a human decides (the shipped model linked such
    generated porteurs)."""
    from hub.domain.matching import default_model

    model = default_model()
    left = {"nom": "Roularker", "prenom": "Marie-Hélène", "date_naissance": "1951-10-25",
            "courriel": "roularker.55731@exemple.fr", "telephone": "06 16 44 57 19",
            "adresse_ligne": "349 rue des Roularker", "code_postal": "63600", "commune": "Ambert"}
    right = {"nom": "Lougarker", "prenom": "Marie-Hélène", "date_naissance": "1951-01-25",
             "courriel": "lougarker.15428@exemple.fr", "telephone": "06 11 36 47 34",
             "adresse_ligne": "205 rue des Lougarker", "code_postal": "63600", "commune": "Ambert"}
    assert match_one(left, [Candidate("P1", right)], model).kind != "link"
    same_phone = dict(right, telephone=left["telephone"])
    assert match_one(left, [Candidate("P1", same_phone)], model).kind == "link"


def test_the_shipped_veto_bound_lifts_a_birth_date_replaced_as_often_as_in_febrl_data():
    """FEBRL-like data replace a duplicate's birth date in ~3.5 % of cases (trained m of
    'different'): the date then weighs in the score instead of vetoing; the French
    population (~2 %: parents, twins, a household) keeps the veto. FEBRL has no contact:
    no m among matches agreeing on one (`veto_m`), the veto follows m."""
    from hub.domain.matching import default_model

    shipped = dataclasses.replace(default_model(), veto_m={})
    date_m = {"exact": 0.93, "close": 0.01, "fuzzy": 0.01}
    replaced = dataclasses.replace(shipped, m={**shipped.m, "date_naissance": {
        **date_m, "different": 0.036}})
    french = dataclasses.replace(shipped, m={**shipped.m, "date_naissance": {
        **date_m, "different": 0.021}})
    assert "date_naissance" in replaced.decision.lifted_vetoes
    assert "date_naissance" not in french.decision.lifted_vetoes
    born_else = dict(ANNE, date_naissance="1975-01-30", adresse_ligne="3 rue Haute")
    same = dict(ANNE, adresse_ligne="3 rue Haute")
    assert match_one(born_else, [Candidate("P1", same)], french).kind != "link"
    assert match_one(born_else, [Candidate("P1", same)], replaced).kind == "link"


def test_a_similar_street_with_another_number_is_evidence_only_where_the_model_weighs_it_so():
    """Names, first name and postcode agree, the street is alike with another number and
    nothing else is given. Where the trained model weighs that fuzzy address as strong
    evidence (FEBRL-like data: m/u >= 2**5), it is the strong identifier an auto-link
    needs, in the online decision and in the batch's pattern scorer alike; where
    neighbours share streets (the shipped French model), it is not."""
    from hub.domain.matching import default_model

    shipped = default_model()
    assert shipped.decision.fuzzy_evidence_bits == 5.0
    here = {"nom": "Prideaux", "prenom": "Nicholas", "adresse_ligne": "34 hicks street",
            "code_postal": "5011"}
    there = dict(here, adresse_ligne="43 hicks streeet")
    assert shipped.score(person(**here), person(**there)).level_of("adresse") == "fuzzy"
    assert shipped.level_weight("adresse", "fuzzy") < 5.0
    assert match_one(here, [Candidate("P1", there)], shipped).kind != "link"
    # A level weighs no more than the better one (`model._never_above_the_better`): a
    # street spelt closely weighs at least as much there.
    u = {**shipped.u["adresse"], "fuzzy": shipped.m["adresse"]["fuzzy"] / 2**6,
         "close": shipped.m["adresse"]["close"] / 2**6}
    typo_heavy = dataclasses.replace(shipped, u={**shipped.u, "adresse": u})
    assert typo_heavy.level_weight("adresse", "fuzzy") >= 5.0
    decision = match_one(here, [Candidate("P1", there)], typo_heavy)
    assert decision.kind == "link"
    levels = tuple(t.level for t in decision.explanation.terms)
    assert PatternScorer(typo_heavy).judge(levels, person(**here))[0] == "link"
    off = dataclasses.replace(typo_heavy, settings=dataclasses.replace(
        typo_heavy.settings, decision=dataclasses.replace(
            typo_heavy.settings.decision, fuzzy_evidence_bits=None)))
    assert match_one(here, [Candidate("P1", there)], off).kind != "link"


def test_where_the_model_lifts_every_veto_no_personal_field_is_required_to_link(model):
    """A duplicate whose first name and birth date were both replaced, with surname,
    e-mail and postcode agreeing: where the model learnt that duplicates replace both
    (typo-heavy files), it links; where it keeps either veto (the French population,
    households), it does not."""
    replaced = dict(ANNE, prenom="Louise", date_naissance="1975-01-30", telephone="")
    assert match_one(replaced, [Candidate("P1", ANNE)], model).kind != "link"
    typo_heavy = _lifting(model, "prenom", "date_naissance")
    lifted_m = typo_heavy.m
    assert set(typo_heavy.decision.lifted_vetoes) == {"prenom", "date_naissance"}
    assert match_one(replaced, [Candidate("P1", ANNE)], typo_heavy).kind == "link"
    only_first_name = dict(lifted_m, date_naissance=model.m["date_naissance"])
    one_lifted = dataclasses.replace(model, m=only_first_name)
    assert one_lifted.decision.lifted_vetoes == ("prenom",)
    assert match_one(replaced, [Candidate("P1", ANNE)], one_lifted).kind != "link"


TWIN_HOME = {"nom": "Kerguelen", "date_naissance": "1980-05-12",
             "adresse_ligne": "3 rue Haute", "code_postal": "63000"}


def test_twins_each_with_their_own_email_are_another_person_not_a_review(model):
    """Same surname, birth date and address; another first name and another e-mail,
    nothing of their own agreeing: twins, not a question for a coordinator."""
    anne = dict(TWIN_HOME, prenom="Anne", courriel="anne.k@free.fr")
    louise = dict(TWIN_HOME, prenom="Louise", courriel="louise.k@orange.fr")
    assert match_one(louise, [Candidate("P1", anne)], model).kind == "new"
    explanation = model.score(person(**louise), person(**anne))
    assert pair_kind(explanation, model.decision) == "new"
    levels = tuple(t.level for t in explanation.terms)
    assert PatternScorer(model).judge(levels, person(**louise))[0] == "new"


def test_another_first_name_with_the_same_email_still_goes_to_review(model):
    """A first name typed otherwise (or a nickname) with the e-mail agreeing is a question
    for a human, never a new porteur; with the birth date agreeing too, the shipped
    settings let the first-name veto yield (`veto_cede_a`) where the two first names may
    be one written otherwise (Annick for Anne): the same person. With no
    contact given on a side, nothing of the person's own agrees: twins as often as not, a
    new porteur under the shipped settings (`revue_veto_exige_contact`), a question where
    they do not ask a contact."""
    anne = dict(TWIN_HOME, prenom="Anne", courriel="anne.k@free.fr")
    same_email = dict(anne, prenom="Louise", date_naissance="")
    no_contact = dict(TWIN_HOME, prenom="Louise")
    assert match_one(same_email, [Candidate("P1", anne)], model).kind == "review"
    assert model.decision.veto_yields_to == ("courriel", "telephone", "date_naissance")
    nickname = dict(anne, prenom="Annick")
    assert match_one(nickname, [Candidate("P1", anne)], model).kind == "link"
    assert model.decision.veto_review_needs_contact
    assert match_one(no_contact, [Candidate("P1", anne)], model).kind == "new"
    settings = dataclasses.replace(model.settings, decision=dataclasses.replace(
        model.settings.decision, veto_review_needs_contact=False))
    asking_none = dataclasses.replace(model, settings=settings)
    assert match_one(no_contact, [Candidate("P1", anne)], asking_none).kind == "review"


def test_a_father_and_son_of_one_name_and_address_born_years_apart_are_two_people(model):
    """Same surname, first name and address, birth dates far apart (not a swap, not a
    typed digit) and no contact agreeing: namesakes in one household, a new porteur."""
    father = dict(TWIN_HOME, prenom="Jean", date_naissance="1952-03-02")
    son = dict(TWIN_HOME, prenom="Jean", date_naissance="1981-11-19")
    assert match_one(son, [Candidate("P1", father)], model).kind == "new"
    same_phone = dict(father, telephone="0612345678")
    assert match_one(dict(son, telephone="0612345678"), [Candidate("P1", same_phone)],
                     model).kind == "review"
    typed = dict(son, date_naissance="1981-11-18")
    assert match_one(typed, [Candidate("P1", son)], model).kind == "link"


def test_a_lifted_veto_does_not_make_another_person(model):
    """Where the model learnt that duplicates replace the birth date, another birth date
    is weighed by the score, never a reason to declare another person by itself."""
    lifted = _lifting(model, "date_naissance")
    father = dict(TWIN_HOME, prenom="Jean", date_naissance="1952-03-02")
    son = dict(TWIN_HOME, prenom="Jean", date_naissance="1981-11-19")
    assert "date_naissance" in lifted.decision.lifted_vetoes
    assert pair_kind(lifted.score(person(**son), person(**father)), lifted.decision) != "new"


def test_names_exchanged_with_one_replaced_link_only_where_the_first_name_veto_is_lifted(model):
    """Ruby Capurso for Capurso Harrison, same address, no birth date: where the model
    learnt that duplicates replace first names and dates (typo-heavy files) the name
    found exchanged is the third agreeing field and the pair links, online and in the
    batch's scorer alike; where the first name keeps its veto (households), never."""
    left = {"nom": "Capurso", "prenom": "Harrison", "adresse_ligne": "7 erldunda circuit",
            "code_postal": "6233", "courriel": "hc@example.org"}
    right = dict(left, nom="Ruby", prenom="Capurso")
    assert match_one(right, [Candidate("P1", left)], model).kind != "link"
    lifted = _lifting(model, "prenom", "date_naissance")
    assert set(lifted.decision.lifted_vetoes) == {"prenom", "date_naissance"}
    decision = match_one(right, [Candidate("P1", left)], lifted)
    assert decision.kind == "link"
    assert decision.explanation.level_of("nom") == "close"
    levels = tuple(t.level for t in decision.explanation.terms)
    assert PatternScorer(lifted).judge(levels, person(**right))[0] == "link"


def _lifting(model, *fields):
    """The model as if its duplicates replaced these veto fields often (m of different
    0.15, far above `m_max_veto`): typo-heavy data, without contacts (no `veto_m`)."""
    return dataclasses.replace(model, veto_m={}, m={**model.m, **{
        field: {**model.m[field], "different": 0.15} for field in fields}})


def test_twins_sharing_one_family_email_are_never_linked(model):
    """Twins at one address, one birth date, one family e-mail (named after one of them),
    two first names that cannot be one written otherwise (other first two letters, or a
    feminine form): the e-mail is a household's, the first-name veto does not yield to it,
    a coordinator decides. A nickname, a typo past the first two letters or exchanging
    them, initials, or names exchanged with the e-mail and the birth date agreeing are
    still linked."""
    paul = dict(TWIN_HOME, prenom="Paul", courriel="paul.kerguelen@free.fr")
    for twin in ("Louis", "Pauline", "Pierre"):
        sibling = dict(paul, prenom=twin)
        assert match_one(sibling, [Candidate("P1", paul)], model).kind == "review", twin
        levels = tuple(t.level for t in model.score(person(**sibling), person(**paul)).terms)
        assert PatternScorer(model).judge(levels, person(**sibling))[0] == "review", twin
    julien = dict(TWIN_HOME, prenom="Julien", courriel="julien.kerguelen@free.fr")
    alexandre = dict(julien, prenom="Alexandre")
    marie = dict(julien, prenom="Marie-Dominique", nom="Goncalves")
    for one, other in ((julien, dict(julien, prenom="Juju")),
                       (julien, dict(julien, prenom="uJlien")),  # first two exchanged
                       (julien, dict(julien, prenom="J.T.")),  # initials
                       (alexandre, dict(alexandre, prenom="ALSX")),
                       (marie, dict(marie, nom="Marie-Dominique", prenom="Robert"))):
        assert match_one(other, [Candidate("P1", one)], model).kind == "link", other["prenom"]


def test_a_namesake_at_one_address_is_new_when_his_birth_date_is_unknown_and_his_phone_differs(
        model):
    """Father and son of one name at one address: the son's fiche without a birth date, his
    own e-mail and phone. The birth date cannot tell them apart, the contacts say two
    people: not linked, and no coordinator asked either."""
    home = {"nom": "Bernard", "prenom": "Aimé", "adresse_ligne": "62 rue de la Forge",
            "code_postal": "63549", "commune": "Sainte-Yves"}
    father = dict(home, date_naissance="1976-08-13", courriel="aime.bernard4@free.fr",
                  telephone="0777109262")
    son = dict(home, courriel="", telephone="0625379028")
    decision = match_one(son, [Candidate("P1", father)], model)
    assert decision.kind == "new"
    assert pair_kind(model.score(person(**son), person(**father)),
                     model.settings.decision) == "new"


def test_a_fiche_without_birth_date_still_links_when_its_phone_agrees(model):
    home = {"nom": "Bernard", "prenom": "Aimé", "adresse_ligne": "62 rue de la Forge",
            "code_postal": "63549", "commune": "Sainte-Yves", "telephone": "0777109262"}
    decision = match_one(dict(home, courriel="aime.b@laposte.net"),
                         [Candidate("P1", dict(home, date_naissance="1976-08-13",
                                               courriel="aime.bernard4@free.fr"))], model)
    assert decision.kind == "link"


_FORGE = {"nom": "Bernard", "prenom": "Aimé", "adresse_ligne": "62 rue de la Forge",
          "code_postal": "63549", "commune": "Sainte-Yves"}


def test_a_namesake_without_birth_date_never_joins_a_porteur_whose_other_fiche_says_another(
        model):
    """The father's porteur holds a fiche without contact (names, address, birth date) and
    one with his own phone. The son's fiche without a birth date, with his own phone,
    agrees with the first as far as it goes, but the second says another person
    (`lines_contradict`): the son never joins that porteur silently, online
    (`match_one`, the pattern path) nor in a batch cluster (`compatible`)."""
    father_bare = dict(_FORGE, date_naissance="1976-08-13")
    father_phone = dict(father_bare, telephone="0777109262")
    son = dict(_FORGE, telephone="0625379028")
    assert pair_kind(model.score(person(**son), person(**father_bare)),
                     model.decision) == "link"
    candidates = [Candidate("P1", father_bare), Candidate("P1", father_phone)]
    assert match_one(son, candidates, model).kind != "link"
    assert PatternScorer(model).match_one(son, candidates).kind != "link"
    assert not compatible(model.score(person(**son), person(**father_phone)), model.decision)
    links = [(0, 1, 0.9999), (0, 2, 0.999)]
    may_be_same = [[compatible(model.score(person(**a), person(**b)), model.decision)
                    for b in (father_bare, father_phone, son)]
                   for a in (father_bare, father_phone, son)]
    labels = cluster(3, links, lambda i, j: may_be_same[i][j], max_group_size=30).labels
    assert labels[2] != labels[1]


def test_a_household_landline_agreeing_is_not_the_persons_own_contact(model):
    """Father and son of one name at one address, the son's fiche without a birth date:
    the household's landline on both fiches rings for both of them. It is weighed on its
    own (fuzzy), not counted as a contact agreeing, so the son's own e-mail differing
    still says another person; a mobile agreeing is the person's own (exact)."""
    home = dict(_FORGE, telephone="04 73 51 12 34")
    father = dict(home, date_naissance="1976-08-13", courriel="aime.bernard@free.fr")
    son = dict(home, courriel="abernard.pro@laposte.net")
    explanation = model.score(person(**son), person(**father))
    assert explanation.level_of("telephone") == "fuzzy"
    assert pair_kind(explanation, model.decision) == "new"
    assert match_one(son, [Candidate("P1", father)], model).kind == "new"
    own = model.score(person(telephone="0777109262"), person(telephone="07 77 10 92 62"))
    assert own.level_of("telephone") == "exact"


def test_a_fiche_whose_email_lost_its_number_is_not_declared_another_person(model):
    """aime.bernard4@ on one fiche, aime.bernard@ on the other, the birth date missing on
    one: a namesake's mailbox, or the person's own with its number left out. Not
    agreeing, so no evidence for a link, but not a contact differing either: the pair is
    judged on the rest (here linked: names, address, place and the mobile agreeing), where
    the mailbox read as another one made it a new porteur without a coordinator."""
    with_number = dict(_FORGE, date_naissance="1976-08-13", courriel="aime.bernard4@free.fr")
    without = dict(_FORGE, courriel="aime.bernard@free.fr")
    explanation = model.score(person(**without), person(**with_number))
    assert explanation.level_of("courriel") == "fuzzy"
    assert next(t.weight for t in explanation.terms if t.field == "courriel") <= 0
    assert pair_kind(explanation, model.decision) != "new"
    assert match_one(without, [Candidate("P1", with_number)], model).kind != "new"
    assert PatternScorer(model).match_one(without, [Candidate("P1", with_number)]).kind != (
        "new")


def test_twins_of_alike_first_names_with_two_mobiles_are_two_people(model):
    """Alain and Alix, twins at one address: first names alike (fuzzy) cannot tell them
    apart, as a missing one cannot, and their own two mobiles say two people: not linked,
    never one cluster; one person's two fiches with a first name typed twice wrong and
    a mobile agreeing still link."""
    home = {"nom": "Morel", "date_naissance": "1968-03-17", "adresse_ligne": "5 avenue de Gérard",
            "code_postal": "03105"}
    alain = dict(home, prenom="Alain", telephone="06 83 37 34 67")
    alix = dict(home, prenom="Alix", telephone="07 51 95 86 23")
    explanation = model.score(person(**alix), person(**alain))
    assert explanation.level_of("prenom") == "fuzzy"
    assert pair_kind(explanation, model.decision) == "new"
    assert not compatible(explanation, model.decision)
    assert match_one(alix, [Candidate("P1", alain)], model).kind == "new"
    assert PatternScorer(model).match_one(alix, [Candidate("P1", alain)]).kind == "new"


def test_a_father_and_his_son_are_not_linked_on_the_household_landline():
    """The shipped model weighs the household's landline (fuzzy) 9.35 bits: more than
    `poids_min_approchant`, yet never a contact agreeing."""
    model = default_model()
    father = {"nom": "Girard", "prenom": "Alfred", "date_naissance": "1958-02-17",
              "courriel": "alfred.girard@orange.fr", "telephone": "04 73 91 22 40",
              "code_postal": "63000"}
    son = {"nom": "Girard", "prenom": "Alfred", "telephone": "0473912240",
           "code_postal": "63000"}
    decision = match_one(son, [Candidate("P1", father)], model)
    assert decision.explanation is not None
    assert decision.explanation.level_of("telephone") == "fuzzy"
    assert decision.kind != "link"


def test_a_record_linked_many_times_into_another_part_is_weighed_against_it_once():
    """Two parts of six records, one pair across them incompatible, every other pair
    across linked: whether a record could join the other part is asked once per record
    and part, not once per link (a component of a hundred records took seconds)."""
    k = 6
    first, second = range(k), range(k, 2 * k)
    links = [(i, j, 0.99) for part in (first, second) for i in part for j in part if i < j]
    links += [(i, j, 0.5) for i in first for j in second if (i, j) != (0, k)]
    asked: dict[tuple[int, int, int], int] = {}

    def unknown_between(x, p, q):
        asked[x, p, q] = asked.get((x, p, q), 0) + 1
        return False

    result = cluster(2 * k, links, lambda i, j: {i, j} != {0, k}, max_group_size=30,
                     unknown_between=unknown_between)
    assert len(set(result.labels)) == 2 and asked
    assert max(asked.values()) == 1


def test_where_every_veto_is_lifted_names_and_a_place_link_at_the_thin_review_bound(model):
    """Typo-heavy data without households (every veto lifted): names and a postcode
    agreeing, no strong field, link on the probability, as Splink links them, but only
    from the thin review bound (0.999) up: between the link threshold and it they are
    not even shown for review. Where a veto holds (households), they never link."""
    here = {"nom": "Kerguelen", "prenom": "Anne", "code_postal": "63000"}
    typo_heavy = _random_pair_u(_lifting(model, "prenom", "date_naissance"))
    households = dataclasses.replace(model, settings=dataclasses.replace(
        model.settings, decision=dataclasses.replace(
            model.settings.decision, thin_link_probability=None)))
    for there in (here, dict(here, nom="Kerguelenn"), dict(here, prenom="Anna")):
        assert match_one(there, [Candidate("P1", here)], households).kind == "review", there
        assert match_one(there, [Candidate("P1", here)], typo_heavy).kind == "link", there
        levels = tuple(t.level for t in typo_heavy.score(person(**there), person(**here)).terms)
        assert PatternScorer(typo_heavy).judge(levels, person(**there))[0] == "link", there
    both_typed = dict(here, nom="Kerguelenn", prenom="Annie")
    explanation = typo_heavy.score(person(**both_typed), person(**here))
    settings = typo_heavy.decision
    assert settings.link_probability <= explanation.probability < settings.thin_review()
    assert pair_kind(explanation, settings) == "new"
    assert match_one(both_typed, [Candidate("P1", here)], typo_heavy).kind == "new"


def _random_pair_u(model):
    """The model as trained where every veto is lifted: its training flag says its u is
    that of random pairs."""
    return dataclasses.replace(model, training={**model.training, RANDOM_PAIR_U: True})


def test_names_and_a_place_never_link_under_a_model_of_candidate_pair_u(model):
    """A model file of before the training on random pairs' u (its prior that of the
    candidate pairs, no training flag) lifting every veto: names, a birth year and a
    place agreeing against a full record weigh far above what they say there; a strong
    field is asked, as before: review at most, whatever the probability."""
    full = {"nom": "Smith", "prenom": "James", "date_naissance": "2000-04-12",
            "adresse_ligne": "12 George Street", "code_postal": "2000", "commune": "Sydney",
            "courriel": "james.smith@example.org"}
    sparse = {"nom": "Smith", "prenom": "James", "commune": "Sydney", "code_postal": "2000"}
    old_shape = dataclasses.replace(_lifting(model, "prenom", "date_naissance"), prior=0.635)
    assert old_shape.decision.every_veto_lifted() and not old_shape.decision.u_of_random_pairs
    decision = match_one(sparse, [Candidate("P1", full)], old_shape)
    assert decision.score >= old_shape.decision.thin_review()
    assert decision.kind == "review"
    levels = tuple(t.level for t in old_shape.score(person(**sparse), person(**full)).terms)
    assert PatternScorer(old_shape).judge(levels, person(**sparse))[0] == "review"
    # The flag of the former name is read as the flag.
    former = dataclasses.replace(old_shape, training={"u_paires_aleatoires_sans_foyers": True})
    assert match_one(sparse, [Candidate("P1", full)], former).kind == "link"


def test_a_placeholder_birth_date_does_not_keep_the_same_person_apart(model):
    """Jean Dupont at one address, his date typed 99/99/9999 on one side: the date is
    unknown there (missing), not another date: linked as without it."""
    home = {"nom": "Dupont", "prenom": "Jean", "adresse_ligne": "12 rue des Lilas",
            "code_postal": "35000", "commune": "Rennes"}
    known = dict(home, date_naissance="1975-03-12")
    without = match_one(home, [Candidate("P1", known)], model)
    for unknown in ("99/99/9999", "9999-12-31", "1850-01-01"):
        decision = match_one(dict(home, date_naissance=unknown), [Candidate("P1", known)], model)
        assert decision.explanation is not None
        assert decision.explanation.level_of("date_naissance") == "missing", unknown
        assert (decision.kind, round(decision.score, 6)) == (
            without.kind, round(without.score, 6)), unknown
