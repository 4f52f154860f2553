"""A member removing many of its fiches at once (`POST /v1/fiches/{member}/withdrawals`):
one erasure for the batch (one rotation per bucket, one journal entry naming every fiche,
one transaction), each id answered on its own in the error envelope's words, another
member's fiche answered as an unknown one and left untouched; a restore from a copy
taken before replays it. Over HTTP, on both stores."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.errors import NotFound
from hub.journal import RecoveryJournal
from hub.services.audit.trail import fiche_ref, porteur_ref
from hub.services.delivery import webhooks
from hub.services.ingest import accept as ingest
from hub.services.ingest import processing
from hub.services.ingest.fiches import read_own_fiche
from hub.services.ops import recovery
from hub.services.privacy import erasure
from hub.store.audit_tables import audit_entries
from tests.factories import Credentials, make_fiche, other_porteur, record_consents
from tests.fakes.publisher import RecordingPublisher
from tests.integration.world import OWNER, THIERS, fiche, push_and_process

pytestmark = pytest.mark.integration
PATH = f"/v1/fiches/{OWNER.member_id}/withdrawals"


def _fiche(fiche_id: str, n: int) -> dict[str, Any]:
    document = fiche(fiche_id)
    document["porteur"] = other_porteur(n)
    return document


def _withdraw(hub: Hub, tmp_path, body: Any, *, raw: bytes | None = None) -> Any:
    content = raw if raw is not None else json.dumps(body).encode()
    creds = Credentials(tmp_path / "creds" / f"{OWNER.member_id}.json")
    with TestClient(create_app(hub=hub)) as client:
        return client.post(PATH, content=content, headers=creds.rfc9421_headers("POST", PATH, content))


def _pks(hub: Hub, member: str, *fiche_ids: str) -> list[int]:
    with hub.uow() as uow:
        return [uow.fiches.get(member, i).id for i in fiche_ids]


def _erasure_entries(hub: Hub) -> list[dict[str, Any]]:
    return [e for e in RecoveryJournal(hub.settings.key_folder).entries() if e["type"] == "erasure"]


def test_a_batch_is_one_erasure_every_recipient_told_and_a_restore_replays_it(network, tmp_path):
    hub, _clock, cci, _pfil = network
    push_and_process(hub, *(_fiche(f"F-{n}", n) for n in (1, 2, 3)))
    webhooks.dispatch_webhooks(hub)
    pks = _pks(hub, OWNER.member_id, "F-1", "F-2")
    recovery.backup(hub, tmp_path / "copy")
    rotations_before = sum(
        1 for e in RecoveryJournal(hub.settings.key_folder).entries() if e["type"] == "rotation"
    )

    answer = _withdraw(hub, tmp_path, {"fiche_ids": ["F-1", "F-2"]})

    assert answer.status_code == 200, answer.text
    done = answer.json()
    assert [(r["fiche_id"], r["statut"]) for r in done["resultats"]] == [
        ("F-1", "effacee"),
        ("F-2", "effacee"),
    ]
    assert (done["effacees"], done["refusees"], done["termine"]) == (2, 0, True)
    assert "cci-thiers" in done["avis_envoyes"]
    [entry] = _erasure_entries(hub)
    assert (entry["id"], sorted(entry["fiche_pks"]), entry["scope"]) == (
        done["effacement"],
        sorted(pks),
        "fiche",
    )
    rotations = [e for e in RecoveryJournal(hub.settings.key_folder).entries() if e["type"] == "rotation"]
    assert len(rotations) == rotations_before + 1 and rotations[-1]["erasure"] == entry["id"]
    webhooks.dispatch_webhooks(hub)
    [notice] = [d for d in cci.documents() if d["evenement"] == "erased"]
    sent = {d["source"]["fiche_id"]: d["delivery_id"] for d in cci.documents() if d["evenement"] == "created"}
    assert sorted((s["fiche_id"], s["livraisons"]) for s in notice["sources"]) == [
        ("F-1", [sent["F-1"]]),
        ("F-2", [sent["F-2"]]),
    ]
    assert notice["motif"] == "retrait_par_le_membre"
    with hub.engine.connect() as conn:
        actions = list(conn.scalars(sa.select(audit_entries.c.action)))
    assert actions.count("erasure") == 2  # one erasure, in each of its two porteurs' trails
    for fiche_id in ("F-1", "F-2"):
        with pytest.raises(NotFound):
            read_own_fiche(hub, OWNER, OWNER.member_id, fiche_id)
    assert read_own_fiche(hub, OWNER, OWNER.member_id, "F-3")["fiche"]["fiche_id"] == "F-3"

    hub.close()
    recovery.restore(hub.settings, tmp_path / "copy")
    restored = Hub.from_settings(hub.settings, publisher=RecordingPublisher(), clock=hub.clock)
    try:
        with restored.uow() as uow:
            assert uow.keys.erased(pks) == set(pks)
            assert uow.erasures.get(done["effacement"]) is not None
        for fiche_id in ("F-1", "F-2"):
            with pytest.raises(NotFound):
                read_own_fiche(restored, OWNER, OWNER.member_id, fiche_id)
        assert read_own_fiche(restored, OWNER, OWNER.member_id, "F-3")["version"] == 1
    finally:
        restored.close()


def test_a_mixed_batch_answers_each_id_and_another_member_s_fiche_is_an_unknown_one(network, tmp_path):
    hub, _clock, _cci, _pfil = network
    push_and_process(hub, _fiche("F-1", 1), _fiche("F-2", 2))  # deliveries still pending
    theirs = make_fiche(member=THIERS.member_id, fiche_id="T-1", porteur=other_porteur(9))
    record_consents(hub, [theirs])
    assert ingest.push_batch(hub, THIERS, [theirs])["accepted"] == 1
    processing.process_outbox(hub, hub.publisher.published[-1])
    erasure.delete_fiche(hub, OWNER, OWNER.member_id, "F-2")
    [their_pk] = _pks(hub, THIERS.member_id, "T-1")
    [own_pk] = _pks(hub, OWNER.member_id, "F-1")

    answer = _withdraw(hub, tmp_path, {"fiche_ids": ["F-1", "NOPE", "T-1", "F-1", "F-2"]})

    assert answer.status_code == 200, answer.text
    done = answer.json()
    lines = {r["fiche_id"]: r for r in done["resultats"]}
    assert [r["fiche_id"] for r in done["resultats"]] == ["F-1", "NOPE", "T-1", "F-2"]
    assert lines["F-1"] == {"fiche_id": "F-1", "statut": "effacee"}
    assert lines["NOPE"]["error"]["code"] == "not_found"
    # another member's id: the very answer an unknown id gets
    assert {k: v for k, v in lines["T-1"].items() if k != "fiche_id"} == {
        k: v for k, v in lines["NOPE"].items() if k != "fiche_id"
    }
    # F-2 was removed already: its id is free, as after the single DELETE (404 there too)
    assert lines["F-2"]["error"]["code"] == "not_found"
    assert (done["effacees"], done["refusees"]) == (1, 3)
    assert done["livraisons_annulees"] >= 1  # F-1's deliveries not sent yet: cancelled
    with hub.uow() as uow:
        assert not uow.keys.erased([their_pk])
    assert read_own_fiche(hub, THIERS, THIERS.member_id, "T-1")["fiche"]["fiche_id"] == "T-1"
    [entry] = [e for e in _erasure_entries(hub) if e["id"] == done["effacement"]]
    assert entry["fiche_pks"] == [own_pk]


def test_a_batch_of_fiches_already_erased_erases_nothing_and_says_so(network, tmp_path):
    hub, _clock, _cci, _pfil = network
    push_and_process(hub, _fiche("F-1", 1))
    erasure.request_erasure(hub, OWNER, {"fiche_id": "F-1"})  # the porteur's: the id stays

    answer = _withdraw(hub, tmp_path, {"fiche_ids": ["F-1"]})

    assert answer.status_code == 200, answer.text
    done = answer.json()
    assert (done["effacement"], done["effacees"]) == (None, 0)
    assert done["resultats"][0]["error"]["code"] == "already_erased"
    assert len(_erasure_entries(hub)) == 1


def test_another_member_s_path_is_refused_before_the_body_is_read(network, tmp_path):
    hub, _clock, _cci, _pfil = network
    path = f"/v1/fiches/{THIERS.member_id}/withdrawals"
    content = b'{"fiche_ids": ["T-1"]}'
    creds = Credentials(tmp_path / "creds" / f"{OWNER.member_id}.json")
    with TestClient(create_app(hub=hub)) as client:
        answer = client.post(path, content=content, headers=creds.rfc9421_headers("POST", path, content))
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "forbidden"


BAD_BODIES = [
    b"",
    b"not json",
    b"[]",
    b"null",
    b"{}",
    b'{"fiche_ids": []}',
    b'{"fiche_ids": "F-1"}',
    b'{"fiche_ids": [1]}',
    b'{"fiche_ids": [null]}',
    b'{"fiche_ids": [["F-1"]]}',
    b'{"fiche_ids": [{"id": "F-1"}]}',
    b'{"fiche_ids": [""]}',
    b'{"fiche_ids": ["F 1"]}',
    b'{"fiche_ids": ["\\u00e9t\\u00e9"]}',
    b'{"fiche_ids": ["F-1\\u0000"]}',
    b'{"fiche_ids": ["F-1"], "autre": 1}',
    b'{"fiche_ids": ["F-1"], "fiche_ids": ["F-2"]}',
    json.dumps({"fiche_ids": ["F" + "x" * 100_000]}).encode(),
    json.dumps({"fiche_ids": [f"F-{n}" for n in range(erasure.MAX_WITHDRAWALS + 1)]}).encode(),
    b'{"fiche_ids": ' + b"[" * 500 + b"]" * 500 + b"}",
    b'{"fiche_ids": [1e999]}',
    b'{"fiche_ids": [true]}',
    b"\xff\xfe",
]


def test_bodies_of_every_wrong_shape_are_4xx_in_the_envelope_never_500(network, tmp_path):
    hub, _clock, _cci, _pfil = network
    push_and_process(hub, _fiche("F-1", 1))
    for body in BAD_BODIES:
        answer = _withdraw(hub, tmp_path, None, raw=body)
        assert 400 <= answer.status_code < 500, (body[:60], answer.status_code, answer.text)
        error = answer.json()["error"]
        assert {"code", "message_fr", "message_en"} <= error.keys(), body[:60]
        assert "x" * 100 not in answer.text
    assert read_own_fiche(hub, OWNER, OWNER.member_id, "F-1")["version"] == 1  # untouched


def test_the_same_batch_sent_again_is_answered_its_erasure(network, tmp_path):
    """A batch whose answer never reached its caller, sent again (the same member, the
    same ids, in any order): answered that erasure, each id `effacee`, as the single
    `DELETE` is ("An answer lost"); before, every id read `not_found` (removed), so the
    caller was told nothing was withdrawn."""
    hub, _clock, _cci, _pfil = network
    push_and_process(hub, *(_fiche(f"F-{n}", n) for n in (1, 2, 3)))
    first = _withdraw(hub, tmp_path, {"fiche_ids": ["F-1", "NOPE", "F-2"]}).json()

    again = _withdraw(hub, tmp_path, {"fiche_ids": ["F-2", "F-1", "NOPE"]})

    assert again.status_code == 200, again.text
    kept = again.json()
    assert [r["fiche_id"] for r in kept["resultats"]] == ["F-2", "F-1", "NOPE"]  # as sent
    assert {**kept, "resultats": None} == {**first, "resultats": None}
    assert sorted(kept["resultats"], key=str) == sorted(first["resultats"], key=str)
    assert (first["effacees"], first["refusees"], first["termine"]) == (2, 1, True)
    assert len(_erasure_entries(hub)) == 1
    other = _withdraw(hub, tmp_path, {"fiche_ids": ["F-1"]}).json()  # another request
    assert (other["effacement"], other["resultats"][0]["error"]["code"]) == (None, "not_found")


def test_a_batch_spanning_porteurs_is_in_each_porteur_s_access_log(network, tmp_path):
    """The erasure's access event named no porteur when the batch spanned several: a DPO
    answering one of them (`porteur_ref`) did not find it. One `erasure` event per porteur,
    each naming its fiches; each notice names each source's porteur."""
    hub, _clock, cci, _pfil = network
    push_and_process(hub, *(_fiche(f"F-{n}", n) for n in (1, 2)))
    webhooks.dispatch_webhooks(hub)
    with hub.uow() as uow:
        porteurs = {i: uow.fiches.get(OWNER.member_id, i).porteur_id for i in ("F-1", "F-2")}
    assert len(set(porteurs.values())) == 2

    done = _withdraw(hub, tmp_path, {"fiche_ids": ["F-1", "F-2"]}).json()

    for fiche_id, porteur_id in porteurs.items():
        [event] = hub.audit.search(porteur_ref=porteur_ref(hub, porteur_id), action="erasure")
        assert event.fiche_refs == (fiche_ref(hub, OWNER.member_id, fiche_id),)
    webhooks.dispatch_webhooks(hub)
    [notice] = [d for d in cci.documents() if d["evenement"] == "erased"]
    assert notice["effacement"] == done["effacement"] and notice["porteur_id"] is None
    assert {s["fiche_id"]: s["porteur_id"] for s in notice["sources"]} == porteurs
