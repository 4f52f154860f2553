"""Fiches of one porteur whose only difference is the home stay together (issue 16, the
review load): a person who moved, typed once at the old home without a birth date. Their
pair weighs the move twice (the street and the town) against names a household shares,
so under `poids_min_groupe` it split the cluster its links made and left the links for a
coordinator. Online (both paths) and in the batch (`capactif dedup`) alike."""

from __future__ import annotations

import csv
import dataclasses

import pytest

from hub.cli import main
from hub.domain.matching import Candidate, match_one
from hub.domain.matching.decision import compatible, moved, moved_on_names, pair_kind
from hub.domain.matching.model import NAMESAKE_SHARE, MatchModel, default_model
from hub.domain.matching.record import RECORD_FIELDS
from tests.unit.matching.matching_factories import hand_model, person

# The old home with her mobile and birth date; the new home with both and an e-mail; the
# new home again with the e-mail and her mobile (no birth date): one of her own
# identifiers agrees with the old home's fiche, as `decision.moved` asks (review 16).
OLD_HOME = {"nom": "Martin", "prenom": "Anne", "date_naissance": "1980-05-12",
            "telephone": "0612345678", "adresse_ligne": "3 rue Haute", "code_postal": "63200"}
NEW_HOME = {"nom": "Martin", "prenom": "Anne", "date_naissance": "1980-05-12",
            "telephone": "0612345678", "courriel": "anne.martin@free.fr",
            "adresse_ligne": "8 place du Marché", "code_postal": "15000"}
NEW_UNDATED = {"nom": "Martin", "prenom": "Anne", "courriel": "anne.martin@free.fr",
               "telephone": "0612345678", "adresse_ligne": "8 place du Marché", "code_postal": "15000"}


def levels_of(pair):
    return {t.field: t.level for t in pair.terms}


def _model() -> MatchModel:
    """Common names (MARTIN, ANNE weigh little), and namesakes measured rare: the old and
    the new home link on identity."""
    return dataclasses.replace(hand_model(tf={"nom": {"MARTIN": 0.02}, "prenom": {"ANNE": 0.03}}),
                               training={NAMESAKE_SHARE: 0.0})


def test_the_two_homes_weigh_against_one_person_yet_stay_one_porteur():
    model = _model()
    moved = model.score(person(**OLD_HOME), person(**NEW_UNDATED))
    assert moved.probability < model.decision.review_probability  # the move counted twice
    assert compatible(moved, model.decision)


def test_online_a_fiche_of_the_new_home_joins_the_porteur_of_both_homes():
    """The porteur holds the old and the new home; a fiche of the new home without a birth
    date links to it (before: a review, its pair with the old home weighing against)."""
    model = _model()
    candidates = [Candidate("P1", person(**OLD_HOME)), Candidate("P1", person(**NEW_HOME))]
    new = person(**NEW_UNDATED)
    assert match_one(new, candidates, model).kind == "link"
    assert model.pattern_scorer.match_one(new, candidates).kind == "link"
    assert model.pattern_scorer.match_one(new, candidates, best_new=False).kind == "link"


def test_another_birth_date_or_first_name_still_splits():
    """What the rule keeps together differs by the home only: another first name or a
    plainly other birth date is another person (a namesake who lives there)."""
    model = _model()
    for other in ({"date_naissance": "1955-02-03"}, {"prenom": "Louise"}):
        pair = model.score(person(**OLD_HOME), person(**dict(NEW_UNDATED, **other)))
        assert not compatible(pair, model.decision), other


def test_names_alone_at_two_homes_are_not_one_person_who_moved():
    """Nothing of the person's own (birth date, e-mail, phone) agreeing: two "Anne Martin"
    at two homes are namesakes as often as not (review 16: a chain through such a pair
    joined another member's porteur on a name and a birth date). On the shipped model,
    whose frequencies say how common the names are: even the move counted once
    (`decision.moved_on_names`) outweighs them."""
    model = default_model()
    names = {"nom": "Martin", "prenom": "Anne"}
    for a, b in (({**names, "adresse_ligne": "3 rue Haute", "code_postal": "63200"},
                  {**names, "adresse_ligne": "8 place du Marché", "code_postal": "15000"}),
                 (OLD_HOME, {k: v for k, v in NEW_UNDATED.items() if k != "telephone"})):
        assert not moved(levels_of(model.score(person(**a), person(**b))))
        assert not compatible(model.score(person(**a), person(**b)), model.decision)
        assert not _judged_compatible(model, person(**a), person(**b))


