"""What a pair's explanation tells a reader who may not see a side, or a field of one."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hub.domain.matching.disclosed import (
    COMPARED_PATHS,
    FIELDS_HIDDEN_KEY,
    SIDE_CLOSED_KEY,
    fully_told,
    tells_whole,
    told_explanation,
    told_probability,
)
from hub.domain.matching.model import IDENTITY_ONLY_KEY, Explanation, FieldTerm

IDENTITY = ("porteur.nom", "porteur.nom_naissance", "porteur.prenom", "porteur.date_naissance")
CONTACT = ("porteur.courriel", "porteur.telephone", "porteur.adresse.ligne",
           "porteur.adresse.code_postal", "porteur.adresse.commune")


def _explanation() -> dict:
    terms = (FieldTerm("nom", "exact", 9.1), FieldTerm("prenom", "exact", 6.0),
             FieldTerm("date_naissance", "exact", 8.0),
             FieldTerm("courriel", "missing", 0.0, sides=(True, False)))
    return Explanation(-6.2, terms, 16.9, 0.99999, identity_only=True).to_dict()


def test_a_side_refused_tells_nothing_not_even_the_probability():
    told = told_explanation(_explanation(), IDENTITY + CONTACT, None)
    assert set(told) == {"probabilite", "champs", "lignes", SIDE_CLOSED_KEY}
    assert told["champs"] == [] and told["probabilite"] is None
    assert told_probability(0.99999, told) is None
    assert not any("identique" in line or "absent" in line for line in told["lignes"])
    assert not fully_told(told)


def test_a_field_hidden_on_one_side_shows_no_level_and_no_flag():
    told = told_explanation(_explanation(), IDENTITY + CONTACT, IDENTITY)
    assert [t["champ"] for t in told["champs"]] == ["nom", "prenom", "date_naissance"]
    assert told[FIELDS_HIDDEN_KEY] is True and IDENTITY_ONLY_KEY not in told
    assert not any(line.startswith(("courriel", "identité seule")) for line in told["lignes"])


def test_an_explanation_both_sides_open_is_told_whole():
    whole = _explanation()
    told = told_explanation(whole, IDENTITY + CONTACT, IDENTITY + CONTACT)
    assert {k: v for k, v in told.items() if k != "lignes"} == whole and fully_told(told)
    assert told["lignes"] == Explanation.from_dict(whole).lines_fr()


def test_an_item_recorded_with_no_explanation_tells_no_field_whoever_reads_it():
    """A review item stored with an empty explanation (opened by a path that recorded none)
    was read as a KeyError by every decision on it."""
    assert told_explanation({}, IDENTITY + CONTACT, IDENTITY + CONTACT) == {"champs": [],
                                                                           "lignes": []}
    closed = told_explanation({}, IDENTITY + CONTACT, None)
    assert closed["champs"] == [] and closed[SIDE_CLOSED_KEY] is True
    assert closed["probabilite"] is None and len(closed["lignes"]) == 1


def test_a_field_hidden_leaves_no_weight_to_work_it_out_by_subtraction():
    """The a priori, the total and the probability less the weights of the fields told
    gave the hidden fields' points (whether the hidden e-mail agrees, or is filled)."""
    told = told_explanation(_explanation(), IDENTITY + CONTACT, IDENTITY)
    assert "a_priori" not in told and "total" not in told and told["probabilite"] is None
    assert told_probability(0.99999, told) is None
    assert not any(line.startswith(("a priori", "total")) or "%" in line
                   for line in told["lignes"])
    assert [line.split(" :")[0] for line in told["lignes"][1:]] == ["nom", "prenom",
                                                                   "date_naissance"]


def test_an_explanation_told_whole_keeps_its_probability():
    whole = told_explanation(_explanation(), IDENTITY + CONTACT, IDENTITY + CONTACT)
    assert told_probability(0.9999912, whole) == 0.999991


_paths = st.one_of(st.none(), st.frozensets(st.sampled_from(IDENTITY + CONTACT)))


@given(st.lists(st.sampled_from([*COMPARED_PATHS, "inconnu"]), unique=True), _paths, _paths)
def test_whether_an_explanation_is_told_whole_is_known_without_telling_it(fields, left, right):
    """The queue sorts every open item by its probability as told: whether it is told is
    worked out from the fields compared alone, as `told_explanation` would tell it."""
    terms = tuple(FieldTerm(f, "exact", 1.0) for f in fields)
    explanation = Explanation(-6.2, terms, 16.9, 0.9).to_dict()
    for recorded in (explanation, {}):
        assert tells_whole(recorded, left, right) == \
            fully_told(told_explanation(recorded, left, right))
