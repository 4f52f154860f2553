"""Found by an outside sweep of a running hub (a partner, a member's agent, a DPO, an
attacker): each case broke a rule of the public contract."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import urlsplit

import pytest

from capactif_demo.consent_examples import NOTICE_TEXT, example_submission
from tests.factories import make_fiche, record_consents
from tests.integration.contract_world import NETWORK, OWNER

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("path", ["/v1/feed/", "/v1/notices/", "/console"])
def test_a_redirect_never_sends_the_caller_to_the_host_its_request_named(contract, path):
    """The slash redirect was built from the Host header: a poisoned cache or a link
    through a proxy that passes Host sent the next request (and its token) elsewhere."""
    response = contract.client.get("http://testserver" + path, headers={"Host": "attaquant.example"},
                                   follow_redirects=False)
    assert response.status_code in (307, 308), response.text
    location = response.headers["location"]
    assert location.startswith("/") and location[1:2] not in ("/", "\\"), location
    assert "attaquant" not in location and urlsplit(location)[:2] == ("", "")


@pytest.mark.parametrize("given", [
    "Marie.Dupont-1985-03-12", "dupont.marie.orange.fr", "0612345678-appel",
    "1" * 8 + ":" + "Gaspard_Truchebeuf"])
def test_a_request_id_that_could_name_a_porteur_never_reaches_the_audit_trail(contract, given):
    """X-Request-Id is the caller's text: only an opaque form (a UUID) is kept; any other
    is replaced by the hub's own, in the answer and in every access event."""
    response = _push_with_request_id(contract, given)
    assert response.headers["X-Request-Id"] != given
    kept = {e.request_id for e in contract.hub.audit.search(limit=1000)}
    assert given not in kept and response.headers["X-Request-Id"] in kept


@pytest.mark.parametrize("given", [
    "3f2b8c1e-9d4a-4e7b-a1c2-5e6f7a8b9c0d", "3F2B8C1E-9D4A-0000-A1C2-5E6F7A8B9C0D",
    "0d2c5e3b9f1a4c7e8b6d2a9f3e1c5b7a"])
def test_a_uuid_or_nginx_request_id_is_kept_for_the_partner_to_match_its_own_logs(contract, given):
    """A UUID-shaped value (its version unchecked) or nginx's $request_id (32 hex digits)."""
    response = _push_with_request_id(contract, given)
    assert response.headers["X-Request-Id"] == given
    assert given in {e.request_id for e in contract.hub.audit.search(limit=1000)}


def _push_with_request_id(contract, given: str):
    body = json.dumps({"fiches": [make_fiche(member=OWNER, fiche_id="F-ID")]}).encode()
    headers = contract.creds(OWNER).rfc9421_headers("POST", "/v1/fiches", body)
    response = contract.client.post("/v1/fiches", content=body,
                                    headers={**headers, "X-Request-Id": given})
    assert response.status_code == 202, response.text
    assert contract.hub.audit.search(action="fiche_push")
    return response


def test_a_note_or_a_notice_that_reorders_its_text_is_refused_naming_the_code_point(contract):
    """Free texts go to partners' systems the hub cannot protect: an override there shows
    another text than the one the DPO reviewed (docs/protocol.md, "Invisible characters")."""
    fiche = make_fiche(member=OWNER, fiche_id="F-RLO")
    fiche["accompagnement"][0]["notes"] = "Prêt accordé\u202e refusé"
    [item] = contract.call(OWNER, "POST", "/v1/fiches", {"fiches": [fiche]}).json()["results"]
    assert item["status"] == "rejected"
    assert [(e["path"], e["code"]) for e in item["errors"]] == [
        ("$.accompagnement[0].notes", "format")]
    assert "U+202E" in item["errors"][0]["message_en"]
    notice = {"texte": "Vos données\u2066 servent à vous orienter.", "langue": "fr",
              "finalites": ["orientation"]}
    refused = contract.call(OWNER, "POST", "/v1/notices", notice)
    assert refused.status_code == 400, refused.text
    assert "U+2066" in refused.text and "servent" not in refused.text


def _signed_post(contract, target: str, body: bytes, **headers: str):
    signed = contract.creds(OWNER).rfc9421_headers("POST", target, body)
    return contract.client.post(target, content=body, headers={**signed, **headers})


@pytest.mark.parametrize("media_type", [
    "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
    "application/xml", "application/json; charset=utf-16", "text/json",
    # a repeated parameter: which one the JSON was written in is not said
    "application/json; charset=utf-8; charset=latin1",
    "application/json; charset=latin1; Charset=utf-8",
    "application/json; charset=utf-8; charset=utf-8"])
def test_a_body_sent_as_another_media_type_is_a_415(contract, media_type):
    """A form or a text body was read as JSON whatever its declared type (a text/plain
    POST is what a browser sends cross-site without asking)."""
    body = json.dumps({"fiches": [make_fiche(member=OWNER, fiche_id="F-CT")]}).encode()
    response = _signed_post(contract, "/v1/fiches", body, **{"Content-Type": media_type})
    assert response.status_code == 415, response.text
    assert response.json()["error"]["code"] == "unsupported_media_type"


