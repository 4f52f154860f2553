"""A fiche that links two porteurs (each its own fiche of one person, nothing joining them
before it arrived): the worker joins them as `capactif dedup` clusters the same records,
when every pair of fiches of the union may be one person; otherwise it leaves the fiche
in review, as before. On both databases."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from hub.domain.matching.model import CONFIRMED_FLAGS, DEFAULT_MODEL_FILE
from hub.domain.matching.record import RECORD_FIELDS
from hub.services.ingest import processing
from hub.services.matching import duplicates
from hub.services.matching.dedup_batch import run_batch
from tests.integration.dedup_world import (
    CCI,
    COMMUNE,
    COORDINATOR,
    PFIL,
    fiche_of,
    links_of,
    porteur_of,
    push,
    world_in_process,  # noqa: F401  (the `world` fixture)
)

pytestmark = pytest.mark.integration

# Anne by e-mail and birth date; Anne by phone and address; then a fiche with all of it.
# The first two share only her names: not enough to link, nothing against one person.
BY_MAIL = {"nom": "Kerbrat", "prenom": "Anne", "date_naissance": "1980-05-12",
           "courriel": "anne.kerbrat@exemple.fr"}
BY_PHONE = {"nom": "Kerbrat", "prenom": "Anne", "telephone": "06 11 22 33 44",
            "adresse": {"ligne": "9 avenue Foch", "code_postal": "15000", "commune": "Aurillac"}}
BOTH = {**BY_MAIL, **BY_PHONE}
# A father and his son of one name at one address: the father's fiche with his e-mail and
# mobile, the son's with another mobile, neither with a birth date (no contact agreeing,
# two mobiles: their lines say two people; with the birth date on the father's only, the
# pair waits for a coordinator itself, `household.UNDATED`); a fiche with the names,
# birth date, e-mail and address links to both.
FATHER = {**{field: value for field, value in BY_MAIL.items() if field != "date_naissance"},
          "telephone": "06 11 22 33 44", "adresse": BY_PHONE["adresse"]}
SON = {**BY_PHONE, "telephone": "06 99 88 77 66"}
NO_PHONE = {**BY_MAIL, "adresse": BY_PHONE["adresse"]}


def _batch_clusters(tmp_path: Path, porteurs: list[dict]) -> list[str]:
    """`capactif dedup` with the shipped model on the same identities, in order."""
    rows = []
    for n, porteur in enumerate(porteurs):
        address = porteur.get("adresse", {})
        rows.append({f: "" for f in RECORD_FIELDS} | {
            k: v for k, v in porteur.items() if k != "adresse"} | {
            "id": f"r{n}", "adresse_ligne": address.get("ligne", ""),
            "code_postal": address.get("code_postal", ""), "commune": address.get("commune", "")})
    with (tmp_path / "people.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, RECORD_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    run_batch(tmp_path / "people.csv", tmp_path / "clusters.csv", model_path=DEFAULT_MODEL_FILE)
    with (tmp_path / "clusters.csv").open(encoding="utf-8") as result:
        return [row["cluster_id"] for row in csv.DictReader(result)]


def test_a_fiche_linking_two_porteurs_joins_them_as_the_batch_clusters_them(world, tmp_path):
    hub, _clock = world
    assert len(set(_batch_clusters(tmp_path, [BY_MAIL, BY_PHONE, BOTH]))) == 1
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", BY_MAIL))
    push(hub, CCI, fiche_of(CCI, "C-1", BY_PHONE))
    assert porteur_of(hub, COMMUNE, "A-1") != porteur_of(hub, CCI, "C-1")
    push(hub, PFIL, fiche_of(PFIL, "P-1", BOTH))
    porteur = porteur_of(hub, PFIL, "P-1")
    assert porteur_of(hub, COMMUNE, "A-1") == porteur_of(hub, CCI, "C-1") == porteur
    assert links_of(hub, PFIL, "P-1")[0].method == "auto"
    assert duplicates.list_review_items(hub)["items"] == []
    [merge] = duplicates.merge_history(hub, porteur)
    assert merge["revue"] is not None and merge["par"] == "rapprochement"


def test_a_fiche_linking_two_porteurs_whose_fiches_say_two_people_joins_the_best_it_fits(
        world, tmp_path):
    """The batch splits the three by complete linkage and puts the bridge with its
    strongest part: online, it is linked to the best porteur it may be one person with,
    and the other waits for a coordinator against it."""
    hub, _clock = world
    father, son, third = _batch_clusters(tmp_path, [FATHER, SON, NO_PHONE])
    assert father != son and third == father
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", FATHER))
    push(hub, CCI, fiche_of(CCI, "C-1", SON))
    push(hub, PFIL, fiche_of(PFIL, "P-1", NO_PHONE))
    assert porteur_of(hub, PFIL, "P-1") == porteur_of(hub, COMMUNE, "A-1")
    assert porteur_of(hub, CCI, "C-1") != porteur_of(hub, COMMUNE, "A-1")
    assert links_of(hub, PFIL, "P-1")[0].method == "auto"
    [item] = duplicates.list_review_items(hub)["items"]
    assert {side["porteur_id"] for side in item["cotes"]} == {
        porteur_of(hub, COMMUNE, "A-1"), porteur_of(hub, CCI, "C-1")}


def test_a_fiche_that_may_be_either_of_two_people_stays_in_review(world, tmp_path):
    """A son's fiche without a birth date between his father's porteur and his own (one
    name, one address, two birth dates): either person, so in review against both, as
    the batch leaves it on its own."""
    hub, _clock = world
    father = {**FATHER, "date_naissance": "1955-02-03", "courriel": "jm.kerbrat@exemple.fr"}
    son = {**SON, "date_naissance": "1985-07-08"}
    either = {"nom": "Kerbrat", "prenom": "Anne", "adresse": BY_PHONE["adresse"]}
    clusters = _batch_clusters(tmp_path, [father, son, either])
    assert len(set(clusters)) == 3
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", father))
    push(hub, CCI, fiche_of(CCI, "C-1", son))
    push(hub, PFIL, fiche_of(PFIL, "P-1", either))
    porteurs = {porteur_of(hub, c, f) for c, f in ((COMMUNE, "A-1"), (CCI, "C-1"), (PFIL, "P-1"))}
    assert len(porteurs) == 3
    assert len(duplicates.list_review_items(hub)["items"]) == 2


def test_a_worker_stopping_before_it_joins_them_leaves_the_question_to_a_coordinator(
        world, monkeypatch):
    """The link to the best porteur and the review item against the other commit with the
    batch: a worker that stops before joining them loses nothing, a coordinator answers."""
    hub, _clock = world
    monkeypatch.setattr("hub.services.ingest.processing.join_chains", lambda *_args: 0)
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", BY_MAIL))
    push(hub, CCI, fiche_of(CCI, "C-1", BY_PHONE))
    push(hub, PFIL, fiche_of(PFIL, "P-1", BOTH))
    porteur = porteur_of(hub, PFIL, "P-1")
    others = {porteur_of(hub, COMMUNE, "A-1"), porteur_of(hub, CCI, "C-1")}
    assert porteur in others and len(others) == 2
    [item] = duplicates.list_review_items(hub)["items"]
    answer = duplicates.decide(hub, item["id"], "same", confirmed=CONFIRMED_FLAGS,
                               actor=COORDINATOR.member_id)
    assert answer["fusion"] is not None
    assert len({porteur_of(hub, c, f) for c, f in (
        (COMMUNE, "A-1"), (CCI, "C-1"), (PFIL, "P-1"))}) == 1


def _judge_apart(hub, first: tuple, second: tuple) -> None:
    """A coordinator's judgement that two fiches are two people (as a `different`)."""
    with hub.uow() as uow:
        pks = [uow.fiches.porteur_of(c.member_id, f).id for c, f in (first, second)]
        uow.matching.judge([tuple(pks)], "different", None, COORDINATOR.member_id, hub.clock())
        uow.commit()


