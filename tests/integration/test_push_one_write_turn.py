"""A push writes its request nonce, its fiches with their outbox rows and its access event
in one transaction (on SQLite, one turn among the writers instead of three, each of which
waited for the worker's transaction under way), with the guarantees of three: a replayed
nonce is refused, the access event commits with what it records or not at all, and a
request refused after its signature checked out still has its nonce remembered. On both
databases."""

from __future__ import annotations

import json
import threading

import pytest
import sqlalchemy as sa

import hub.audit.log as audit_log
from hub.errors import ReplayedRequest
from hub.services.accounts import auth
from hub.services.ingest import accept as ingest
from hub.store.engine import BEGIN_OPTION
from tests.factories import make_fiche, record_consents

pytestmark = pytest.mark.integration

OWNER = "cci-puy-de-dome"


def _body(*fiches) -> bytes:
    return json.dumps({"fiches": list(fiches)}).encode()


def _signed(client, creds, body: bytes, target: str = "/v1/fiches") -> dict[str, str]:
    fiches = [f for f in json.loads(body)["fiches"] if isinstance(f, dict)
              and f.get("membre") == creds.member_id]
    record_consents(client.app.state.hub, fiches)
    return creds.headers("POST", target, body)


def _fiches_stored(hub) -> int:
    with hub.uow() as uow:
        return uow.fiches.counts()["fiches"]


class _WriteTransactions:
    """Counts the transactions begun to write (BEGIN IMMEDIATE on SQLite: a writer's
    turn), not the readers' (the consent registry's, deferred)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.count = 0
        self._lock = threading.Lock()
        sa.event.listen(engine, "begin", self._began)

    def _began(self, connection: sa.Connection) -> None:
        if connection.get_execution_options().get(BEGIN_OPTION, "IMMEDIATE") == "IMMEDIATE":
            with self._lock:
                self.count += 1


def test_a_push_writes_its_nonce_fiches_and_access_event_in_one_transaction(
        client, credentials, hub):
    creds = credentials[OWNER]
    body = _body(make_fiche(fiche_id="F-1"), make_fiche(fiche_id="F-2"))
    headers = _signed(client, creds, body)
    writes = _WriteTransactions(hub.engine)
    response = client.post("/v1/fiches", content=body, headers=headers)
    assert response.status_code == 202 and response.json()["accepted"] == 2
    assert writes.count == 1
    [pushed] = hub.audit.search(action="fiche_push")
    assert pushed.outcome == "allowed" and len(pushed.fiche_refs) == 2
    replay = client.post("/v1/fiches", content=body, headers=headers)
    assert (replay.status_code, replay.json()["error"]["code"]) == (401, "replayed_request")
    assert len(hub.audit.search(action="fiche_push")) == 1


def test_a_refused_batch_writes_its_nonce_and_denied_event_in_one_transaction(
        client, credentials, hub):
    bad = make_fiche(fiche_id="F-3")
    bad["projet"]["siret"] = "12345678901234"
    body = _body(bad)
    headers = _signed(client, credentials[OWNER], body)
    writes = _WriteTransactions(hub.engine)
    response = client.post("/v1/fiches", content=body, headers=headers)
    assert response.status_code == 202 and response.json()["rejected"] == 1
    assert writes.count == 1
    [pushed] = hub.audit.search(action="fiche_push")
    assert pushed.outcome == "denied" and pushed.fiche_refs == ()
    replay = client.post("/v1/fiches", content=body, headers=headers)
    assert (replay.status_code, replay.json()["error"]["code"]) == (401, "replayed_request")


def test_a_push_whose_access_event_cannot_be_written_stores_no_fiche(
        client, credentials, hub, monkeypatch):
    body = _body(make_fiche(fiche_id="F-4"))
    headers = _signed(client, credentials[OWNER], body)
    real_insert = audit_log._insert

    def failing(conn, prepared, *limits):
        if any(b"fiche_push" in str(p).encode() for p in prepared):
            raise sa.exc.OperationalError("INSERT INTO audit_entries", None,
                                          Exception("disk I/O error"))
        return real_insert(conn, prepared, *limits)

    monkeypatch.setattr(audit_log, "_insert", failing)
    response = client.post("/v1/fiches", content=body, headers=headers)
    assert response.status_code == 503
    assert _fiches_stored(hub) == 0 and hub.publisher.published == []
    monkeypatch.setattr(audit_log, "_insert", real_insert)
    # The nonce is still remembered (as when it was written before the fiches).
    replay = client.post("/v1/fiches", content=body, headers=headers)
    assert (replay.status_code, replay.json()["error"]["code"]) == (401, "replayed_request")
    assert _fiches_stored(hub) == 0 and hub.audit.search(action="fiche_push") == []


@pytest.mark.parametrize("case", ["another_members_fiche", "not_a_batch", "unknown_parameter"])
def test_the_nonce_of_a_push_refused_after_its_signature_is_remembered(
        client, credentials, hub, case):
    creds, target = credentials[OWNER], "/v1/fiches"
    body = {"another_members_fiche": _body(make_fiche(member="pfil-livradois-forez")),
            "not_a_batch": b'{"fiches": []}',
            "unknown_parameter": _body(make_fiche(fiche_id="F-5"))}[case]
    if case == "unknown_parameter":
        target = "/v1/fiches?dry_run=1"
    headers = _signed(client, creds, body, target)
    first = client.post(target, content=body, headers=headers)
    assert first.status_code in (400, 403, 422)
    replay = client.post(target, content=body, headers=headers)
    assert (replay.status_code, replay.json()["error"]["code"]) == (401, "replayed_request")
    assert _fiches_stored(hub) == 0


def test_of_two_pushes_of_one_signed_request_checked_together_only_one_is_stored(
        client, credentials, hub):
    """Both pass the signature check before either is stored (two API threads or
    processes): the second meets the nonce in its own transaction, is refused as a
    replay, counted as a refused authentication, and stores nothing."""
    creds = credentials[OWNER]
    body = _body(make_fiche(fiche_id="F-6"))
    headers = {k.lower(): v for k, v in _signed(client, creds, body).items()}
    checked = [auth.authenticate_deferring_nonce(hub, headers, "POST", "/v1/fiches", body,
                                                 source="10.0.0.9") for _ in range(2)]
    (caller, nonce), (_, same_nonce) = checked
    with auth.nonce_kept(hub, nonce, "10.0.0.9"):
        first = ingest.push_batch(hub, caller, json.loads(body)["fiches"], nonce=nonce)
    assert first["accepted"] == 1
    with pytest.raises(ReplayedRequest), auth.nonce_kept(hub, same_nonce, "10.0.0.9"):
        ingest.push_batch(hub, caller, json.loads(body)["fiches"], nonce=same_nonce)
    assert len(hub.audit.search(action="fiche_push")) == 1
    assert len(hub.publisher.published) == 1
    assert hub.refusals.count("10.0.0.9", hub.clock()) == 1
    [denied] = hub.audit.search(action="login")
    assert (denied.actor_member, denied.outcome) == (OWNER, "denied")
