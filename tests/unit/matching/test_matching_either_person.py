"""A fiche that lacks the very field telling two people apart (a father and his son of one
name at one address, the son's fiche without a birth date; twins, a fiche without a first
name) may be either: the batch leaves it on its own, for a coordinator, as the online
decision does, instead of letting the strongest link choose."""

from __future__ import annotations

import csv

from hub.domain.matching import Candidate, default_model, match_one
from hub.domain.matching.cluster import cluster
from hub.domain.matching.decision import unknown_between
from hub.domain.matching.model import DEFAULT_MODEL_FILE
from hub.services.matching.dedup_batch import run_batch
from tests.unit.matching.matching_factories import person

HEADER = ("id,nom,nom_naissance,prenom,date_naissance,courriel,telephone,"
          "adresse_ligne,code_postal,commune\n")
HOME = "59 rue de Meunier,63496,Bodinville"
FAMILY = {
    "F1": f"Blanchard,,Adrien,1969-10-05,adrien.blanchard@laposte.net,0792987894,{HOME}",
    "F2": f"BLANCHARD,,ADRIEN,05/10/1969,,07 92 98 78 94,{HOME}",
    "S1": f"Blanchard,,Adrien,2002-04-18,adrien.blanchard6@laposte.net,0756566566,{HOME}",
    "S2": f"BLANCHARD,,Adrien,18/04/2002,,07 56 56 65 66,{HOME}",
    "X": f"Blanchard,,Adrien,,,,{HOME}",  # one or the other: no birth date, no contact
}


def _apart(pairs):
    """unknown_between for indexes: (x, p, q) in `pairs`."""
    return lambda x, p, q: (x, p, q) in pairs


def test_a_record_linked_to_two_parts_told_apart_by_a_field_it_lacks_stays_alone():
    links = [(0, 1, 0.9999), (2, 3, 0.9999), (4, 1, 0.998), (4, 3, 0.992)]
    apart = {(0, 2), (0, 3), (1, 2), (1, 3)}
    result = cluster(5, links, lambda i, j: (min(i, j), max(i, j)) not in apart, 30,
                     _apart({(4, p, q) for p in (0, 1) for q in (2, 3)}))
    assert result.labels == [0, 0, 2, 2, 4]
    assert result.review_groups == [(0, 1, 2, 3, 4)]


def test_a_record_that_holds_the_field_telling_the_parts_apart_joins_the_strongest():
    links = [(0, 1, 0.9999), (2, 3, 0.9999), (4, 1, 0.998), (4, 3, 0.992)]
    apart = {(0, 2), (0, 3), (1, 2), (1, 3), (3, 4), (2, 4)}
    result = cluster(5, links, lambda i, j: (min(i, j), max(i, j)) not in apart, 30,
                     _apart(set()))
    assert result.labels == [0, 0, 2, 2, 0]


def test_unknown_between_is_a_veto_field_plainly_different_and_missing_on_the_third():
    model = default_model()
    father = person(nom="Blanchard", prenom="Adrien", date_naissance="1969-10-05")
    son = person(nom="Blanchard", prenom="Adrien", date_naissance="2002-04-18")
    bare = person(nom="Blanchard", prenom="Adrien")
    assert unknown_between(model.score(bare, father), model.score(father, son),
                           model.decision)
    assert not unknown_between(model.score(son, father), model.score(father, son),
                               model.decision)


def test_a_dateless_fiche_between_a_father_and_his_son_is_no_ones_in_batch_and_online(
        tmp_path):
    source = tmp_path / "people.csv"
    source.write_text(HEADER + "".join(f"{key},{row}\n" for key, row in FAMILY.items()),
                      encoding="utf-8")
    summary = run_batch(source, tmp_path / "clusters.csv", model_path=DEFAULT_MODEL_FILE,
                        review_out=tmp_path / "reviews.csv")
    with (tmp_path / "clusters.csv").open(encoding="utf-8") as result:
        clusters = {row["id"]: row["cluster_id"] for row in csv.DictReader(result)}
    assert clusters["F1"] == clusters["F2"] != clusters["S1"] == clusters["S2"]
    assert clusters["X"] not in (clusters["F1"], clusters["S1"])
    assert summary.review_decisions == 2  # X with the father's porteur, X with the son's
    rows = [dict(zip(HEADER.strip().split(","), f"{k},{v}".split(","), strict=True))
            for k, v in FAMILY.items()]
    candidates = [Candidate("father" if r["id"][0] == "F" else "son", r) for r in rows[:4]]
    online = match_one(rows[4], candidates, default_model())
    assert online.kind == "review" and set(online.conflicts) | {online.porteur_id} == {
        "father", "son"}
