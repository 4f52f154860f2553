"""One purpose per credential, and refusals counted but never believed (issue 12, items
4 and 6), over HTTP on both databases."""

from __future__ import annotations

import json
import secrets

import pytest
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts.auth import Caller
from hub.services.accounts.members import load_network
from hub.services.audit.alerts import unusual_accesses
from hub.services.ingest import accept as ingest
from tests.factories import Clock, Credentials, make_fiche, record_consents
from tests.fakes.publisher import RecordingPublisher

pytestmark = pytest.mark.integration

MEMBER, DPO_MEMBER = "cci-thiers", "pnr-livradois"
LIMIT = 20


@pytest.fixture
def world(db_url, tmp_path):
    members = [
        {"id": MEMBER, "nom": "CCI", "nature": "cci", "role": "accompagnement",
         "contact": {"courriel": "a@exemple.fr"}, "dpo": {"portee": "membre"}},
        {"id": DPO_MEMBER, "nom": "Parc", "nature": "pnr", "role": "coordination",
         "contact": {"courriel": "b@exemple.fr"}, "dpo": {"portee": "reseau"}},
    ]
    (tmp_path / "network.json").write_text(json.dumps({"reseau": "t", "membres": members}))
    clock = Clock()
    settings = Settings(data_dir=tmp_path / "d", database_url=db_url, auth_refusal_limit=LIMIT,
                        auth_refusal_window_s=60)
    hub = Hub.from_settings(settings, publisher=RecordingPublisher(), clock=clock)
    load_network(hub, tmp_path / "network.json", tmp_path / "creds")
    with TestClient(create_app(hub=hub)) as client:
        yield hub, clock, client, lambda name: Credentials(tmp_path / "creds" / f"{name}.json")
    hub.close()


def call(client, creds, method, path, body=b""):
    headers = creds.headers(method, path, body, timestamp=int(client.app.state.hub.clock()
                                                               .timestamp()))
    return client.request(method, path, content=body, headers=headers)


def logins(hub):
    return [e for e in hub.audit.search(action="login")]



def test_a_body_refused_before_it_is_read_for_want_of_a_token_counts_as_a_refusal(world):
    """A push with no token is refused on its headers, before its body is read (so that
    `Expect: 100-continue` gets its 401 at once): still a refused authentication of the
    source, which is held back past the limit like any other."""
    _hub, _clock, client, _creds = world
    body = b'{"fiches": []}'
    answers = [client.post("/v1/fiches", content=body,
                           headers={"Content-Type": "application/json"}).status_code
               for _ in range(LIMIT + 2)]
    assert answers == [401] * LIMIT + [429] * 2

def test_unauthenticated_requests_are_never_logged_in_the_name_they_claim(world):
    hub, clock, client, _creds = world
    forged = {"Authorization": f"Bearer {MEMBER}.{secrets.token_urlsafe(16)}"}
    invented = {"Authorization": "Bearer membre-invente.secret"}
    answers = [client.get("/v1/feed", headers=forged if n % 2 else invented).status_code
               for n in range(LIMIT + 5)]
    assert answers == [401] * LIMIT + [429] * 5
    blocked = client.get("/v1/feed", headers=forged)
    error = blocked.json()["error"]
    assert error["code"] == "too_many_refusals" and error["message_fr"]
    assert 1 <= int(blocked.headers["Retry-After"]) <= 60
    assert logins(hub) == []  # nothing logged in anyone's name, and nothing invented

    clock.advance(seconds=61)  # the window closes into one aggregated event
    assert client.get("/v1/feed", headers=forged).status_code == 401
    events = logins(hub)
    assert [(e.actor_member, e.outcome, e.actor_user, e.fields) for e in events] == [
        ("non-authentifie", "denied", "source:testclient", (f"tentatives.{LIMIT}",))]
    assert {e.actor_member for e in hub.audit.search()} <= {"non-authentifie"}
    assert [a for a in unusual_accesses(hub) if a.member_id == MEMBER] == []


def test_a_refusal_after_the_members_token_checked_out_is_attributed_to_it(world):
    hub, _clock, client, creds = world
    member = creds(MEMBER)
    headers = member.headers("GET", "/v1/feed", timestamp=int(hub.clock().timestamp()))
    headers["X-Capactif-Signature"] = headers["X-Capactif-Signature"][::-1]  # bad signature
    assert client.get("/v1/feed", headers=headers).status_code == 401
    assert [(e.actor_member, e.outcome) for e in logins(hub)] == [(MEMBER, "denied")]


def test_a_dpo_credential_reads_the_audit_and_nothing_else(world):
    hub, _clock, client, creds = world
    dpo = creds(f"{DPO_MEMBER}.dpo")
    fiche = json.dumps({"fiches": [make_fiche(member=DPO_MEMBER)]}).encode()
    refused = [call(client, dpo, "POST", "/v1/fiches", fiche),
               call(client, dpo, "POST", "/v1/consents", b"{}"),
               call(client, dpo, "GET", "/v1/feed"),
               call(client, dpo, "PUT", "/v1/subscriptions", b'{"abonnements": []}'),
               call(client, dpo, "GET", "/v1/duplicates"),
               call(client, dpo, "GET", "/v1/subscriptions")]
    assert [r.status_code for r in refused] == [403] * len(refused)
    assert {r.json()["error"]["code"] for r in refused} == {"forbidden"}
    with hub.uow() as uow:
        assert uow.fiches.porteur_of(DPO_MEMBER, "F-0001") is None
    assert call(client, dpo, "GET", "/v1/audit").status_code == 200
    caused = [e for e in hub.audit.search() if e.actor_member == DPO_MEMBER]
    assert caused and {e.actor_user for e in caused} == {"dpo"}


def test_operational_credentials_never_read_the_audit(world):
    hub, _clock, client, creds = world
    member = creds(MEMBER)
    fiche = make_fiche(member=MEMBER, fiche_id="F-1")
    record_consents(hub, [fiche])
    ingest.push_batch(hub, Caller(MEMBER, "", "cci", "accompagnement"), [fiche])
    for path in ("/v1/audit", "/v1/audit/fiches/F-1/report", "/v1/audit/alerts",
                 "/v1/audit/export"):
        assert call(client, member, "GET", path).status_code == 403, path
    assert call(client, creds(f"{MEMBER}.dpo"), "GET", "/v1/audit/fiches/F-1/report") \
        .status_code == 200


def test_refusals_counted_in_an_open_window_are_logged_when_the_api_stops(world):
    hub, _clock, _client, _creds = world
    with TestClient(create_app(hub=hub)) as other_process:
        for _ in range(3):
            assert other_process.get("/v1/feed").status_code == 401
    assert [(e.actor_member, e.fields) for e in logins(hub)] == [
        ("non-authentifie", ("tentatives.3",))]


def test_the_hub_wiring_never_prints_its_keys(world):
    hub = world[0]
    printed = repr(hub) + str(hub) + repr([hub])
    keks = [hub.keyring.kek(b, g) for b, g in sorted(hub.keyring.generations())[:3]]
    for secret in (hub.store_keys.digest_key, hub.pseudonym_key, *keks):
        assert repr(secret) not in printed and secret.hex() not in printed
    assert "database_url" in printed
