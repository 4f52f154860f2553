"""Precision on families of fiches a reviewer built, with the shipped model: a father and
his son of one name at one address, a frequent surname and its close spellings, one fiche
typed again five times with three fields a little off. No difference between two fiches
adds weight for one person; the online path and `capactif dedup` decide the same on each family.
A household (siblings, twins) stays apart where the model lifts every veto too."""

from __future__ import annotations

import csv
import dataclasses
import itertools
import json
from pathlib import Path

import pytest

from hub.domain.matching import Candidate, default_model, match_one, normalise_record
from hub.domain.matching import record_blocking_keys as keys_of
from hub.domain.matching.household import HOUSEHOLD_SHARE, household_share
from hub.domain.matching.model import DEFAULT_MODEL_FILE, RANDOM_PAIR_U, MatchModel
from hub.domain.matching.record import RECORD_FIELDS
from hub.services.matching.dedup_batch import run_batch

_HOME = {"adresse_ligne": "12 rue de la Filature", "code_postal": "63600", "commune": "Ambert"}


def _father_and_son() -> list[dict[str, str]]:
    """One name, one first name, one address; born 1958 and 1988 (one digit apart)."""
    father = {"id": "pere", "nom": "Martin", "prenom": "Julien",
              "date_naissance": "1958-04-12", **_HOME}
    return [father, {**father, "id": "fils", "date_naissance": "1988-04-12"}]


def _twins() -> list[dict[str, str]]:
    first = {"id": "jumeau-1", "nom": "Martin", "prenom": "Julien",
             "date_naissance": "1988-04-12", **_HOME}
    return [first, {**first, "id": "jumeau-2", "prenom": "Thomas"}]


def _martins() -> list[dict[str, str]]:
    """A frequent surname and four spellings one letter off; the same first name and
    street, dates a day or so apart."""
    return [{"id": f"martin-{n}", "nom": name, "prenom": "Julien",
             "date_naissance": f"1975-03-1{n}", **_HOME}
            for n, name in enumerate(("Martin", "Martine", "Marten", "Martyn", "Marrin"))]


def _chassaing() -> list[dict[str, str]]:
    """One fiche, and five each with a surname letter, a birth-date digit and the house
    number changed; no e-mail, no phone."""
    first = {"id": "chassaing-0", "nom": "Chassaing", "prenom": "Marie-Hélène",
             "date_naissance": "1988-04-12", "adresse_ligne": "12 rue de la Filature",
             "code_postal": "63600"}
    changed = (("Chassaint", "1988-04-13", "14"), ("Chasaing", "1988-05-12", "21"),
               ("Chassing", "1989-04-12", "2"), ("Chassainq", "1988-04-17", "120"),
               ("Chessaing", "1988-06-12", "13"))
    return [first] + [{**first, "id": f"chassaing-{n}", "nom": name, "date_naissance": date,
                       "adresse_ligne": f"{number} rue de la Filature"}
                      for n, (name, date, number) in enumerate(changed, 1)]


def _neighbours() -> list[dict[str, str]]:
    """Four men named Tom born the same day, four surnames, at 3, 4, 5 and 6 of one
    street in one town: four homes, four people."""
    street = {"code_postal": "69003", "commune": "Lyon"}
    return [{"id": f"tom-{number}", "nom": surname, "prenom": "Tom",
             "date_naissance": "1990-05-14", "adresse_ligne": f"{number} rue des Tilleuls",
             **street}
            for number, surname in ((3, "Girard"), (4, "Bonnet"), (5, "Lambert"),
                                    (6, "Fontaine"))]


FAMILIES = {"father and son": _father_and_son, "twins": _twins, "martins": _martins,
            "chassaing": _chassaing, "neighbours": _neighbours}


def _score(left: dict[str, str], right: dict[str, str]):
    return default_model().score(normalise_record(left, left["id"]),
                                 normalise_record(right, right["id"]))


def _weights(left: dict[str, str], right: dict[str, str]) -> dict[str, tuple[str, float]]:
    return {t.field: (t.level, t.weight) for t in _score(left, right).terms}


def test_a_father_and_his_son_of_one_name_at_one_address_are_not_linked():
    father, son = _father_and_son()
    assert _weights(father, son)["date_naissance"][0] == "different"
    decision = match_one(normalise_record(son, "fils"),
                         [Candidate("p-pere", normalise_record(father, "pere"))], default_model())
    assert decision.kind == "new"


