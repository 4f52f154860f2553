"""The HTTP contract of /v1/fiches, on both databases."""

import json
import time

import pytest

from tests.factories import make_fiche, record_consents

pytestmark = pytest.mark.integration


def _push(client, creds, body: bytes, **header_overrides):
    try:
        fiches = json.loads(body)["fiches"]
        record_consents(client.app.state.hub, [f for f in fiches if f.get("membre") == creds.member_id])
    except (ValueError, KeyError, TypeError, AttributeError):
        pass  # not a batch of fiches: nothing to consent to
    headers = creds.headers("POST", "/v1/fiches", body)
    headers.update(header_overrides)
    return client.post("/v1/fiches", content=body, headers=headers)


def _body(*fiches) -> bytes:
    return json.dumps({"fiches": list(fiches)}).encode()


def test_a_signed_batch_is_answered_per_item_with_receipts(client, credentials):
    bad = make_fiche(fiche_id="F-2")
    bad["projet"]["siret"] = "12345678901234"
    response = _push(client, credentials["cci-puy-de-dome"], _body(make_fiche(fiche_id="F-1"), bad))
    assert response.status_code == 202
    results = response.json()["results"]
    assert results[0]["status"] == "accepted"
    assert results[0]["receipt"]["receipt_id"].startswith("rcp_")
    assert results[1]["status"] == "rejected"
    assert results[1]["errors"] == [{
        "path": "$.projet.siret", "code": "format",
        "message_fr": "La valeur n'est pas au format « siret » attendu.",
        "message_en": "The value is not in the expected 'siret' format.",
    }]


def test_a_duplicate_push_gets_the_same_receipt(client, credentials):
    creds = credentials["cci-puy-de-dome"]
    first = _push(client, creds, _body(make_fiche())).json()["results"][0]
    again = _push(client, creds, _body(make_fiche())).json()["results"][0]
    assert again["receipt"] == first["receipt"] and again["duplicate"] is True


