"""The household rule after its review (issue 16): a retyped duplicate of one household
goes to a coordinator rather than apart, twins and a father and his son never link, a
shared mobile or a landline a digit off is no contact of the person's own, one home is
in one town, and the siblings' share needs pairs enough. Online and batch alike."""

from __future__ import annotations

import csv

import pytest

from hub.domain.matching import Candidate, default_model, match_one, normalise_record
from hub.domain.matching.household import HOUSEHOLD_SHARE, household_share
from hub.domain.matching.model import MatchModel
from hub.domain.matching.record import RECORD_FIELDS
from hub.services.console.duplicates_console import waiting_reason
from hub.services.matching.dedup_batch import run_batch
from tests.unit.matching.test_matching_precision_families import _typo_heavy

_HOME = {"adresse_ligne": "4 avenue de la Gare", "code_postal": "21000", "commune": "Dijon"}


def _fiche(nom: str, prenom: str, date: str, **more: str) -> dict[str, str]:
    return {"nom": nom, "prenom": prenom, "date_naissance": date, **_HOME, **more}


# One person typed twice, first names still alike, or two of one household hard to tell
# from one (twins alike, a shared mobile, a decade's digit): a coordinator decides.
RETYPED = {
    "names exchanged, a typo in each": (
        _fiche("Blanchard", "Juliette", "1964-03-07", nom_naissance="Marty"),
        _fiche("Julietcte", "Blanchawd", "1964-03-07", nom_naissance="Marty")),
    "a compound's second part": (_fiche("Roux", "Anne-Sophie", "2006-03-10"),
                                 _fiche("Roux", "Sophie", "2006-03-10")),
    "Mohamed / Muhammad": (_fiche("Roux", "Mohamed", "1970-02-11"),
                           _fiche("Roux", "Muhammad", "1970-02-11")),
    "twins alike, Julien / Juliette": (_fiche("Roux", "Julien", "2001-05-05"),
                                       _fiche("Roux", "Juliette", "2001-05-05")),
    "siblings, a parent's mobile": (
        _fiche("Roux", "Paul", "2001-05-05", telephone="0612345678"),
        _fiche("Roux", "Marc", "2003-05-05", telephone="0612345678")),
    "one first name, dates a decade's digit apart": (_fiche("Roux", "Jean", "1958-04-12"),
                                                     _fiche("Roux", "Jean", "1988-04-12")),
}
# Two people of one household: never linked, no coordinator needed.
TWO = {
    "father and son both Jean, 30 years apart": (_fiche("Roux", "Jean", "1960-03-04"),
                                                 _fiche("Roux", "Jean", "1990-08-01")),
    "mother and daughter both Marie": (_fiche("Roux", "Marie", "1958-01-20"),
                                       _fiche("Roux", "Marie", "1986-06-11")),
    "siblings, a landline a digit off": (
        _fiche("Roux", "Paul", "2001-05-05", telephone="0380123456"),
        _fiche("Roux", "Marc", "2003-05-05", telephone="0380123465")),
    "twins, first names plainly other": (_fiche("Roux", "Julien", "2001-05-05"),
                                         _fiche("Roux", "Thomas", "2001-05-05")),
}


def _kinds(pair: tuple[dict[str, str], dict[str, str]], model: MatchModel) -> tuple[str, str]:
    """The online decision (explained path, and the pattern scorer's) of the second fiche
    against the first."""
    first, second = (normalise_record(row, f"f{n}") for n, row in enumerate(pair))
    candidates = [Candidate("p-1", first)]
    return (match_one(second, candidates, model).kind,
            model.pattern_scorer.match_one(second, candidates).kind)