# Names rare enough to outweigh one move, and common ones that do not (issue 16: a fiche
# typed at the old home with neither birth date nor contact split its porteur).
RARE = [("Dieudieutan", "Nathalie"), ("Vidal", "Constance")]
COMMON = [("Martin", "Jean"), ("Bernard", "Marie"), ("Garcia", "Lucas"), ("Durand", "Pierre")]


def _homes(nom: str, prenom: str) -> tuple[dict[str, str], dict[str, str]]:
    """The old home, names only; the new home in another town with the person's e-mail."""
    return ({"nom": nom, "prenom": prenom, "adresse_ligne": "3 rue Haute",
             "code_postal": "63600", "commune": "Ambert"},
            {"nom": nom, "prenom": prenom, "adresse_ligne": "8 place Bellecour",
             "code_postal": "69002", "commune": "Lyon", "courriel": "p.x@exemple.fr"})


def _judged_compatible(model: MatchModel, a, b) -> bool:
    """The pattern path's answer (`PatternScorer.judge`), as the batch and online read it."""
    levels = tuple(t.level for t in model.score(a, b).terms)
    return model.pattern_scorer.judge(levels, a, b)[2]


@pytest.mark.parametrize(("nom", "prenom"), RARE)
def test_a_rare_name_outweighs_one_move_without_the_person_s_own_identifiers(nom, prenom):
    """The model weighs the street and the town apart; a new town means a new street, so
    counted once the move leaves a rare name weighing for one person: the two fiches may
    share the cluster their links made (never a link: the pair itself stays "new")."""
    model = default_model()
    old, new = (person(**fields) for fields in _homes(nom, prenom))
    pair = model.score(old, new)
    assert not moved(levels_of(pair))  # no birth date, e-mail nor phone agrees
    assert pair.total_weight - pair.prior_weight < model.decision.cluster_evidence_bits
    assert compatible(pair, model.decision)
    assert _judged_compatible(model, old, new)
    assert pair_kind(pair, model.decision) == "new"


@pytest.mark.parametrize(("nom", "prenom"), COMMON)
def test_common_names_at_two_homes_stay_apart_even_with_the_move_counted_once(nom, prenom):
    model = default_model()
    old, new = (person(**fields) for fields in _homes(nom, prenom))
    assert not compatible(model.score(old, new), model.decision)
    assert not _judged_compatible(model, old, new)


def test_a_rare_name_s_move_within_one_town_is_not_counted_again():
    """The street alone differing is the move counted once already: the rule adds
    nothing there (the pair's own evidence decides, `may_share_cluster`)."""
    model = default_model()
    old, new = _homes("Vidal", "Constance")
    pair = model.score(person(**old), person(**{**new, "code_postal": "63600",
                                                "commune": "Ambert"}))
    assert levels_of(pair)["lieu"] != "different"
    assert not moved_on_names(pair, model.decision)


def test_capactif_dedup_keeps_a_rare_name_typed_at_the_old_home_in_one_cluster(tmp_path):
    """The old home's fiche (names and address) links to her fiche at the old home with
    her birth date and e-mail, which links to her fiche at the new home: the old home's
    names-only fiche and the new home's shared nothing of her own, and split the cluster
    (a coordinator asked)."""
    old, new = _homes("Vidal", "Constance")
    own = {"date_naissance": "1980-06-01", "courriel": "p.x@exemple.fr",
           "telephone": "0698765432"}
    rows = [dict(old, id="old"), dict(old, **own, id="old-full"), dict(new, **own, id="new")]
    _dedup_gives_one_cluster_and_no_review(tmp_path, rows, default_model())


def test_capactif_dedup_keeps_a_person_who_moved_in_one_cluster(tmp_path):
    rows = [dict(OLD_HOME, id="old"), dict(NEW_HOME, id="new"), dict(NEW_UNDATED, id="undated")]
    _dedup_gives_one_cluster_and_no_review(tmp_path, rows, _model())


def _dedup_gives_one_cluster_and_no_review(tmp_path, rows: list[dict[str, str]],
                                           model: MatchModel) -> None:
    people = tmp_path / "people.csv"
    with people.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, RECORD_FIELDS, restval="")
        writer.writeheader()
        writer.writerows(rows)
    (tmp_path / "model.json").write_text(model.to_json(), encoding="utf-8")
    assert main(["dedup", "--input", str(people), "--output", str(tmp_path / "clusters.csv"),
                 "--model", str(tmp_path / "model.json"),
                 "--review-out", str(tmp_path / "reviews.csv")]) == 0
    with (tmp_path / "clusters.csv").open(encoding="utf-8") as result:
        assert len({row["cluster_id"] for row in csv.DictReader(result)}) == 1
    with (tmp_path / "reviews.csv").open(encoding="utf-8") as reviews:
        assert list(csv.DictReader(reviews)) == []
