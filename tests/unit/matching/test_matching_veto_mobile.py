"""The first-name veto yields to the birth date and a contact of the person's own: the
e-mail, or the mobile under first names that may be one written otherwise (issue 16, the
review load). Twins may share a mobile; a household shares a landline, which never lifts
the veto. Online (both paths), in the batch (`capactif dedup`) and in the console's
reason alike."""

from __future__ import annotations

import csv
import dataclasses

import pytest

from hub.cli import main
from hub.domain.matching import Candidate, match_one
from hub.domain.matching.model import MatchModel, default_model
from hub.domain.matching.record import RECORD_FIELDS
from hub.domain.matching.settings import default_settings
from hub.services.console.duplicates_console import waiting_reason
from tests.unit.matching.matching_factories import person

ALEXANDRE = {"nom": "Mercier", "prenom": "Alexandre", "date_naissance": "1971-01-09",
              "telephone": "06 12 34 56 78", "adresse_ligne": "3 rue Haute",
              "code_postal": "63000"}
# A compound's part (level "different"): the mobile lifts the veto.
SOPHIE, ANNE_SOPHIE = dict(ALEXANDRE, prenom="Sophie"), dict(ALEXANDRE, prenom="Anne-Sophie")


def _kinds(model: MatchModel, new: dict[str, str], known: dict[str, str]) -> tuple[str, str]:
    """The online decision's kind, explained and by the pattern path."""
    candidates = [Candidate("P1", person(**known))]
    return (match_one(person(**new), candidates, model).kind,
            model.pattern_scorer.match_one(person(**new), candidates).kind)


def _yielding_to(model: MatchModel, fields: tuple[str, ...]) -> MatchModel:
    decision = dataclasses.replace(model.settings.decision, veto_yields_to=fields)
    return dataclasses.replace(model, settings=dataclasses.replace(model.settings,
                                                                   decision=decision))


def test_the_shipped_settings_let_the_veto_yield_to_the_birth_date_and_a_contact():
    assert set(default_settings().decision.veto_yields_to) == {
        "courriel", "telephone", "date_naissance"}
    assert default_model().decision.veto_yields_to == default_settings().decision.veto_yields_to


def test_a_compound_s_part_on_one_birth_date_and_one_mobile_links(model):
    """Sophie for Anne-Sophie, the same birth date and the same mobile: one person whose
    first name was written shorter. Before, a question for a coordinator."""
    sophie = dict(ALEXANDRE, prenom="Sophie")
    anne_sophie = dict(ALEXANDRE, prenom="Anne-Sophie")
    assert model.score(person(**sophie), person(**anne_sophie)).level_of("prenom") == "different"
    assert _kinds(model, sophie, anne_sophie) == ("link", "link")


# Twins and siblings at one birth date with one mobile (review 16): names alike, a first
# name in use written short (Jo, Ed, JP), never one person on the mobile alone.
TWINS = [("Tom", "Tim"), ("Nathan", "Nolan"), ("Lucas", "Louis"), ("Théo", "Timéo"),
         ("Jo", "Jules"), ("Ed", "Emma"), ("JP", "Jean"), ("Aalex", "Alexandre"),
         ("JR", "Jean")]


@pytest.mark.parametrize(("first", "second"), TWINS)
def test_twins_named_alike_sharing_a_mobile_are_never_linked_alone(model, first, second):
    one, other = dict(ALEXANDRE, prenom=first), dict(ALEXANDRE, prenom=second)
    assert model.score(person(**one), person(**other)).level_of("prenom") == "different"
    assert "link" not in _kinds(model, one, other)


@pytest.mark.parametrize(("first", "second"), [("Sophie", "Anne-Sophie"), *TWINS])
def test_two_personal_e_mails_keep_the_veto_whatever_the_mobile(model, first, second):
    one = dict(ALEXANDRE, prenom=first, courriel="s.mercier@exemple.fr")
    other = dict(ALEXANDRE, prenom=second, courriel="anne-sophie.mercier@free.fr")
    assert model.score(person(**one), person(**other)).level_of("courriel") == "different"
    assert "link" not in _kinds(model, one, other)