def test_a_close_spelling_of_a_frequent_name_weighs_no_more_than_the_name_itself():
    martin, *others = _martins()
    exact = _weights(martin, {**martin, "id": "same"})["nom"]
    for other in others:
        close = _weights(martin, other)["nom"]
        assert close[0] == "close"
        assert close[1] <= exact[1] + 1e-9, other["nom"]  # capped at it: a rounding apart
        assert _weights(other, martin)["nom"] == close  # whichever side is read first


def test_another_house_number_weighs_no_more_than_the_same_street_spelt_closely():
    first, second, *_ = _chassaing()
    fuzzy = _weights(first, second)["adresse"]
    close = _weights(first, {**first, "id": "x", "adresse_ligne": "12 rue de la Filatur"})
    assert close["adresse"][0] == "close"
    assert fuzzy[1] <= close["adresse"][1]


def _online(rows: list[dict[str, str]], model: MatchModel | None = None) -> dict[str, str]:
    model, index, porteur_of = model or default_model(), {}, {}
    for row in rows:
        record = normalise_record(row, row["id"])
        keys = keys_of(record, model)
        candidates = {r.id: Candidate(pid, r) for key in keys for pid, r in index.get(key, ())}
        decision = model.pattern_scorer.match_one(record, list(candidates.values()))
        porteur_of[row["id"]] = decision.porteur_id if decision.kind == "link" else row["id"]
        for key in keys:
            index.setdefault(key, []).append((porteur_of[row["id"]], record))
    return porteur_of