def test_porteurs_a_coordinator_judged_apart_are_never_joined_by_a_bridge(world):
    hub, _clock = world
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", BY_MAIL))
    push(hub, CCI, fiche_of(CCI, "C-1", BY_PHONE))
    _judge_apart(hub, (COMMUNE, "A-1"), (CCI, "C-1"))
    push(hub, PFIL, fiche_of(PFIL, "P-1", BOTH))
    assert porteur_of(hub, COMMUNE, "A-1") != porteur_of(hub, CCI, "C-1")
    assert duplicates.list_review_items(hub)["items"] == []  # asked and answered before


def test_a_judgement_between_the_commit_and_the_join_keeps_the_porteurs_apart(
        world, monkeypatch):
    """The join reads the pair memory again under the lock of moves."""
    hub, _clock = world
    join = processing.join_chains

    def judged_first(hub_, fiche_pks):
        if fiche_pks:  # the bridge's batch, committed
            _judge_apart(hub_, (COMMUNE, "A-1"), (CCI, "C-1"))
        return join(hub_, fiche_pks)

    monkeypatch.setattr("hub.services.ingest.processing.join_chains", judged_first)
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", BY_MAIL))
    push(hub, CCI, fiche_of(CCI, "C-1", BY_PHONE))
    push(hub, PFIL, fiche_of(PFIL, "P-1", BOTH))
    assert porteur_of(hub, COMMUNE, "A-1") != porteur_of(hub, CCI, "C-1")
    assert len(duplicates.list_review_items(hub)["items"]) == 1  # left to a coordinator


