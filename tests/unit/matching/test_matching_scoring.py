"""The batch's pattern scorer answers exactly as the explanation of each pair does."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from hub.domain.matching.ceilings import Ceilings
from hub.domain.matching.comparisons import compare_records
from hub.domain.matching.decision import Candidate, compatible, match_one, pair_kind
from hub.domain.matching.scoring import PatternScorer
from tests.unit.matching.matching_factories import hand_model, person

_people = st.fixed_dictionaries({
    "nom": st.sampled_from(["Martin", "MARTIN", "Martn", "Kerbrat", "Le Gall", "Durand", "Ane",
                            ""]),
    "nom_naissance": st.sampled_from(["", "Durand", "Martin"]),
    "prenom": st.sampled_from(["Anne", "ANNE", "Jean-Marc", "J.-M.", "Manu", "Emmanuel", "Martin",
                               "Martn", ""]),
    "date_naissance": st.sampled_from(["1980-05-12", "12/05/1980", "1980-12-05", "1981-05-12", ""]),
    "courriel": st.sampled_from(["anne@free.fr", "anne@orange.fr", "jm@free.fr", ""]),
    "telephone": st.sampled_from(["0612345678", "0612345679", "0473000001", ""]),
    "adresse_ligne": st.sampled_from(["3 rue Haute", "3 r. haute", "8 place du Marché", ""]),
    "code_postal": st.sampled_from(["63200", "15000", ""]),
})


@settings(max_examples=300, deadline=None)
@given(_people, _people)
def test_pattern_scorer_gives_the_kind_probability_and_compatibility_of_the_explanation(a, b):
    model = hand_model(tf={"nom": {"MARTIN": 0.02}, "prenom": {"ANNE": 0.03}})
    left, right = person(**a), person(**b)
    levels, right_used = compare_records(model.comparisons, left, right)
    explanation = model.explain(levels, left, right_used, written=right)
    decision = model.decision  # as the model decides (its gates: the link threshold's)
    assert PatternScorer(model).judge(levels, left, right) == (
        pair_kind(explanation, decision), explanation.probability,
        compatible(explanation, decision))


_LONE = {"nom": "", "nom_naissance": "", "prenom": "Martin", "date_naissance": "1980-05-12",
         "courriel": "", "telephone": "0612345678", "adresse_ligne": "", "code_postal": "63200"}
_EXCHANGED = {**_LONE, "nom": "Martin", "prenom": "Anne"}
# One family e-mail under names written exchanged with a typo (Dupond Jaen, Jean Dupont):
# as written a family's address (close), exact once the names are read exchanged.
_FAMILY = {"nom": "Dupont", "nom_naissance": "", "prenom": "Jean", "date_naissance": "1980-05-12",
           "courriel": "fam@x.fr", "telephone": "", "adresse_ligne": "", "code_postal": "75011"}
_FAMILY_EXCHANGED = {**_FAMILY, "nom": "Jaen", "prenom": "Dupond", "date_naissance": "",
                     "code_postal": "13001"}


@settings(max_examples=400, deadline=None)
@given(_people, _people)
@example(_LONE, _EXCHANGED)  # a lone first name against names exchanged: agrees exchanged
@example(_FAMILY, _FAMILY_EXCHANGED)  # the e-mail exact once the names are exchanged
def test_the_ceiling_of_a_pair_never_falls_below_its_probability(a, b):
    """The bound the online path sets pairs aside by, at every stage of their comparison
    (fields compared one at a time, names last): never under the pair's probability,
    whatever the names give once exchanged and the frequency adjustments."""
    model = hand_model(tf={"nom": {"MARTIN": 0.02}, "prenom": {"ANNE": 0.03}})
    left, right = person(**a), person(**b)
    levels, right_used = compare_records(model.comparisons, left, right)
    probability = model.explain(levels, left, right_used).probability
    ceilings = Ceilings(PatternScorer(model), left)
    pair = ceilings.pair(right)
    ceilings_seen = [pair.ceiling]
    while pair.stage < len(ceilings.stages):
        ceilings.refine(pair)
        ceilings_seen.append(pair.ceiling)
    assert all(ceiling >= probability for ceiling in ceilings_seen)
    assert ceilings_seen == sorted(ceilings_seen, reverse=True)
    assert [level or "missing" for level in pair.levels] == [
        c.level(left, right) for c in model.comparisons]


@settings(max_examples=300, deadline=None)
@example(_FAMILY, [("p-1", _FAMILY), ("p-1", _FAMILY_EXCHANGED)])
@given(_people, st.lists(st.tuples(st.sampled_from(["p-1", "p-2", "p-3"]), _people),
                         max_size=12))
def test_setting_pairs_aside_never_changes_a_decision(a, candidates):
    """Few values, so many pairs tie and many sit near a threshold: the pattern path,
    which sets pairs aside by their ceilings, decides as `match_one` (every pair
    explained), explanation, probability and conflicts included."""
    model = hand_model(tf={"nom": {"MARTIN": 0.02}, "prenom": {"ANNE": 0.03}})
    left = person(**a)
    given = [Candidate(porteur, person(**b)) for porteur, b in candidates]
    assert PatternScorer(model).match_one(left, given) == match_one(left, given, model)
