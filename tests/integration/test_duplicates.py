"""The coordinators' duplicate queue, on both databases: both sides through the consent +
policy gate, the waterfall, decisions, merge and unmerge with history and notices,
decisions fed back into m, and the HTTP routes."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient

from hub import cli
from hub.api.app import create_app
from hub.domain.matching.model import CONFIRMED_FLAGS, default_model
from hub.errors import InvalidDecision, NothingToUnmerge, ReviewItemClosed
from hub.services.delivery.feed import read_feed
from hub.services.matching import duplicates
from hub.services.matching.online import matching_model
from tests.factories import Credentials, record_consents
from tests.integration.dedup_world import (
    ACTOR,
    CCI,
    COMMUNE,
    COORDINATOR,
    NAMES_ONLY,
    PERSON,
    PFIL,
    fiche_of,
    links_of,
    porteur_of,
    push,
    world_in_process,  # noqa: F401  (the `world` fixture)
)
from tests.unit.matching.matching_factories import with_every_level

pytestmark = pytest.mark.integration


@pytest.fixture
def queued(world):
    """A commune's full fiche and a chamber's names-only fiche of the same person: queued."""
    hub, _clock = world
    full = fiche_of(COMMUNE, "A-1", PERSON)
    full["accompagnement"][0].update(structure=COMMUNE.member_id, notes="NOTE-CONFIDENTIELLE")
    push(hub, COMMUNE, full)
    push(hub, CCI, fiche_of(CCI, "C-1", NAMES_ONLY))
    [item] = duplicates.list_review_items(hub, actor=ACTOR)["items"]
    return hub, item


def _notices(hub, caller, event):
    return [d for d in read_feed(hub, caller, 0, 500)["deliveries"] if d["evenement"] == event]


def test_the_queue_shows_both_sides_as_the_coordination_may_see_them_and_the_waterfall(queued):
    _hub, item = queued
    chamber_side, commune_side = item["cotes"]  # the new fiche, then the candidate
    assert commune_side["fiche"]["porteur"]["date_naissance"] == PERSON["date_naissance"]
    assert chamber_side["fiche"]["porteur"]["nom"] == "Chassaing"
    assert "NOTE-CONFIDENTIELLE" not in json.dumps(item)  # notes go to the referent only
    assert commune_side["finalite"] == "accompagnement" and "porteur.nom" in commune_side["champs"]
    explanation = item["explication"]
    assert {"a_priori", "champs", "total", "probabilite", "lignes"} <= set(explanation)
    assert {t["champ"]: t["niveau"] for t in explanation["champs"]}["date_naissance"] == "missing"
    assert explanation["lignes"][0].startswith("a priori :")
    assert explanation["lignes"][-1].startswith("total :")


def test_every_view_of_the_queue_is_an_access_event_without_personal_values(queued):
    hub, item = queued
    duplicates.get_review_item(hub, item["id"], actor=ACTOR)
    views = hub.audit.search(member=ACTOR, action="porteur_view")
    assert len(views) == 4  # two sides, listed once and read once
    assert all(e.porteur_ref and len(e.porteur_ref) == 64 for e in views)
    assert "porteur.nom" in views[0].fields
    assert hub.audit.search(member=ACTOR, action="console_view")
    logged = json.dumps([e.to_dict() for e in hub.audit.search(limit=10_000)])
    assert "Chassaing" not in logged and item["cotes"][0]["porteur_id"] not in logged


def test_a_side_the_consent_does_not_open_to_the_coordination_is_shown_empty(world):
    hub, _clock = world
    fiche = fiche_of(COMMUNE, "A-1", PERSON)
    record_consents(hub, [fiche], roles_destinataires=["accompagnement"])
    push(hub, COMMUNE, fiche, consent=False)
    push(hub, CCI, fiche_of(CCI, "C-1", NAMES_ONLY))
    [item] = duplicates.list_review_items(hub, actor=ACTOR)["items"]
    assert item["cotes"][1]["fiche"] == {} and item["cotes"][1]["champs"] == []
    assert item["cotes"][0]["fiche"]["porteur"]["nom"] == "Chassaing"
    assert hub.audit.search(member=ACTOR, action="porteur_view")[1].outcome == "denied"


def test_same_merges_the_porteurs_moves_the_links_and_keeps_the_history(queued):
    hub, item = queued
    provisional, kept = (side["porteur_id"] for side in item["cotes"])
    answer = duplicates.decide(hub, item["id"], "same", confirmed=CONFIRMED_FLAGS, actor=ACTOR)
    assert answer["porteur_id"] == kept == porteur_of(hub, CCI, "C-1")
    old, new = links_of(hub, CCI, "C-1")
    assert old.porteur_id == provisional and old.unlinked_at is not None
    assert new.porteur_id == kept and new.method == "review" and new.unlinked_at is None
    [event] = duplicates.merge_history(hub, kept)
    assert (event["type"], event["autre_porteur_id"]) == ("fusion", provisional)
    assert event["fiches"] == [{"membre": CCI.member_id, "fiche_id": "C-1"}]
    assert duplicates.list_review_items(hub)["items"] == []
    with hub.uow() as uow:
        assert uow.matching.porteur_status(provisional) == "merged"


def test_members_concerned_get_a_merged_notice_carrying_pseudonymous_ids_only(queued):
    hub, item = queued
    duplicates.decide(hub, item["id"], "same", confirmed=CONFIRMED_FLAGS, actor=ACTOR)
    for member in (COMMUNE, CCI, PFIL):  # two owners, and the PFIL that received A-1
        [notice] = _notices(hub, member, "merged")
        assert set(notice) == {"delivery_id", "evenement", "porteur_id", "porteur_fusionne",
                               "fusion", "position"}
    assert _notices(hub, COORDINATOR, "merged") == []  # never received anything


def test_merge_and_separation_notices_name_the_change_by_an_id_that_counts_nothing(queued):
    """The notices carried the merge events' own numbers, counted over the whole network:
    a member given two learnt how many merges and separations the coordination made
    meanwhile. They carry an id keyed by a secret of the hub, one per change."""
    hub, item = queued
    kept = item["cotes"][1]["porteur_id"]
    duplicates.decide(hub, item["id"], "same", confirmed=CONFIRMED_FLAGS, actor=ACTOR)
    duplicates.unmerge(hub, kept, CCI.member_id, "C-1", actor=ACTOR)
    numbers = {str(e["id"]) for e in duplicates.merge_history(hub, kept)}
    [merged] = _notices(hub, COMMUNE, "merged")
    [unmerged] = _notices(hub, COMMUNE, "unmerged")
    given = [merged["fusion"], unmerged["separation"]]
    assert all(isinstance(g, str) and re.fullmatch(r"(fus|sep)_[0-9a-f]{24}", g) for g in given)
    assert given[0] != given[1] and not numbers & set(given)
    assert [n["fusion"] for n in _notices(hub, CCI, "merged")] == [given[0]]


def test_a_member_the_consent_keeps_out_gets_no_merged_notice(world):
    hub, _clock = world
    fiches = [fiche_of(COMMUNE, "A-1", PERSON), fiche_of(CCI, "C-1", NAMES_ONLY)]
    record_consents(hub, fiches, roles_destinataires=["accueil", "accompagnement",
                                                      "coordination"])
    push(hub, COMMUNE, fiches[0], consent=False)
    push(hub, CCI, fiches[1], consent=False)
    [item] = duplicates.list_review_items(hub, actor=ACTOR)["items"]
    duplicates.decide(hub, item["id"], "same", confirmed=CONFIRMED_FLAGS, actor=ACTOR)
    assert _notices(hub, PFIL, "merged") == [] and len(_notices(hub, CCI, "merged")) == 1


def test_unmerge_gives_the_fiche_back_its_former_porteur_and_keeps_both_events(queued):
    hub, item = queued
    provisional, kept = (side["porteur_id"] for side in item["cotes"])
    duplicates.decide(hub, item["id"], "same", confirmed=CONFIRMED_FLAGS, actor=ACTOR)
    answer = duplicates.unmerge(hub, kept, CCI.member_id, "C-1", actor=ACTOR)
    assert answer["autre_porteur_id"] == provisional == porteur_of(hub, CCI, "C-1")
    assert porteur_of(hub, COMMUNE, "A-1") == kept
    assert [e["type"] for e in duplicates.merge_history(hub, kept)] == ["separation", "fusion"]
    assert [link.method for link in links_of(hub, CCI, "C-1")] == ["new", "review", "unmerge"]
    assert len(_notices(hub, COMMUNE, "unmerged")) == 1
    with hub.uow() as uow:  # the split is remembered as "different"
        fiches = uow.matching.fiches_of([kept, provisional])
        assert uow.matching.judged_different(fiches[kept], fiches[provisional])


def test_the_history_names_the_console_account_that_decided_each_merge_and_split(queued):
    hub, item = queued
    kept = item["cotes"][1]["porteur_id"]
    duplicates.decide(hub, item["id"], "same", confirmed=CONFIRMED_FLAGS,
                      actor=ACTOR, user="usr_coordinatrice")
    duplicates.unmerge(hub, kept, CCI.member_id, "C-1", actor=ACTOR, user="usr_secretaire")
    assert [(e["par"], e["par_compte"]) for e in duplicates.merge_history(hub, kept)] == [
        (ACTOR, "usr_secretaire"), (ACTOR, "usr_coordinatrice")]


def test_a_porteurs_only_fiche_cannot_be_unmerged(queued):
    hub, item = queued
    with pytest.raises(NothingToUnmerge):
        duplicates.unmerge(hub, item["cotes"][1]["porteur_id"], COMMUNE.member_id, "A-1",
                           actor=ACTOR)


def test_an_item_is_decided_once_and_only_with_a_known_decision(queued):
    hub, item = queued
    with pytest.raises(InvalidDecision):
        duplicates.decide(hub, item["id"], "peut-etre", actor=ACTOR)
    duplicates.decide(hub, item["id"], "unknown", actor=ACTOR)
    with pytest.raises(ReviewItemClosed):
        duplicates.decide(hub, item["id"], "same", confirmed=CONFIRMED_FLAGS, actor=ACTOR)


def test_decisions_feed_back_into_m(queued, tmp_path):
    hub, item = queued
    duplicates.decide(hub, item["id"], "same", confirmed=CONFIRMED_FLAGS, actor=ACTOR)
    refined = duplicates.retrain_from_decisions(hub, output=tmp_path / "model.json",
                                                pseudo_count=1)
    before = matching_model(hub)
    assert refined.m["nom"]["exact"] > before.m["nom"]["exact"]
    assert refined.m["courriel"] == before.m["courriel"]  # missing on one side: no evidence
    assert json.loads((tmp_path / "model.json").read_text())["apprentissage"][
        "paires_jugees_memes"] == 1


def test_the_queue_routes_are_for_the_coordination_only(queued, tmp_path):
    hub, item = queued
    coordinator = Credentials(tmp_path / "creds" / f"{ACTOR}.json")
    chamber = Credentials(tmp_path / "creds" / f"{CCI.member_id}.json")
    kept = item["cotes"][1]["porteur_id"]
    with TestClient(create_app(hub=hub)) as client:
        assert client.get("/v1/duplicates", headers=chamber.headers(
            "GET", "/v1/duplicates")).status_code == 403
        listed = client.get("/v1/duplicates", headers=coordinator.headers("GET", "/v1/duplicates"))
        assert listed.status_code == 200 and listed.json()["items"][0]["id"] == item["id"]
        path = f"/v1/duplicates/{item['id']}/decision"
        body = json.dumps({"decision": "same", "revision": item["revision"],
                           "confirme": duplicates.flags_of(item["explication"])}).encode()
        decided = client.post(path, content=body, headers=coordinator.headers("POST", path, body))
        assert decided.status_code == 200 and decided.json()["porteur_id"] == kept
        again = client.post(path, content=body, headers=coordinator.headers("POST", path, body))
        assert again.status_code == 409 and again.json()["error"]["code"] == "review_item_closed"
        path = f"/v1/porteurs/{kept}/unmerge"
        body = json.dumps({"membre": CCI.member_id, "fiche_id": "C-1"}).encode()
        split = client.post(path, content=body, headers=coordinator.headers("POST", path, body))
        assert split.status_code == 200 and split.json()["fiches"][0]["fiche_id"] == "C-1"
        history = client.get("/v1/duplicates/history",
                             headers=coordinator.headers("GET", "/v1/duplicates/history"))
        assert [e["type"] for e in history.json()["historique"]] == ["separation", "fusion"]


def test_an_erasure_takes_the_fiche_out_of_the_index_and_closes_its_review_items(queued):
    from hub.services.privacy import erasure

    hub, item = queued
    erasure.request_erasure(hub, CCI, {"fiche_id": "C-1"})
    assert duplicates.list_review_items(hub, actor=ACTOR)["items"] == []
    with pytest.raises(ReviewItemClosed):
        duplicates.decide(hub, item["id"], "same", confirmed=CONFIRMED_FLAGS, actor=ACTOR)
    push(hub, PFIL, fiche_of(PFIL, "P-1", NAMES_ONLY))  # the erased fiche is no candidate
    items = duplicates.list_review_items(hub, actor=ACTOR)["items"]
    assert all(side["fiche_id"] != "C-1" for i in items for side in i["cotes"])


def test_the_explanation_agrees_with_itself_on_absent_fields_in_the_api_and_the_console(queued):
    """A field is missing exactly when a side had no value; it then weighs 0, its label
    says which side, and the console's row and waterfall say the same with 0 points."""
    from hub.services.console.duplicates_console import _row, waterfall

    _hub, item = queued
    explanation = item["explication"]
    terms = explanation["champs"]
    missing = [t for t in terms if t["niveau"] == "missing"]
    assert missing
    for term in terms:
        sides = term["renseigne"]
        assert (term["niveau"] == "missing") == (not (sides["gauche"] and sides["droite"]))
    for term in missing:
        assert term["poids"] == 0 and term["libelle"].startswith("absent")
        assert f"{term['champ']} : {term['libelle']}, 0 (ne compte pas)" in explanation["lignes"]
    steps = {s["champ"]: s for s in waterfall(explanation)["etapes"]}
    date = next(t for t in missing if t["champ"] == "date_naissance")
    assert steps["Date de naissance"]["niveau"] == date["libelle"]
    assert steps["Date de naissance"]["poids"] == 0
    left, right = (side["fiche"] for side in item["cotes"])
    row = _row("Date de naissance", "porteur.date_naissance", date, left, right)
    assert (row["etat"], row["absence"], row["poids"]) == ("absent", date["libelle"], 0.0)