@pytest.mark.parametrize("number", ["+32 470 12 34 56", "+41 79 123 45 67", "08 12 34 56 78"])
def test_a_number_not_read_as_a_mobile_lifts_nothing(model, number):
    """A Belgian or Swiss number, or an 08 one, compares exact but is no French mobile
    (`comparisons.line_kind`): nothing says it is the person's own."""
    one = dict(ALEXANDRE, prenom="Sophie", telephone=number)
    other = dict(ALEXANDRE, prenom="Anne-Sophie", telephone=number)
    assert model.score(person(**one), person(**other)).level_of("telephone") == "exact"
    assert "link" not in _kinds(model, one, other)


def test_twins_sharing_a_mobile_stay_a_question(model):
    """Anne and Louise born the same day with one mobile (first names with nothing in
    common), or Alexandre and Alexandrine (a feminine form): twins sharing a number as
    often as not, a coordinator decides."""
    anne = dict(ALEXANDRE, prenom="Anne")
    assert _kinds(model, dict(anne, prenom="Louise"), anne) == ("review", "review")
    assert _kinds(model, dict(ALEXANDRE, prenom="Alexandrine"), ALEXANDRE) == (
        "review", "review")


def test_the_mobile_alone_or_a_household_landline_does_not_lift_the_veto(model):
    """The birth date missing on a side, or plainly other (a parent's mobile given by a
    child), or one landline (a household's, level fuzzy): the veto holds."""
    undated = dict(SOPHIE, date_naissance="")
    assert _kinds(model, undated, ANNE_SOPHIE)[0] != "link"
    born_else = dict(SOPHIE, date_naissance="1995-06-21")
    assert _kinds(model, born_else, ANNE_SOPHIE)[0] != "link"
    landline = {"telephone": "04 73 12 34 56"}
    assert _kinds(model, dict(SOPHIE, **landline), dict(ANNE_SOPHIE, **landline))[0] != "link"


def test_settings_naming_the_e_mail_only_keep_the_veto_on_a_mobile(model):
    """`veto_cede_a` names the contacts that may lift it: without the phone, as before."""
    e_mail_only = _yielding_to(model, ("courriel", "date_naissance"))
    assert _kinds(e_mail_only, SOPHIE, ANNE_SOPHIE) == ("review", "review")


def test_the_console_does_not_say_a_veto_held_a_pair_it_let_yield(model):
    """A yielding pair left to a coordinator for another reason is not told « un champ
    décisif diffère » (the hub would have linked it but for that other reason)."""
    explanation = model.score(person(**SOPHIE), person(**ANNE_SOPHIE)).to_dict()
    assert not waiting_reason(explanation).startswith("Un champ décisif")
    held = model.score(person(**dict(SOPHIE, date_naissance="")), person(**ANNE_SOPHIE))
    assert waiting_reason(held.to_dict()).startswith("Un champ décisif")


def test_capactif_dedup_links_another_first_name_on_one_birth_date_and_one_mobile(tmp_path):
    """End to end: two fiches, too few to train on (the shipped model decides), one
    cluster and no pair left for review."""
    people = tmp_path / "people.csv"
    with people.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, RECORD_FIELDS, restval="")
        writer.writeheader()
        writer.writerows([dict(ANNE_SOPHIE, id="f1"), dict(SOPHIE, id="f2")])
    assert main(["dedup", "--input", str(people), "--output", str(tmp_path / "clusters.csv"),
                 "--review-out", str(tmp_path / "reviews.csv")]) == 0
    with (tmp_path / "clusters.csv").open(encoding="utf-8") as result:
        assert len({row["cluster_id"] for row in csv.DictReader(result)}) == 1
    with (tmp_path / "reviews.csv").open(encoding="utf-8") as reviews:
        assert list(csv.DictReader(reviews)) == []


def test_the_explanation_says_the_mobile_lifted_the_veto_without_personal_data(model):
    """The lines (API `explication.lignes`, the console's cascade) say why another first
    name did not hold the pair, and name no number nor first name."""
    lines = model.score(person(**SOPHIE), person(**ANNE_SOPHIE)).lines_fr()
    [said] = [line for line in lines if "mobile" in line]
    assert "prénom" in said and "date de naissance" in said
    for value in ("06", "12 34", "Sophie", "SOPHIE", "Anne", "Mercier", "1971"):
        assert value not in said
    twins = model.score(person(**dict(ALEXANDRE, prenom="Tom")),
                        person(**dict(ALEXANDRE, prenom="Tim"))).lines_fr()
    assert not any("mobile" in line for line in twins)