def _batch(pair: tuple[dict[str, str], dict[str, str]], model: MatchModel, tmp_path):
    rows = [{**row, "id": f"f{n}"} for n, row in enumerate(pair)]
    with (tmp_path / "in.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, RECORD_FIELDS, restval="")
        writer.writeheader()
        writer.writerows(rows)
    (tmp_path / "model.json").write_text(model.to_json(), encoding="utf-8")
    summary = run_batch(tmp_path / "in.csv", tmp_path / "out.csv",
                        model_path=tmp_path / "model.json", workers=1)
    with (tmp_path / "out.csv").open(encoding="utf-8") as result:
        clusters = {row["cluster_id"] for row in csv.DictReader(result)}
    return len(clusters), summary.review_pairs


def decided(pair: tuple[dict[str, str], dict[str, str]], kind: str,
            batch: tuple[int, int], tmp_path) -> None:
    """Under the typo-heavy model with households: `kind` online (both paths), and in
    batch `batch` (clusters, review pairs)."""
    model = _typo_heavy()
    assert _kinds(pair, model) == (kind, kind)
    assert _batch(pair, model, tmp_path) == batch


@pytest.mark.parametrize("case", sorted(RETYPED))
def test_a_household_pair_that_may_be_one_person_goes_to_review_online_and_in_batch(case, tmp_path):
    decided(RETYPED[case], "review", (2, 1), tmp_path)


@pytest.mark.parametrize("case", sorted(TWO))
def test_two_of_one_household_are_two_people_online_and_in_batch(case, tmp_path):
    decided(TWO[case], "new", (2, 0), tmp_path)


def test_twins_alike_never_link_under_the_shipped_model_either():
    assert _kinds(RETYPED["twins alike, Julien / Juliette"], default_model())[0] != "link"


def test_one_street_line_in_two_towns_is_no_household():
    """4 avenue de la Gare in Dijon and in Rennes: no `foyer`, so no "même adresse"."""
    first, second = _fiche("Martin", "Paul", "1980-01-02"), {
        **_fiche("Martin", "Sophie", "1991-05-06"), "code_postal": "35000", "commune": "Rennes"}
    explanation = _typo_heavy().score(normalise_record(first, "a"), normalise_record(second, "b"))
    assert "foyer" not in explanation.to_dict()


def test_siblings_share_leaves_out_one_street_in_other_towns():
    fields = ("nom", "prenom", "date_naissance", "courriel", "telephone", "adresse", "lieu")
    sibling = ("exact", "different", "different", "missing", "missing", "exact", "exact")
    elsewhere = ("exact", "different", "different", "missing", "missing", "exact", "different")
    retyped = ("exact", "close", "exact", "missing", "missing", "exact", "exact")
    assert household_share({sibling: 10, elsewhere: 50, retyped: 30}, fields) == (10, 40)


def test_a_share_read_on_too_few_pairs_of_one_home_leaves_the_rule_off():
    """20 records read 0.12 to 0.32: a training entry of fewer than 30 pairs of one home
    says nothing of households; the entry says how many."""
    model = _typo_heavy(households=0.3)
    few = MatchModel.from_json(model.to_json().replace(
        f'"{HOUSEHOLD_SHARE}": 0.3', f'"{HOUSEHOLD_SHARE}": 0.3, "paires_foyers": [3, 10]'))
    assert not few.decision.household_apart
    enough = MatchModel.from_json(model.to_json().replace(
        f'"{HOUSEHOLD_SHARE}": 0.3', f'"{HOUSEHOLD_SHARE}": 0.3, "paires_foyers": [30, 100]'))
    assert enough.decision.household_apart


def _households(count: int) -> list[dict[str, str]]:
    """`count` households of three siblings (first names and birth dates plainly other),
    the eldest's fiche typed again (a letter off)."""
    rows = []
    for h in range(count):
        home = {"adresse_ligne": f"{h + 1} rue des Tilleuls", "code_postal": f"{21000 + h}",
                "commune": f"Ville{h}"}
        for n, name in enumerate(("Paul", "Anne", "Lucie")):
            rows.append({"id": f"h{h}-{n}", "nom": f"Famille{h:03d}", "prenom": name,
                         "date_naissance": f"{1950 + 15 * n}-0{1 + n}-1{n}", **home})
        rows.append({**rows[-3], "id": f"h{h}-again", "prenom": "Pual"})
    return rows


def test_training_writes_the_siblings_share_with_its_counts(tmp_path):
    with (tmp_path / "in.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, RECORD_FIELDS, restval="")
        writer.writeheader()
        writer.writerows(_households(40))
    run_batch(tmp_path / "in.csv", tmp_path / "out.csv", model_out=tmp_path / "m.json",
              workers=1)
    training = MatchModel.from_json((tmp_path / "m.json").read_text(encoding="utf-8")).training
    siblings, home = training["paires_foyers"]
    assert home >= siblings > 0 and training[HOUSEHOLD_SHARE] == round(siblings / home, 4)


@pytest.mark.parametrize(("pair", "key"), [
    (TWO["twins, first names plainly other"], "foyer"),
    (RETYPED["Mohamed / Muhammad"], "foyer_a_verifier")])
def test_the_api_and_the_console_say_what_the_rule_checked(pair, key):
    """One street line in one town, or one landline; the API's line and the console's
    reason agree, for two people and for a pair held for a coordinator."""
    first, second = (normalise_record(row, f"f{n}") for n, row in enumerate(pair))
    explanation = _typo_heavy().score(second, first)
    document = explanation.to_dict()
    assert document.get(key) is True
    line = next(line for line in explanation.lines_fr() if line.startswith("foyer : "))
    reason = waiting_reason(document)
    for said in (line, reason):
        assert "même adresse dans la même commune" in said, said


@pytest.mark.parametrize(("pair", "doubt"), [
    (RETYPED["Mohamed / Muhammad"], "les prénoms se ressemblent encore"),
    (RETYPED["siblings, a parent's mobile"], "un même mobile des deux côtés"),
    (RETYPED["one first name, dates a decade's digit apart"],
     "dates de naissance à dix ans ou plus d'écart qui ne diffèrent que d'un chiffre tapé"),
    ((_fiche("Roux", "Jean", "1958-04-12", telephone="06 11 22 33 44"),
      _fiche("Roux", "Jean", "", telephone="06 55 66 77 88")),
     "un même prénom, la date de naissance sur une seule fiche et un mobile différent de "
     "chaque côté")])
def test_a_pair_held_for_a_coordinator_says_what_matched_and_why(pair, doubt):
    """Jean 1958 / Jean 1988 went to review under « les prénoms se ressemblent encore, ou
    un même mobile »: neither was so. The API's line and the console's reason now say the
    home that matched and the one doubt that held the pair, and nothing else."""
    first, second = (normalise_record(row, f"f{n}") for n, row in enumerate(pair))
    explanation = _typo_heavy().score(second, first)
    assert explanation.to_dict().get("foyer_a_verifier") is True
    line = next(line for line in explanation.lines_fr() if line.startswith("foyer : "))
    reason = waiting_reason(explanation.to_dict())
    others = {"prénoms se ressemblent", "même mobile", "chiffre tapé", "ligne fixe",
              "mobile différent"}
    others = {other for other in others if other not in doubt}
    for said in (line, reason):
        assert doubt in said and "même adresse dans la même commune" in said, said
        assert not any(other in said for other in others), said


def test_a_review_line_names_the_landline_when_the_home_is_the_line():
    """No street line in common, one landline: the line says the landline, not the address."""
    from hub.domain.matching.model import household_review_fr

    said = household_review_fr({"nom": "exact", "adresse": "missing", "telephone": "fuzzy",
                                "prenom": "fuzzy", "date_naissance": "exact"})
    assert "même ligne fixe" in said and "même adresse" not in said


def _elsewhere(telephones: tuple[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """Siblings' first names and dates, two street lines of one town, numbers a digit off."""
    return (_fiche("Roux", "Paul", "2001-05-05", telephone=telephones[0]),
            {**_fiche("Roux", "Marc", "2003-05-05", telephone=telephones[1]),
             "adresse_ligne": "18 rue Buffon"})


@pytest.mark.parametrize(("telephones", "home"), [
    (("0380123456", "0380123465"), True),  # a landline a digit off: one home
    (("0612345678", "0612345687"), False)])  # a mobile a digit off: one person's, retyped
def test_only_a_landline_typed_a_digit_off_makes_a_home(telephones, home):
    """The docs said a landline; the code counted a mobile a digit off as a home too, and
    judged the pair by the household rule."""
    pair = _elsewhere(telephones)
    first, second = (normalise_record(row, f"f{n}") for n, row in enumerate(pair))
    model = _typo_heavy()
    explanation = model.score(second, first)
    assert (explanation.household_rule is not None) is home
    assert explanation.to_dict().get("foyer", False) is home
    online, patterns = _kinds(pair, model)  # the two paths agree
    assert online == patterns