def test_a_body_that_is_not_json_is_a_400(client, credentials):
    response = _push(client, credentials["cci-puy-de-dome"], b"{not json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_body"


# Amounts no double holds: stored as 0.0 (read as zero, though they are not) or refused
# with the whole batch (read as infinity).
_OUT_OF_RANGE = [b"1e-400", b"-2.5E-0400", b"0." + b"0" * 400 + b"1", b"1e400", b"1" + b"0" * 400]


@pytest.mark.parametrize("written", _OUT_OF_RANGE, ids=["1e-400", "-2.5E-0400", "0.0001",
                                                         "1e400", "1000"])
def test_an_amount_no_double_holds_rejects_its_fiche_naming_the_field(client, credentials, hub,
                                                                      written):
    held = make_fiche(fiche_id="F-1")
    held["financement"]["besoin_total"] = 424242.5
    body = _body(held, make_fiche(fiche_id="F-2")).replace(b"424242.5", written)
    response = _push(client, credentials["cci-puy-de-dome"], body)
    assert response.status_code == 202, response.text
    first, second = response.json()["results"]
    assert first["status"] == "rejected" and second["status"] == "accepted"
    [error] = first["errors"]
    assert (error["path"], error["code"]) == ("$.financement.besoin_total", "number_out_of_range")
    assert written.decode()[:20] not in error["message_fr"] + error["message_en"]


@pytest.mark.parametrize("written", [b"0e-400", b"0.000e500", b"1e-300", b"9.5e-1"])
def test_a_zero_or_a_number_a_double_holds_keeps_its_value(client, credentials, written):
    held = make_fiche(fiche_id="F-1")
    held["financement"]["besoin_total"] = 424242.5
    body = _body(held).replace(b"424242.5", written)
    response = _push(client, credentials["cci-puy-de-dome"], body)
    assert response.json()["results"][0]["status"] == "accepted", response.text


def test_a_body_over_the_bound_is_a_413(client, credentials, hub):
    body = b" " * (hub.settings.max_body_bytes + 1)
    response = _push(client, credentials["cci-puy-de-dome"], body)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_an_empty_batch_is_a_400(client, credentials):
    response = _push(client, credentials["cci-puy-de-dome"], b'{"fiches": []}')
    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_batch")


def test_unknown_or_wrong_credentials_are_a_401(client, credentials):
    creds = credentials["cci-puy-de-dome"]
    body = _body(make_fiche())
    wrong_token = _push(client, creds, body, Authorization="Bearer cci-puy-de-dome.nope")
    unknown = _push(client, creds, body, Authorization="Bearer nobody.secret")
    missing = client.post("/v1/fiches", content=body)
    for response in (wrong_token, unknown, missing):
        assert response.status_code == 401


def test_a_signature_by_another_key_is_refused(client, credentials):
    cci, pfil = credentials["cci-puy-de-dome"], credentials["pfil-livradois-forez"]
    body = _body(make_fiche())
    forged = pfil.headers("POST", "/v1/fiches", body)
    forged["Authorization"] = f"Bearer {cci.token}"
    response = client.post("/v1/fiches", content=body, headers=forged)
    assert (response.status_code, response.json()["error"]["code"]) == (401, "bad_signature")


def test_a_tampered_body_breaks_the_signature(client, credentials):
    creds = credentials["cci-puy-de-dome"]
    headers = creds.headers("POST", "/v1/fiches", _body(make_fiche()))
    tampered = _body(make_fiche(fiche_id="F-other"))
    response = client.post("/v1/fiches", content=tampered, headers=headers)
    assert response.json()["error"]["code"] == "bad_signature"


def test_a_stale_timestamp_is_refused(client, credentials):
    creds = credentials["cci-puy-de-dome"]
    body = _body(make_fiche())
    headers = creds.headers("POST", "/v1/fiches", body, timestamp=int(time.time()) - 3600)
    response = client.post("/v1/fiches", content=body, headers=headers)
    assert (response.status_code, response.json()["error"]["code"]) == (401, "stale_request")


def test_a_replayed_request_is_refused(client, credentials):
    creds = credentials["cci-puy-de-dome"]
    body = _body(make_fiche())
    headers = creds.headers("POST", "/v1/fiches", body)
    assert client.post("/v1/fiches", content=body, headers=headers).status_code == 202
    replay = client.post("/v1/fiches", content=body, headers=headers)
    assert (replay.status_code, replay.json()["error"]["code"]) == (401, "replayed_request")


def test_pushing_in_another_members_name_is_a_403(client, credentials):
    body = _body(make_fiche(member="pfil-livradois-forez"))
    response = _push(client, credentials["cci-puy-de-dome"], body)
    assert (response.status_code, response.json()["error"]["code"]) == (403, "forbidden")


def test_the_owner_reads_its_fiche_and_others_cannot(client, credentials):
    cci, pfil = credentials["cci-puy-de-dome"], credentials["pfil-livradois-forez"]
    _push(client, cci, _body(make_fiche(fiche_id="F-9")))
    assert client.get("/v1/schemas").status_code == 200
    path = "/v1/fiches/cci-puy-de-dome/F-9"
    own = client.get(path, headers=cci.headers("GET", path))
    other = client.get(path, headers=pfil.headers("GET", path))
    missing_path = "/v1/fiches/cci-puy-de-dome/F-404"
    missing = client.get(missing_path, headers=cci.headers("GET", missing_path))
    assert own.status_code == 200 and own.json()["fiche"]["fiche_id"] == "F-9"
    assert other.status_code == 403
    assert missing.status_code == 404


def test_error_answers_never_echo_personal_data(client, credentials):
    bad_values = {"courriel": "marqueur-personnel@@", "telephone": "marqueur-personnel-06",
                  "inconnu": "autre-marqueur-personnel"}
    fiches = []
    for number, (field, value) in enumerate(bad_values.items()):
        fiche = make_fiche(fiche_id=f"F-P{number}")
        fiche["porteur"][field] = value
        fiches.append(fiche)
    response = _push(client, credentials["cci-puy-de-dome"], _body(*fiches))
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["rejected"] * len(bad_values)
    assert all(r["errors"] and r["errors"][0]["path"].startswith("$.porteur") for r in results)
    assert "marqueur-personnel" not in response.text


def test_the_openapi_page_and_schemas_are_served(client):
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert "/v1/fiches" in spec["paths"]
    assert client.get("/v1/schemas/fiche").json()["$id"].endswith("/fiche/v1.json")


def test_every_access_event_of_a_request_carries_its_request_id(client, credentials, hub):
    response = _push(client, credentials["cci-puy-de-dome"], _body(make_fiche(fiche_id="F-R")),
                     **{"X-Request-Id": "3f2b8c1e-9d4a-4e7b-a1c2-5e6f7a8b9c0d"})
    assert response.headers["X-Request-Id"] == "3f2b8c1e-9d4a-4e7b-a1c2-5e6f7a8b9c0d"
    [pushed] = [e for e in hub.audit.search(action="fiche_push")]
    assert pushed.request_id == "3f2b8c1e-9d4a-4e7b-a1c2-5e6f7a8b9c0d"
    made_up = _push(client, credentials["cci-puy-de-dome"], _body(make_fiche(fiche_id="F-S")),
                    **{"X-Request-Id": "mal forme !"})
    assert made_up.headers["X-Request-Id"].startswith("req_")
    assert hub.audit.search(action="fiche_push")[-1].request_id == made_up.headers["X-Request-Id"]


def test_a_version_resent_with_whole_floats_for_its_integers_is_the_same_version(client, credentials):
    """8000.0 and 8000 are one JSON number (JSON Schema counts 8000.0 as an integer too):
    a resend that a spreadsheet or a JSON library wrote with floats is a duplicate."""
    creds = credentials["cci-puy-de-dome"]
    first = _push(client, creds, _body(make_fiche())).json()["results"][0]
    floated = make_fiche()
    floated["financement"] = {"besoin_total": 42000.0, "apport": 8e3, "pret_honneur": 10000.0}
    again = _push(client, creds, _body(floated)).json()["results"][0]
    assert again["status"] == "accepted" and again["duplicate"] is True
    assert again["receipt"] == first["receipt"]


def test_a_version_number_written_as_a_float_is_that_integer_version(client, credentials):
    """version 3.0 is version 3 (an integer for the schema): one receipt, the answer and
    the stored version an integer, whichever way it came first."""
    creds = credentials["cci-puy-de-dome"]
    first = _push(client, creds, _body(make_fiche(version=1) | {"version": 1.0})).json()
    [result] = first["results"]
    assert result["status"] == "accepted" and result["version"] == 1
    assert isinstance(result["version"], int)
    again = _push(client, creds, _body(make_fiche(version=1))).json()["results"][0]
    assert again["duplicate"] is True and again["receipt"] == result["receipt"]


def test_a_version_first_sent_with_floats_is_stored_as_sent_and_matches_its_integer_resend(
        client, credentials, hub):
    creds = credentials["cci-puy-de-dome"]
    floated = make_fiche()
    floated["financement"] = {"besoin_total": 42000.0, "apport": -0.0, "pret_honneur": 10000.5}
    first = _push(client, creds, _body(floated)).json()["results"][0]
    resent = make_fiche()
    resent["financement"] = {"besoin_total": 42000, "apport": 0, "pret_honneur": 10000.5}
    again = _push(client, creds, _body(resent)).json()["results"][0]
    assert again["duplicate"] is True and again["receipt"] == first["receipt"]
    changed = make_fiche()
    changed["financement"] = {"besoin_total": 42000, "apport": 0, "pret_honneur": 10000}
    conflict = _push(client, creds, _body(changed)).json()["results"][0]
    assert conflict["errors"][0]["code"] == "version_conflict"
    read = client.get("/v1/fiches/cci-puy-de-dome/F-0001",
                      headers=creds.headers("GET", "/v1/fiches/cci-puy-de-dome/F-0001"))
    assert read.json()["fiche"]["financement"]["besoin_total"] == 42000.0
    assert isinstance(read.json()["fiche"]["financement"]["besoin_total"], float)


def test_a_name_holding_a_bidirectional_control_is_rejected_naming_the_field(client, credentials):
    spoofed = make_fiche()
    spoofed["porteur"]["nom"] = "Dupont\u202etnemevuorP"
    result = _push(client, credentials["cci-puy-de-dome"], _body(spoofed)).json()["results"][0]
    assert result["status"] == "rejected"
    [error] = result["errors"]
    assert error["path"] == "$.porteur.nom" and "U+202E" in error["message_en"]
    assert "Dupont" not in json.dumps(result)