@pytest.mark.parametrize("media_type", ["application/json", "application/json; charset=utf-8",
                                        "Application/JSON;charset=UTF-8",
                                        'application/json; charset="utf-8"',
                                        "application/vnd.capactif+json",
                                        "application/problem+json; charset=UTF-8"])
def test_json_declared_in_any_spelling_is_read(contract, media_type):
    body = json.dumps({"fiches": [make_fiche(member=OWNER, fiche_id="F-CT")]}).encode()
    response = _signed_post(contract, "/v1/fiches", body, **{"Content-Type": media_type})
    assert response.status_code == 202, response.text


def test_a_body_declared_identity_is_read_as_sent(contract):
    body = json.dumps({"fiches": [make_fiche(member=OWNER, fiche_id="F-CE")]}).encode()
    response = _signed_post(contract, "/v1/fiches", body,
                            **{"Content-Encoding": "identity", "Content-Type": "application/json"})
    assert response.status_code == 202, response.text


@pytest.mark.parametrize("encoding", ["gzip", "br", "deflate", "identity, gzip"])
def test_a_compressed_body_is_a_415_not_a_body_read_as_if_plain(contract, encoding):
    """The hub decodes no Content-Encoding: a gzip body was answered "not JSON", and a
    body labelled br but sent plain was read as if the label were absent."""
    body = json.dumps({"fiches": [make_fiche(member=OWNER, fiche_id="F-CE")]}).encode()
    response = _signed_post(contract, "/v1/fiches", body, **{"Content-Encoding": encoding})
    assert response.status_code == 415, response.text
    assert response.json()["error"]["code"] == "unsupported_encoding"