def _batch(rows: list[dict[str, str]], tmp_path, model_path: Path = DEFAULT_MODEL_FILE,
           ) -> dict[str, str]:
    with (tmp_path / "people.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, RECORD_FIELDS, restval="")
        writer.writeheader()
        writer.writerows(rows)
    run_batch(tmp_path / "people.csv", tmp_path / "clusters.csv", model_path=model_path)
    with (tmp_path / "clusters.csv").open(encoding="utf-8") as result:
        return {row["id"]: row["cluster_id"] for row in csv.DictReader(result)}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_online_and_batch_decide_the_same_on_each_family(family, tmp_path):
    rows = FAMILIES[family]()
    online, batch = _online(rows), _batch(rows, tmp_path)
    pairs = list(itertools.combinations([row["id"] for row in rows], 2))
    assert {(a, b) for a, b in pairs if online[a] == online[b]} == {
        (a, b) for a, b in pairs if batch[a] == batch[b]}
    if family in ("father and son", "twins"):
        assert len(set(batch.values())) == 2
    if family == "neighbours":
        assert len(set(batch.values())) == len(set(online.values())) == 4


def test_neighbours_of_one_first_name_and_birth_date_are_two_people():
    """Another surname and another number of one street in one town: two homes. One
    first name and one birth date there are neighbours', never one person, online (the
    record's explanation, its decision) or by the batch's pattern scorer."""
    model = default_model()
    tom, *others = (normalise_record(row, row["id"]) for row in _neighbours())
    for other in others:
        explanation = model.score(other, tom)
        assert {t.field: t.level for t in explanation.terms}["adresse"] == "fuzzy"
        assert explanation.household, other.id
        assert explanation.to_dict()["foyer"] is True
        assert any(line.startswith("voisins : ") for line in explanation.lines_fr())
        assert match_one(other, [Candidate("p-tom", tom)], model).kind == "new", other.id
        assert model.pattern_scorer.match_one(other, [Candidate("p-tom", tom)]).kind == "new"


def test_neighbours_link_where_the_file_shows_no_households():
    """FEBRL-family files hold no households and retype or replace a surname and a house
    number at once: there the pattern is one person's, as before."""
    model = default_model()
    model = dataclasses.replace(model, training={**model.training, HOUSEHOLD_SHARE: 0.01})
    assert not model.decision.household_apart
    tom, other, *_ = (normalise_record(row, row["id"]) for row in _neighbours())
    assert not model.score(other, tom).household
    assert match_one(other, [Candidate("p-tom", tom)], model).kind == "link"


def test_another_surname_under_one_number_alone_is_left_to_the_model():
    """The same number alone on both lines (the street left out: fuzzy) shows no two
    homes: the rule says nothing there, the model decides as before."""
    model = default_model()
    tom, other, *_ = ({**row, "adresse_ligne": "3"} for row in _neighbours())
    explanation = model.score(normalise_record(other, "o"), normalise_record(tom, "t"))
    assert {t.field: t.level for t in explanation.terms}["adresse"] == "fuzzy"
    assert explanation.household_rule is None and not explanation.household


def _typo_heavy(households: float = 0.3) -> MatchModel:
    """The shipped model as trained on typo-heavy files would be: every veto lifted, its
    u that of random pairs (the training flag); `households`: siblings' share among the
    file's pairs of one surname and one street line (`household.household_share`)."""
    model = default_model()
    decision = dataclasses.replace(model.settings.decision, veto_max_m=1e-9)  # > 0: schema
    lifted = dataclasses.replace(
        model, settings=dataclasses.replace(model.settings, decision=decision),
        training={**model.training, RANDOM_PAIR_U: True, HOUSEHOLD_SHARE: households})
    assert lifted.decision.every_veto_lifted() and lifted.decision.u_of_random_pairs
    return lifted


def _household() -> list[dict[str, str]]:
    """Julien CHASSAING, his twin Thomas, his sister Juliette (a first name alike, born
    three years after him), their mother without a first name, and Julien's fiche typed
    again (a letter exchanged, a day one off) with his own e-mail, as his first fiche: a
    first name retyped at one home links on a contact of the person's own, never on the
    home alone (twins' names are as alike)."""
    julien = {"id": "julien", "nom": "Chassaing", "prenom": "Julien",
              "date_naissance": "1988-04-12", **_HOME}
    own = {"courriel": "julien.chassaing@example.org"}
    return [{**julien, **own}, {**julien, "id": "thomas", "prenom": "Thomas"},
            {**julien, "id": "juliette", "prenom": "Juliette", "date_naissance": "1991-09-03"},
            {**julien, "id": "mere", "prenom": "", "date_naissance": "1961-07-02"},
            {**julien, **own, "id": "julien-retape", "prenom": "Julein",
             "date_naissance": "1988-04-13"}]


def _together(porteur_of: dict[str, str]) -> set[frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for fiche, porteur in porteur_of.items():
        groups.setdefault(porteur, set()).add(fiche)
    return {frozenset(group) for group in groups.values()}


_HOUSEHOLD_APART = {frozenset({"julien", "julien-retape"}), frozenset({"thomas"}),
                    frozenset({"juliette"}), frozenset({"mere"})}


def test_a_household_at_one_address_is_not_linked_where_every_veto_is_lifted():
    """Typo-heavy files lift the first name's and the birth date's vetoes; a household's
    first names plainly different, or its birth dates where the first names do not agree,
    still say two people. The retyped first name (close) under his own e-mail links."""
    model = _typo_heavy()
    julien, *others, retyped = (normalise_record(row, row["id"]) for row in _household())
    for other in others:
        decision = match_one(other, [Candidate("p-julien", julien)], model)
        assert decision.kind == "new", other.id
        assert model.pattern_scorer.match_one(other, [Candidate("p-julien", julien)]).kind == "new"
    assert match_one(retyped, [Candidate("p-julien", julien)], model).kind == "link"
    assert _together(_online(_household(), model)) == _HOUSEHOLD_APART


def test_capactif_dedup_keeps_a_household_apart_where_every_veto_is_lifted(tmp_path):
    path = tmp_path / "typo_heavy.json"
    path.write_text(_typo_heavy().to_json(), encoding="utf-8")
    assert _together(_batch(_household(), tmp_path, path)) == _HOUSEHOLD_APART


def test_the_explanation_says_a_household_is_two_people():
    """The API's explanation carries the signal (`foyer`) and its French line; a pair of
    one person does not."""
    julien, thomas, *_others, retyped = _household()
    household = _typo_heavy().score(normalise_record(thomas, "t"), normalise_record(julien, "j"))
    assert household.to_dict()["foyer"] is True
    assert any(line.startswith("foyer : ") for line in household.lines_fr())
    one = _typo_heavy().score(normalise_record(retyped, "r"), normalise_record(julien, "j"))
    assert "foyer" not in one.to_dict()
    assert not any(line.startswith("foyer") for line in one.lines_fr())


def test_a_file_without_households_keeps_a_first_name_replaced_outright_linked():
    """Typo-heavy files without households replace a first name outright now and then;
    where the training saw no siblings (their share under `part_min_foyers`), the rule
    stays off: the pair the household rule would part links, as before."""
    model = _typo_heavy(households=0.01)
    assert not model.decision.household_apart
    julien, thomas, *_ = (normalise_record(row, row["id"]) for row in _household())
    assert match_one(thomas, [Candidate("p-julien", julien)], model).kind == "link"
    assert "foyer" not in model.score(thomas, julien).to_dict()


def test_a_model_file_written_before_the_household_rule_decides_as_before():
    """Its settings lack `part_min_foyers` and its training `part_foyers`: the rule is off,
    the vetoes it keeps alone tell a household apart (as when it was written)."""
    julien, thomas, *_ = (normalise_record(row, row["id"]) for row in _household())
    for key in ("part_min_foyers", "part_foyers"):
        document = json.loads(_typo_heavy().to_json())
        document["reglages"]["decision"].pop(key, None)
        document["apprentissage"].pop(key, None)
        older = MatchModel.from_json(json.dumps(document))
        assert not older.decision.household_apart, key
        assert match_one(thomas, [Candidate("p-julien", julien)], older).kind == "link", key


def test_siblings_share_of_the_pairs_of_one_surname_and_one_street():
    """The households a training file shows: of its candidate pairs of one surname and
    one street line, those whose first names and birth dates both differ plainly."""
    fields = ("nom", "prenom", "date_naissance", "courriel", "telephone", "adresse", "lieu")
    sibling = ("exact", "different", "different", "missing", "missing", "exact", "exact")
    retyped = ("exact", "close", "exact", "missing", "missing", "close", "exact")
    twin = ("exact", "different", "exact", "missing", "missing", "exact", "exact")
    elsewhere = ("exact", "different", "different", "missing", "missing", "different", "exact")
    assert household_share({sibling: 3, retyped: 5, twin: 2, elsewhere: 50}, fields) == (3, 10)
    assert household_share({elsewhere: 5}, fields) == (0, 0)


_CLAIRE = {"id": "claire", "nom": "DURAND", "prenom": "Claire", "date_naissance": "1985-03-14",
           "adresse_ligne": "12 rue des Tilleuls", "code_postal": "63600", "commune": "Ambert",
           "telephone": "06 12 34 56 78", "courriel": "claire.durand@gmail.com"}
# Her fiche again under her married name: her own mobile with a typo, her e-mail with a
# letter off, or her number written with its « bis ». No neighbours there: the rule says
# nothing.
_MARRIED = {"mobile mistyped": {"telephone": "06 12 34 56 87", "courriel": ""},
            "e-mail mistyped": {"telephone": "", "courriel": "claire.durnad@gmail.com"},
            "12 bis": {"adresse_ligne": "12 bis rue des Tilleuls", "telephone": "",
                       "courriel": ""}}


@pytest.mark.parametrize("change", sorted(_MARRIED))
def test_a_contact_of_her_own_nearly_agreeing_or_one_number_is_no_neighbour(change):
    """Another surname (married) at another number of the street: neighbours only where no
    contact agrees at all (a mobile or an e-mail a typo off is hers) and the numbers are
    two (12 and 12 bis are one building)."""
    model = default_model()
    claire = normalise_record(_CLAIRE, "claire")
    other_row = {**_CLAIRE, "id": "leroy", "nom": "LEROY",
                 "adresse_ligne": "14 rue des Tilleuls", **_MARRIED[change]}
    other = normalise_record(other_row, "leroy")
    for a, b in ((other, claire), (claire, other)):
        explanation = model.score(a, b)
        assert not any(line.startswith("voisins : ") for line in explanation.lines_fr()), change
        decided = match_one(a, [Candidate("p-b", b)], model).kind
        assert decided == model.pattern_scorer.match_one(a, [Candidate("p-b", b)]).kind
    if change == "mobile mistyped":
        assert match_one(other, [Candidate("p-claire", claire)], model).kind != "new"
