"""The OpenAPI 3.1 document is one a generator can use: valid, every body and answer typed
(components from schemas/*.json), the error envelope on every error status, the security
scheme, bounds and true content types; and real answers conform to it."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import jsonschema
import pytest
from fastapi.testclient import TestClient
from openapi_spec_validator import validate

import schemas
from capactif_demo.consent_examples import NOTICE_TEXT, example_submission
from connectors.http_signatures import sign_request_rfc9421
from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts.members import load_network
from hub.services.ingest import processing
from tests.factories import Credentials, make_fiche, make_network, record_consents
from tests.fakes.publisher import RecordingPublisher

pytestmark = pytest.mark.integration
MEMBER = "cci-puy-de-dome"
# POST operations that are actions on a resource named by the path, with no body.
BODILESS = {("post", "/v1/consents/{consent_id}/withdraw"), ("post", "/v1/consents/{consent_id}/ack"),
            ("post", "/v1/erasures/{erasure_id}/ack"), ("post", "/v1/deliveries/replay")}
ENVELOPE = {"$ref": "#/components/schemas/ErrorEnvelope"}


@pytest.fixture(scope="module")
def world(tmp_path_factory, sqlite_template):
    tmp = tmp_path_factory.mktemp("openapi")
    shutil.copyfile(sqlite_template, tmp / "hub.sqlite3")
    hub = Hub.from_settings(Settings(data_dir=tmp / "data", database_url=f"sqlite:///{tmp / 'hub.sqlite3'}"),
                            publisher=RecordingPublisher())
    load_network(hub, make_network(tmp / "network.json", [MEMBER]), tmp / "creds")
    with TestClient(create_app(hub=hub)) as client:
        yield client, Credentials(tmp / "creds" / f"{MEMBER}.json")
    hub.close()


@pytest.fixture(scope="module")
def document(world):
    client, _ = world
    return client.get("/openapi.json").json()


def _operations(document):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            yield method, path, operation


def test_the_document_is_valid_openapi_3_1(document):
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_every_answer_of_every_operation_is_typed(document):
    untyped = []
    for method, path, operation in _operations(document):
        success = {code: r for code, r in operation["responses"].items() if code.startswith("2")}
        for code, response in success.items():
            for media, content in response.get("content", {}).items():
                schema = content.get("schema", {})
                if not ({"$ref", "type", "allOf", "oneOf", "anyOf"} & set(schema)):
                    untyped.append(f"{method} {path} {code} {media}")
        if not success or not all(r.get("content") for r in success.values()):
            untyped.append(f"{method} {path}: no typed 2xx answer")
    assert untyped == []


def test_every_operation_that_reads_a_body_declares_it(document):
    missing = [f"{m} {p}" for m, p, op in _operations(document)
               if m in ("post", "put", "patch") and (m, p) not in BODILESS
               and "$ref" not in json.dumps(op.get("requestBody", {}))]
    assert missing == []


def test_every_error_answer_is_the_envelope_and_signed_operations_declare_their_refusals(document):
    for method, path, operation in _operations(document):
        for code, response in operation["responses"].items():
            if code[0] in "45":
                assert response["content"]["application/json"]["schema"] == ENVELOPE, (method, path, code)
        if path.startswith("/v1/") and not path.startswith(("/v1/schemas", "/v1/hub-keys")):
            assert operation["security"] == [{"jetonMembre": [], "signatureRfc9421": []}], (method, path)
            assert {"401", "413", "503"} <= set(operation["responses"]), (method, path)
        if operation.get("parameters"):
            assert "422" in operation["responses"], (method, path)
        # 415 is about a body's declared type: only operations that read one answer it
        assert ("415" in operation["responses"]) == ("requestBody" in operation), (method, path)
    schemes = document["components"]["securitySchemes"]
    assert schemes["jetonMembre"]["scheme"] == "bearer"
    assert "RFC 9421" in schemes["signatureRfc9421"]["description"]


def test_components_are_built_from_the_json_schemas(document):
    components = document["components"]["schemas"]
    fiche = schemas.load_schema("fiche")
    assert set(components["Fiche"]["properties"]) == set(fiche["properties"])
    assert components["Fiche"]["required"] == fiche["required"]
    assert {f"Fiche_{name}" for name in fiche["$defs"]} <= set(components)
    assert "#/$defs/" not in json.dumps(components)
    consent = schemas.load_schema("consent")
    assert set(consent["properties"]) <= set(components["EnregistrementConsentement"]["properties"])
    body = document["paths"]["/v1/fiches"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["fiches"]["items"] == {"$ref": "#/components/schemas/Fiche"}
    assert body["properties"]["fiches"]["maxItems"] == 1000


def test_bounds_enums_and_content_types_are_declared(document):
    feed = {p["name"]: p["schema"] for p in document["paths"]["/v1/feed"]["get"]["parameters"]}
    assert (feed["limit"]["minimum"], feed["limit"]["maximum"]) == (1, 500)
    assert (feed["after"]["minimum"], feed["after"]["maximum"]) == (0, 2**63 - 1)
    export = document["paths"]["/v1/audit/export"]["get"]
    assert set(export["responses"]["200"]["content"]) == {"application/x-ndjson", "text/csv"}
    formats = {p["name"]: p["schema"] for p in export["parameters"]}["format"]
    assert formats["enum"] == ["jsonl", "csv"]
    decision = document["components"]["schemas"]["Decision"]["properties"]["decision"]
    assert decision["enum"] == ["same", "different", "unknown"]


def _signed(creds, method, target, body=b""):
    headers = sign_request_rfc9421(creds.private_key, creds.member_id, method, target, body)
    return {**headers, "Authorization": f"Bearer {creds.token}", "Content-Type": "application/json"}


@pytest.mark.parametrize("target", [
    "/v1/feed?after=9223372036854775808", "/v1/feed?after=-1", "/v1/feed?after=abc",
    "/v1/feed?limit=0", "/v1/feed?limit=501", "/v1/duplicates/9223372036854775808",
    "/v1/duplicates?after=99999999999999999999", "/v1/audit/proofs/inclusion/9223372036854775808",
    "/v1/audit/proofs/consistency?first=9223372036854775808",
])
def test_integers_out_of_range_or_malformed_are_a_4xx(world, target):
    client, creds = world
    response = client.get(target, headers=_signed(creds, "GET", target))
    assert 400 <= response.status_code < 500, (target, response.status_code)


def test_a_replay_with_a_huge_delivery_id_is_a_4xx(world):
    client, creds = world
    target = "/v1/deliveries/replay?delivery_id=9223372036854775808"
    response = client.post(target, headers=_signed(creds, "POST", target))
    assert 400 <= response.status_code < 500


def _conforms(document, operation, status, answer):
    schema = operation["responses"][str(status)]["content"]["application/json"]["schema"]
    jsonschema.Draft202012Validator({**schema, "components": document["components"]}).validate(answer)


def test_real_answers_conform_to_the_document(world, document):
    client, creds = world
    fiche = make_fiche(fiche_id="F-openapi")
    [consent] = record_consents(client.app.state.hub, [fiche])
    body = json.dumps({"fiches": [fiche, {"fiche_id": "bad"}]}).encode()
    paths = document["paths"]
    pushed = client.post("/v1/fiches", content=body, headers=_signed(creds, "POST", "/v1/fiches", body))
    _conforms(document, paths["/v1/fiches"]["post"], 202, pushed.json())
    calls = [("/v1/fiches/{member_id}/{fiche_id}", f"/v1/fiches/{MEMBER}/F-openapi"),
             ("/v1/feed", "/v1/feed"), ("/v1/consents/{consent_id}", f"/v1/consents/{consent.id}"),
             ("/v1/consents/{consent_id}/receipt", f"/v1/consents/{consent.id}/receipt"),
             ("/v1/subscriptions", "/v1/subscriptions"), ("/v1/deliveries/dead", "/v1/deliveries/dead"),
             ("/v1/audit/tree-head", "/v1/audit/tree-head"), ("/v1/hub-keys", "/v1/hub-keys"),
             ("/v1/schemas", "/v1/schemas"), ("/healthz", "/healthz")]
    for template, target in calls:
        response = client.get(target, headers=_signed(creds, "GET", target))
        assert response.status_code == 200, (target, response.text)
        _conforms(document, paths[template]["get"], 200, response.json())
    refused = client.get("/v1/feed", headers={"Authorization": f"Bearer {creds.token}"})
    _conforms(document, paths["/v1/feed"]["get"], 401, refused.json())
    lookup = json.dumps({"references": [consent.reference, "CST-inconnue"]}).encode()
    posts = [("/v1/consents/lookup", "/v1/consents/lookup", lookup, 200),
             ("/v1/consents/{consent_id}/withdraw", f"/v1/consents/{consent.id}/withdraw", b"", 200),
             ("/v1/erasures", "/v1/erasures", b'{"fiche_id": "F-openapi"}', 201)]
    for template, target, content, status in posts:
        response = client.post(target, content=content, headers=_signed(creds, "POST", target, content))
        assert response.status_code == status, (target, response.text)
        _conforms(document, paths[template]["post"], status, response.json())
    erasure = response.json()["effacement"]
    for template, target in [("/v1/erasures/{erasure_id}", f"/v1/erasures/{erasure}"),
                             ("/v1/consents/{consent_id}/acks", f"/v1/consents/{consent.id}/acks")]:
        response = client.get(target, headers=_signed(creds, "GET", target))
        assert response.status_code == 200, (target, response.text)
        _conforms(document, paths[template]["get"], 200, response.json())


def test_an_erased_consent_s_answer_conforms_to_the_document(world):
    """An erased fiche's consent shows its proof as `{"valeur": "", "effacee": true}`: the
    published answer allowed neither `effacee` nor an empty `valeur` (the input's rules),
    so a generated client rejected the answer. The input schema still refuses both."""
    client, creds = world
    document = client.app.openapi()
    fiche = make_fiche(fiche_id="F-openapi-efface")
    [consent] = record_consents(client.app.state.hub, [fiche],
                                preuve={"type": "autre", "valeur": "signé en rendez-vous"})
    body = json.dumps({"fiches": [fiche]}).encode()
    assert client.post("/v1/fiches", content=body,
                       headers=_signed(creds, "POST", "/v1/fiches", body)).status_code == 202
    hub = client.app.state.hub
    processing.process_outbox(hub, hub.publisher.published[-1])
    erase = b'{"fiche_id": "F-openapi-efface"}'
    assert client.post("/v1/erasures", content=erase,
                       headers=_signed(creds, "POST", "/v1/erasures", erase)).status_code == 201
    target = f"/v1/consents/{consent.id}"
    answer = client.get(target, headers=_signed(creds, "GET", target)).json()
    assert answer["preuve"]["effacee"] is True and answer["preuve"]["valeur"] == ""
    _conforms(document, document["paths"]["/v1/consents/{consent_id}"]["get"], 200, answer)
    component = {"$ref": "#/components/schemas/EnregistrementConsentement",
                 "components": document["components"]}
    for wrong in ({"type": "autre", "valeur": ""}, {"type": "autre", "valeur": "x", "effacee": False}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.Draft202012Validator(component).validate({**answer, "preuve": wrong})
    submitted = {"$ref": "#/components/schemas/Consentement", "components": document["components"]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(submitted).validate({"preuve": answer["preuve"]})
    # Another reader than the collector reads the proof's type alone.
    jsonschema.Draft202012Validator(component).validate({**answer, "preuve": {"type": "autre"}})


def test_notice_answers_conform_to_the_document(world, document):
    client, creds = world
    paths = document["paths"]
    content = json.dumps({"texte": "Notice du document OpenAPI.", "langue": "fr",
                          "finalites": ["orientation"]}).encode()
    for status in (201, 200):  # registered, then the same notice again
        response = client.post("/v1/notices", content=content,
                               headers=_signed(creds, "POST", "/v1/notices", content))
        assert response.status_code == status, response.text
        _conforms(document, paths["/v1/notices"]["post"], status, response.json())
    version = response.json()["version"]
    for template, target in [("/v1/notices", "/v1/notices"),
                             ("/v1/notices/{version}", f"/v1/notices/{version}")]:
        response = client.get(target, headers=_signed(creds, "GET", target))
        assert response.status_code == 200, (target, response.text)
        _conforms(document, paths[template]["get"], 200, response.json())
    target = "/v1/porteurs/prt_unknown"
    unknown = client.get(target, headers=_signed(creds, "GET", target))
    assert unknown.status_code == 404
    _conforms(document, paths["/v1/porteurs/{porteur_id}"]["get"], 404, unknown.json())


def test_every_answer_asking_to_wait_declares_retry_after(document):
    for method, path, operation in _operations(document):
        for status in ("429", "503") if path.startswith("/v1/") else ("429",):
            declared = operation["responses"].get(status)
            if declared is not None:
                header = declared.get("headers", {}).get("Retry-After")
                assert header and header["schema"]["type"] == "integer", (method, path, status)


def test_every_creation_declares_where_the_created_resource_is_read(document):
    created = [(m, p) for m, p, op in _operations(document) if "201" in op["responses"]]
    assert created  # consents, erasures, notices
    for method, path in created:
        answer = document["paths"][path][method]["responses"]["201"]
        assert answer.get("headers", {}).get("Location"), (method, path)


def test_a_creation_answers_the_location_its_creator_reads_it_at(world):
    client, creds = world
    hub = client.app.state.hub
    version, digest = hub.consents.store_notice(NOTICE_TEXT)
    fiche = make_fiche(fiche_id="F-location")
    consent = example_submission(version, digest, dt.datetime.now(dt.UTC), membre=MEMBER,
                                 reference=fiche["consentement"]["reference"], fiche_id="F-location")
    notice = {"texte": "Notice des adresses de ressources.", "langue": "fr",
              "finalites": ["orientation"]}
    for target, document in [("/v1/notices", notice), ("/v1/consents", consent),
                             ("/v1/fiches", {"fiches": [fiche]}),
                             ("/v1/erasures", {"fiche_id": "F-location"})]:
        content = json.dumps(document).encode()
        response = client.post(target, content=content, headers=_signed(creds, "POST", target, content))
        assert response.status_code in (201, 202), (target, response.text)
        if response.status_code == 202:
            continue
        location = response.headers.get("Location", "")
        assert location.startswith(target + "/"), (target, location)
        read = client.get(location, headers=_signed(creds, "GET", location))
        assert read.status_code == 200, (location, read.text)


@pytest.mark.parametrize(("body", "valid"), [
    ({}, False), ({"reference": "DEM-1"}, False),
    ({"fiche_id": "F-1", "porteur_id": "prt_1"}, False),
    ({"fiche_id": "F-1"}, True), ({"porteur_id": "prt_1", "reference": "DEM-1"}, True)])
def test_the_erasure_body_declares_exactly_one_of_its_two_names(document, body, valid):
    """The API answers 400 unless exactly one of `fiche_id` and `porteur_id` is given; the
    document let `{}` through, so a generated client (and schemathesis) sent it."""
    schema = {**document["components"]["schemas"]["ErasureRequest"],
              "components": document["components"]}
    assert jsonschema.Draft202012Validator(schema).is_valid(body) is valid


def test_reading_a_consent_says_its_proof_value_is_the_collector_s(document):
    """The operation's description said every reader relying on the consent read its
    proof data: others read the proof's type only."""
    described = document["paths"]["/v1/consents/{consent_id}"]["get"]["description"]
    assert "proof data, for its collector and the members" not in described
    assert "type" in described and "collector" in described