@pytest.mark.parametrize(("target", "body", "where"), [
    ("/v1/fiches", b'{"fiches":[{"membre":"cci-thiers","membre":"' + OWNER.encode()
     + b'","fiche_id":"F-1","version":1}]}', "$.fiches[0].membre"),
    ("/v1/fiches", b'{"fiches":[],"fiches":[{"membre":"x"}]}', "$.fiches"),
    ("/v1/consents/lookup", b'{"references":["A"],"references":["B"]}', "$.references"),
])
def test_a_body_with_a_key_twice_is_a_400_naming_where(contract, target, body, where):
    """Which of two values a JSON parser keeps is not the same everywhere (the hub kept
    the last `membre`, a partner's parser may keep the first): I-JSON (RFC 7493) forbids
    duplicate names, and the hub refuses them rather than pick one."""
    response = _signed_post(contract, target, body, **{"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "malformed_body" and where in error["message_en"]


@pytest.mark.parametrize("fiche_id", ["Marie Dupont", "F-１2", "F-1\n", "Dupont,Marie"])
def test_a_rejected_item_repeats_its_fiche_id_only_when_it_is_an_id(contract, fiche_id):
    """The answer repeated any fiche_id of at most 64 characters, even one the schema
    refuses (a name typed into the id column): a rejected item is known by its index."""
    fiche = make_fiche(member=OWNER, fiche_id="F-X")
    fiche["fiche_id"] = fiche_id
    response = contract.call(OWNER, "POST", "/v1/fiches", {"fiches": [fiche]})
    [item] = response.json()["results"]
    assert item["status"] == "rejected" and item["index"] == 0
    assert "fiche_id" not in item and fiche_id not in response.text


def test_a_rejected_item_with_a_well_formed_id_still_names_it(contract):
    fiche = make_fiche(member=OWNER, fiche_id="F-OK.2")
    fiche["porteur"]["courriel"] = "pas-un-courriel"
    [item] = contract.call(OWNER, "POST", "/v1/fiches", {"fiches": [fiche]}).json()["results"]
    assert (item["status"], item["fiche_id"]) == ("rejected", "F-OK.2")


@pytest.mark.parametrize("target", ["/v1/feed", "/v1/fiches/commune-ambert/F-1", "/v1/notices",
                                    "/v1/porteurs/prt_0"])
def test_no_answer_of_the_api_may_be_kept_by_a_cache(contract, target):
    """An answer holding a fiche, kept by a browser's or a library's cache, would outlive
    the fiche's erasure (docs/privacy.md): every /v1 answer says no-store, as the console's."""
    response = contract.call(OWNER, "GET", target)
    assert response.headers.get("cache-control") == "no-store", response.headers


@pytest.mark.parametrize("reference", ["Marie Dupont", "CST\u202e-1", "CST-1\n", "é-1"])
def test_a_lookup_of_a_reference_no_consent_can_carry_is_a_400_that_never_repeats_it(
        contract, reference):
    """The answer repeated every reference sent, even text no consent reference can be
    (a name, a line break, an override): it is refused as a malformed body, as the
    docs say, and never repeated."""
    response = contract.call(OWNER, "POST", "/v1/consents/lookup",
                             {"references": ["CST-OK-1", reference]})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "bad_request"
    assert reference not in response.text and "CST-OK-1" not in response.text


@pytest.mark.parametrize("target", ["/v1/erasures/1%2Fack", "/v1/feed?after=%00", "/v1/nothing"])
def test_an_answer_refused_before_any_route_still_carries_its_request_id(contract, target):
    """The partner matches an answer to its own logs by X-Request-Id: the guards against
    NUL characters and encoded slashes answered before the id was set."""
    given = "3f2b8c1e-9d4a-4e7b-a1c2-5e6f7a8b9c0d"
    response = contract.client.get(target, headers={"X-Request-Id": given})
    assert response.status_code in (404, 422), response.text
    assert response.headers.get("X-Request-Id") == given


def test_an_address_over_its_rate_limit_is_answered_with_a_request_id(db_url, tmp_path):
    from fastapi.testclient import TestClient

    from hub.api.app import create_app
    from hub.bootstrap import Hub
    from hub.config import Settings
    from tests.fakes.publisher import RecordingPublisher

    hub = Hub.from_settings(Settings(data_dir=tmp_path / "d", database_url=db_url,
                                     rate_limit_per_source="1/minute"),
                            publisher=RecordingPublisher())
    try:
        with TestClient(create_app(hub=hub)) as client:
            answers = [client.get("/v1/nothing") for _ in range(2)]
    finally:
        hub.close()
    assert answers[-1].status_code == 429, answers[-1].text
    assert all(answer.headers.get("X-Request-Id") for answer in answers)


@pytest.mark.parametrize(("extra", "named"), [({"dry_run": True}, "dry_run"),
                                              ({"Marie Dupont": 1}, None)])
def test_a_batch_with_a_key_besides_fiches_is_refused_whole_and_nothing_stored(contract, extra, named):
    """The OpenAPI document declares the batch `{"fiches": [...]}` and nothing else, yet
    `{"fiches": [...], "dry_run": true}` was pushed for real: a partner's option the hub
    does not know must not be ignored while its fiches go out."""
    fiche = make_fiche(member=OWNER, fiche_id="F-EXTRA")
    record_consents(contract.hub, [fiche])
    response = contract.call(OWNER, "POST", "/v1/fiches", {"fiches": [fiche], **extra})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_batch"
    assert (named in error["message_en"]) if named else ("Marie" not in response.text)
    with contract.hub.uow() as uow:
        assert uow.fiches.porteur_of(OWNER, "F-EXTRA") is None
    document = contract.client.app.openapi()
    batch = document["paths"]["/v1/fiches"]["post"]["requestBody"]["content"]["application/json"]
    assert batch["schema"]["additionalProperties"] is False


@pytest.mark.parametrize("character", ["\x07", "\n", "\x1b", "\x85"])
def test_a_control_character_in_a_consent_agent_or_an_address_is_a_4xx_naming_the_field(
        contract, character):
    """A bell, a line break, an escape or a C1 control in a name was accepted and passed on
    to partners' systems: refused at the door, the field's path and the code point named,
    never the value."""
    version, digest = contract.hub.consents.store_notice(NOTICE_TEXT)
    consent = example_submission(version, digest, dt.datetime.now(dt.UTC), membre=OWNER,
                                 fiche_id="F-CC", reference="CST-CC",
                                 agent=f"Truchebeuf{character}")
    refused = contract.call(OWNER, "POST", "/v1/consents", consent)
    assert refused.status_code == 400, refused.text
    error = refused.json()["error"]
    assert error["code"] == "invalid_consent"
    assert [(e["path"], e["code"]) for e in error["erreurs"]] == [("$.agent", "format")]
    assert f"U+{ord(character):04X}" in refused.text and "Truchebeuf" not in refused.text
    fiche = make_fiche(member=OWNER, fiche_id="F-CC")
    fiche["porteur"]["adresse"]["ligne"] = f"12 rue Truchebeuf{character}Bât. B"
    [item] = contract.call(OWNER, "POST", "/v1/fiches", {"fiches": [fiche]}).json()["results"]
    assert item["status"] == "rejected"
    assert [(e["path"], e["code"]) for e in item["errors"]] == [("$.porteur.adresse.ligne", "format")]
    assert "Truchebeuf" not in json.dumps(item)


@pytest.mark.parametrize(("body", "missing"), [
    ({}, ["$.membre", "$.fiche_id"]), ({"membre": OWNER}, ["$.fiche_id"]),
    ({"fiche_id": "F-1"}, ["$.membre"]), ({"membre": 5, "fiche_id": "F-1"}, ["$.membre"]),
    ({"membre": OWNER, "fiche_id": ""}, ["$.fiche_id"]),
    ({"membre": OWNER, "fiche_id": None}, ["$.fiche_id"])])
def test_an_unmerge_lacking_a_field_is_a_400_naming_it(contract, body, missing):
    """`{}` was read as naming member "None"'s fiche "None": 409 `nothing_to_unmerge`, as
    if the fiche were not in the porteur, when the body lacked what the hub needs."""
    response = contract.call(NETWORK, "POST", "/v1/porteurs/prt_x/unmerge", body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "malformed_body"
    named = [path for path in ("$.membre", "$.fiche_id") if path in error["message_en"]]
    assert named == missing and "fiche_id\": \"...\"" in error["message_en"]