def test_same_on_a_best_fit_item_moves_the_fiche_only(world):
    """Father and son: the bridge goes with the father, an item asks of it against the
    son. A coordinator's `same` says the bridge is the son: the bridge joins the son, the
    father's own fiche stays his (their fiches are not one person together)."""
    hub, _clock = world
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", FATHER))
    push(hub, CCI, fiche_of(CCI, "C-1", SON))
    push(hub, PFIL, fiche_of(PFIL, "P-1", NO_PHONE))
    father = porteur_of(hub, COMMUNE, "A-1")
    assert porteur_of(hub, PFIL, "P-1") == father
    [item] = duplicates.list_review_items(hub)["items"]
    answer = duplicates.decide(hub, item["id"], "same", confirmed=CONFIRMED_FLAGS,
                               actor=COORDINATOR.member_id)
    assert porteur_of(hub, COMMUNE, "A-1") == father
    assert porteur_of(hub, PFIL, "P-1") == porteur_of(hub, CCI, "C-1") != father
    assert answer["fiche_seule"] is True
    assert answer["fusion"]["fiches"] == [{"membre": PFIL.member_id, "fiche_id": "P-1"}]
    # a separation takes the fiche back out
    duplicates.unmerge(hub, porteur_of(hub, CCI, "C-1"), PFIL.member_id, "P-1",
                       actor=COORDINATOR.member_id)
    assert porteur_of(hub, PFIL, "P-1") != porteur_of(hub, CCI, "C-1")


def test_separating_the_bridge_before_the_join_keeps_the_porteurs_apart(world, monkeypatch):
    """A coordinator separates the bridge from its porteur between the worker's commit and
    the join: nothing links the two porteurs any more; the item follows the bridge to its
    own porteur and waits for a coordinator."""
    hub, _clock = world
    join = processing.join_chains

    def separated_first(hub_, fiche_pks):
        if fiche_pks:
            duplicates.unmerge(hub_, porteur_of(hub_, PFIL, "P-1"), PFIL.member_id, "P-1",
                               actor=COORDINATOR.member_id)
        return join(hub_, fiche_pks)

    monkeypatch.setattr("hub.services.ingest.processing.join_chains", separated_first)
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", BY_MAIL))
    push(hub, CCI, fiche_of(CCI, "C-1", BY_PHONE))
    push(hub, PFIL, fiche_of(PFIL, "P-1", BOTH))
    bridge = porteur_of(hub, PFIL, "P-1")
    assert len({porteur_of(hub, COMMUNE, "A-1"), porteur_of(hub, CCI, "C-1"), bridge}) == 3
    [item] = duplicates.list_review_items(hub)["items"]
    assert item["cotes"][0]["porteur_id"] == bridge  # the open item followed the fiche


OTHER_BY_MAIL = {"nom": "Morvan", "prenom": "Loic", "date_naissance": "1975-08-19",
                 "courriel": "loic.morvan@exemple.fr"}
OTHER_BY_PHONE = {"nom": "Morvan", "prenom": "Loic", "telephone": "06 30 74 85 12",
                  "adresse": {"ligne": "42 chemin des Landes", "code_postal": "22300",
                              "commune": "Lannion"}}


def test_a_store_error_on_one_item_leaves_it_open_and_the_others_decided(world, monkeypatch):
    from hub.errors import StoreUnavailable
    from hub.services.matching import chains

    hub, _clock = world
    real, calls = chains._join, []

    def failing_first(hub_, item_id):
        calls.append(item_id)
        if len(calls) == 1:
            raise StoreUnavailable("indisponible", "unavailable")
        return real(hub_, item_id)

    monkeypatch.setattr(chains, "_join", failing_first)
    monkeypatch.setattr("hub.services.ingest.processing.join_chains", lambda *_args: 0)
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", BY_MAIL))
    push(hub, CCI, fiche_of(CCI, "C-1", BY_PHONE))
    push(hub, PFIL, fiche_of(PFIL, "P-1", BOTH))
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-2", OTHER_BY_MAIL))
    push(hub, CCI, fiche_of(CCI, "C-2", OTHER_BY_PHONE))
    push(hub, PFIL, fiche_of(PFIL, "P-2", {**OTHER_BY_MAIL, **OTHER_BY_PHONE}))
    with hub.uow() as uow:
        bridges = [uow.fiches.porteur_of(PFIL.member_id, f).id for f in ("P-1", "P-2")]
    assert chains.join_chains(hub, bridges) == 1
    assert len(duplicates.list_review_items(hub)["items"]) == 1
