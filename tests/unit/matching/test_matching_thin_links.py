"""Names and a place alone attach a fiche to one porteur and never bridge two
(`thin_links`): the batch's attachment after the clustering, the online decision, the
chain join, on the shipped model (issue 16: some 35 true pairs a seed of the French
households were fiches holding names and a postcode only)."""

from __future__ import annotations

import csv
from pathlib import Path

from hub.domain.matching import default_model
from hub.domain.matching.chains import porteur_to_link, porteurs_to_join
from hub.domain.matching.decision import Candidate, match_one, names_and_place
from hub.domain.matching.record import RECORD_FIELDS, normalise_record
from hub.domain.matching.thin_links import (
    attach_thin,
    may_be_names_only,
    online_thin_decision,
)
from hub.services.matching.dedup_batch import run_batch

NOTE = {"nom": "Kerguelen", "prenom": "Anne", "code_postal": "63000"}
BORN = {**NOTE, "date_naissance": "1984-02-11"}
AT_HOME = {**NOTE, "adresse_ligne": "3 rue Blatin"}
ALL = lambda i, j: True  # noqa: E731


def _record(fields: dict, record_id: str = "r"):
    return normalise_record(fields, record_id)


def test_the_shipped_settings_link_names_and_a_place_from_their_own_bound():
    model = default_model()
    assert model.decision.thin_link_probability == 0.99
    pair = model.score(_record(NOTE), _record(BORN))
    assert names_and_place(pair, model.decision)


def test_a_record_alone_joins_the_one_cluster_its_names_only_links_go_to():
    assert attach_thin([0, 1, 1, 3], [(0, 1), (0, 2)], ALL) == [0, 0, 0, 3]
    assert attach_thin([0, 1, 1, 3], [(3, 1)], ALL) == [0, 1, 1, 1]


def test_a_record_linked_to_two_clusters_by_names_alone_joins_neither():
    assert attach_thin([0, 1, 2, 3], [(0, 1), (0, 2)], ALL) == [0, 1, 2, 3]


def test_a_record_alone_linked_to_two_is_no_bridge_for_them():
    """Sophie of place Jaude and Sophie of rue Blatin each meet the names-and-postcode
    fiche (2): each alone would attach to it, and so to each other."""
    assert attach_thin([0, 1, 2], [(0, 2), (1, 2)], ALL) == [0, 1, 2]


def test_two_records_linked_only_to_each_other_make_one_cluster():
    assert attach_thin([0, 1, 2], [(1, 2)], ALL) == [0, 1, 1]


def test_a_record_joins_a_cluster_only_if_it_may_be_one_person_with_each_of_it():
    assert attach_thin([0, 1, 1], [(0, 1)], lambda i, j: {i, j} != {0, 2}) == [0, 1, 1]


def test_names_alone_never_join_two_clusters_made_by_more_than_names():
    assert attach_thin([0, 0, 2, 2], [(0, 2)], ALL) == [0, 0, 2, 2]


def test_only_pairs_missing_every_other_field_on_a_side_may_be_names_only():
    assert may_be_names_only(_record(NOTE), _record(BORN))
    assert may_be_names_only(_record(BORN), _record(AT_HOME))
    assert not may_be_names_only(_record(BORN), _record({**AT_HOME, **BORN}))


def _online(record: dict, candidates: list[Candidate], alone: bool):
    model = default_model()
    new = _record(record, "new")
    decision = match_one(new, candidates, model)
    return decision, online_thin_decision(new, decision, candidates, model,
                                          lambda porteur, fiche: alone)


def test_online_a_names_only_link_attaches_to_a_porteur_holding_that_fiche_alone():
    decision, guarded = _online(BORN, [Candidate("P1", NOTE)], alone=True)
    assert decision.kind == guarded.kind == "link"


def test_online_a_fiche_attached_by_names_alone_is_no_door_for_a_third():
    """The porteur holds the names-only note and, attached to it, another fiche: a record
    reaching it through the note alone is a review, not a link."""
    there = {**NOTE, "adresse_ligne": "1 place Jaude"}
    decision, guarded = _online(BORN, [Candidate("P1", NOTE), Candidate("P1", there)],
                                alone=False)
    assert decision.kind == "link"
    assert guarded.kind == "review" and guarded.porteur_id == "P1"


def test_online_a_names_only_link_stands_where_the_fiche_is_held_by_more_than_names():
    full = {**BORN, "adresse_ligne": "1 place Jaude", "courriel": "anne.k@exemple.fr"}
    mailed = {**BORN, "courriel": "anne.k@exemple.fr"}
    _decision, guarded = _online(AT_HOME, [Candidate("P1", full), Candidate("P1", mailed)],
                                 alone=False)
    assert guarded.kind == "link"


def test_names_and_a_place_never_join_porteurs_nor_choose_between_them():
    model = default_model()
    jaude = {**NOTE, "adresse_ligne": "1 place Jaude"}
    blatin = {**BORN, "adresse_ligne": "22 rue Blatin"}
    candidates = [Candidate("J", jaude), Candidate("B", blatin)]
    decision = match_one(_record(NOTE, "n"), candidates, model)
    assert decision.kind == "review" and set(decision.conflicts) | {decision.porteur_id} == {
        "J", "B"}
    assert porteurs_to_join(_record(NOTE, "n"), decision, candidates, model) == ()
    assert porteur_to_link(_record(NOTE, "n"), decision, candidates, model) is None


def _batch(tmp_path: Path, people: list[dict]) -> list[str]:
    with (tmp_path / "people.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, RECORD_FIELDS)
        writer.writeheader()
        writer.writerows({f: "" for f in RECORD_FIELDS} | person | {"id": f"r{n}"}
                         for n, person in enumerate(people))
    run_batch(tmp_path / "people.csv", tmp_path / "clusters.csv")
    with (tmp_path / "clusters.csv").open(encoding="utf-8") as result:
        return [row["cluster_id"] for row in csv.DictReader(result)]


def test_the_batch_joins_a_names_and_postcode_fiche_to_its_one_porteur(tmp_path):
    labels = _batch(tmp_path, [NOTE, {**BORN, "courriel": "anne.k@exemple.fr"},
                               {**BORN, "courriel": "anne.k@exemple.fr",
                                "adresse_ligne": "1 place Jaude"}])
    assert len(set(labels)) == 1


def test_the_batch_keeps_two_namesakes_apart_whatever_their_note(tmp_path):
    labels = _batch(tmp_path, [{**NOTE, "adresse_ligne": "1 place Jaude"}, NOTE,
                               {**BORN, "adresse_ligne": "22 rue Blatin"}])
    assert len(set(labels)) == 3