def _older_model_file(tmp_path):
    """The shipped model as a file written before `m_veto` and the fuzzy phone and e-mail
    levels existed."""
    document = json.loads(default_model().to_json())
    document.pop("m_veto")
    for table in ("m", "u"):
        for field, former in (("telephone", "exact"), ("courriel", "different")):
            document[table][field][former] += document[table][field].pop("fuzzy")
    path = tmp_path / "older.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_the_feedback_command_prints_an_older_model_files_notices_as_warnings(
        queued, tmp_path, monkeypatch, capsys):
    """`capactif dedup-feedback` on a model file written before `m_veto` and before the
    fuzzy levels: the hub's loader logs the file read; the refined file is written and
    keeps both states, and each of its notices (no personal data) goes to stderr once, as
    `capactif dedup` prints its warnings, naming the file written; a current file, none."""
    hub, item = queued
    duplicates.decide(hub, item["id"], "same", confirmed=CONFIRMED_FLAGS, actor=ACTOR)
    monkeypatch.setattr(cli, "_hub", lambda: hub)
    out = tmp_path / "refined.json"
    older = _older_model_file(tmp_path)
    assert cli.main(["dedup-feedback", "--model", str(older), "--model-out", str(out)]) == 0
    printed = capsys.readouterr()
    assert printed.out == f"modèle écrit dans {out} (1 paires jugées identiques)\n"
    logged = [n for n in printed.err.splitlines() if "HUB_MATCHING_MODEL_FILE" in n]
    assert len(logged) == 2 and all(str(older) in n for n in logged)  # the file read
    notices = [n for n in printed.err.splitlines() if n not in logged]
    assert len(notices) == 2  # the file written
    assert all(n.startswith("avertissement / warning : ") and str(out) in n for n in notices)
    assert "m_veto" in notices[0]
    assert "telephone fuzzy (← exact)" in notices[1] and "courriel fuzzy (← different)" in notices[1]
    for value in ("Chassaing", "chassaing", "1988", "04 73"):
        assert value not in printed.err
    current = tmp_path / "current.json"
    current.write_text(json.dumps(with_every_level(json.loads(default_model().to_json()))),
                       encoding="utf-8")
    assert cli.main(["dedup-feedback", "--model", str(current), "--model-out", str(out)]) == 0
    assert capsys.readouterr().err == ""
