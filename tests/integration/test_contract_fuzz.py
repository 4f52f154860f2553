"""A schema-driven fuzz run over the OpenAPI document: every operation, called with member,
coordination and DPO credentials (each request signed), with parameters drawn from the
declared schemas and beyond them (out-of-range integers, date-times without offsets,
NUL and non-ASCII characters) and bodies that are valid templates mutated or arbitrary
JSON. No answer may be a server error; every answer must be one the operation declares,
its JSON body valid against the declared schema (the typed OpenAPI document); every error
is in the hub's envelope and never repeats a value sent.

`HUB_FUZZ_EXAMPLES` (default 6) sets the examples per operation and credential."""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import re
from typing import Any
from urllib.parse import quote, urlencode

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capactif_demo.consent_examples import example_submission
from hub.services.accounts.auth import Caller
from hub.services.ingest import accept as ingest
from hub.services.ingest import processing
from tests.factories import make_fiche, record_consents
from tests.integration.contract_world import NETWORK, OWNER, RECIPIENT

pytestmark = pytest.mark.integration

EXAMPLES = int(os.environ.get("HUB_FUZZ_EXAMPLES", "6"))
CALLERS = (OWNER, NETWORK, f"{NETWORK}.dpo", f"{RECIPIENT}.dpo")
HUGE = 2**63

MARKER = "Echo-7f3a9c"  # drawn among the values: no error answer may repeat it
odd_text = st.one_of(st.text(max_size=30), st.sampled_from(
    ["", "\x00", "a\x00b", "%00", "é", "٣", "１", "../..", "x" * 300, "F-1\n", "*", "prt_", "null",
     MARKER, f"{MARKER}@exemple.fr", f"2026-01-01T00:00:00{MARKER}"]))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | odd_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(odd_text, inner, max_size=4),
    max_leaves=12)
date_times = st.one_of(
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: d.isoformat()), odd_text,
    st.sampled_from(["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "2026-12-03"]))


def integers(schema: dict[str, Any]) -> st.SearchStrategy:
    low, high = schema.get("minimum", -(2**40)), schema.get("maximum", 2**40)
    return st.one_of(st.integers(low, high), st.integers(-(2**70), 2**70),
                     st.sampled_from([HUGE, -1, 0, 2**31]))


def value_for(schema: dict[str, Any], known: list[Any]) -> st.SearchStrategy:
    options = [s for s in schema.get("anyOf", [schema]) if s.get("type") != "null"] or [{}]
    schema = options[0]
    if schema.get("type") == "integer":
        base = integers(schema)
    elif schema.get("format") == "date-time":
        base = date_times
    elif "enum" in schema:
        base = st.sampled_from(schema["enum"]) | odd_text
    else:
        base = odd_text
    return st.one_of(st.sampled_from(known), base, base.map(str)) if known else st.one_of(base, base.map(str))


def mutated(template: Any) -> st.SearchStrategy:
    """The template with one leaf replaced by any JSON value, or one key removed."""
    paths = list(_leaf_paths(template))

    def apply(choice: tuple[tuple, Any, bool]) -> Any:
        path, value, remove = choice
        document = copy.deepcopy(template)
        if not path:
            return value
        parent = document
        for key in path[:-1]:
            parent = parent[key]
        if remove and isinstance(parent, dict):
            parent.pop(path[-1], None)
        else:
            parent[path[-1]] = value
        return document

    return st.tuples(st.sampled_from(paths), json_values, st.booleans()).map(apply)


def _leaf_paths(node: Any, path: tuple = ()) -> Any:
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaf_paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _leaf_paths(value, (*path, index))


def body_templates() -> dict[str, Any]:
    fiche = make_fiche(member=OWNER, fiche_id="F-2")
    consent = example_submission(1, "0" * 64, dt.datetime.now(dt.UTC), membre=OWNER,
                                 reference="CST-F-9", fiche_id="F-9")
    return {
        "/v1/fiches": {"fiches": [fiche]},
        "/v1/consents": consent,
        "/v1/consents/lookup": {"references": ["CST-F-1", "CST-F-9"]},
        "/v1/notices": {"texte": "Notice.", "langue": "fr", "finalites": ["orientation"]},
        "/v1/erasures": {"fiche_id": "F-1", "reference": "DEM-1"},
        "/v1/duplicates/{item_id}/decision": {"decision": "different", "revision": 1},
        "/v1/porteurs/{porteur_id}/unmerge": {"membre": OWNER, "fiche_id": "F-1"},
        "/v1/subscriptions": {"abonnements": [{"communes": ["63003"]}]},
        "/v1/referent-proposals/{proposal_id}/answer": {"reponse": "refusee"},
        "/v1/erasures/{erasure_id}/answer": {"reponse": "refusee", "motif": "autre",
                                             "precision": "Dossier en contentieux."},
    }


def seeded(contract) -> dict[str, Any]:
    """One processed fiche with its consent, so that real ids are among the values tried."""
    fiche = make_fiche(member=OWNER, fiche_id="F-1")
    [consent] = record_consents(contract.hub, [fiche])
    ingest.push_batch(contract.hub, Caller(OWNER, "", "commune", "accueil"), [fiche])
    processing.process_outbox(contract.hub, contract.hub.publisher.published[-1])
    with contract.hub.uow() as uow:
        porteur_id = uow.fiches.porteur_of(OWNER, "F-1").porteur_id
    return {"member_id": [OWNER, RECIPIENT], "fiche_id": ["F-1"], "consent_id": [consent.id],
            "porteur_id": [porteur_id], "porteur": [porteur_id], "membre": [OWNER],
            "name": ["fiche", "consent", "notice"], "version": [1], "seq": [0, 1]}


def operations(app) -> list[tuple[str, str, dict[str, Any]]]:
    document = app.openapi()
    return [(method.upper(), path, operation) for path, item in document["paths"].items()
            for method, operation in item.items()]


def request_for(path: str, method: str, operation: dict[str, Any], known: dict[str, Any],
                templates: dict[str, Any]) -> st.SearchStrategy:
    parameters = operation.get("parameters", [])
    path_params = {p["name"]: value_for(p.get("schema", {}), known.get(p["name"], []))
                   for p in parameters if p["in"] == "path"}
    query_params = {p["name"]: value_for(p.get("schema", {}), known.get(p["name"], []))
                    for p in parameters if p["in"] == "query"}
    has_body = method in ("POST", "PUT", "PATCH")
    template = templates.get(path)
    body = (st.one_of(mutated(template), json_values) if template is not None else json_values) \
        if has_body else st.none()
    return st.tuples(st.fixed_dictionaries(path_params),
                     st.fixed_dictionaries({}, optional=query_params), body, st.booleans())


def check(response, method: str, target: str, operation: dict[str, Any],
          components: dict[str, Any]) -> None:
    where = f"{method} {target} -> {response.status_code}: {response.text[:300]}"
    assert response.status_code < 500, where
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error"}, where
        assert {"code", "message_fr", "message_en"} <= set(body["error"]), where
        assert MARKER not in response.text, f"the error echoes the input: {where}"
    declared = operation["responses"].get(str(response.status_code))
    assert declared is not None, f"status not declared: {where}"
    media = response.headers.get("content-type", "").split(";")[0]
    schema = declared.get("content", {}).get(media, {}).get("schema")
    assert schema is not None or response.status_code == 204, f"content type not declared: {where}"
    if media == "application/json":
        errors = _validator(schema, components).iter_errors(response.json())
        assert not (first := next(errors, None)), f"{where}\n{first}"


def _validator(schema: dict[str, Any], components: dict[str, Any]) -> jsonschema.Validator:
    return jsonschema.Draft202012Validator({**schema, "components": components})


def test_no_operation_answers_a_server_error_or_leaves_the_envelope(contract):
    known = seeded(contract)
    templates = body_templates()
    found = operations(contract.client.app)
    assert len(found) >= 35
    for method, path, operation in found:
        strategy = st.tuples(st.sampled_from(CALLERS),
                             request_for(path, method, operation, known, templates))
        fuzz(contract, method, path, operation, strategy)()


def fuzz(contract, method: str, path: str, operation: dict[str, Any], strategy: st.SearchStrategy):
    components = contract.client.app.openapi()["components"]

    @settings(max_examples=EXAMPLES * len(CALLERS), deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def call(drawn: tuple) -> None:
        caller, (path_values, query, body, raw_body) = drawn
        target = path
        for name, value in path_values.items():
            target = target.replace("{" + name + "}", _segment(str(value)))
        if query:
            target += "?" + urlencode({k: str(v) for k, v in query.items()})
        content = b"" if body is None and not raw_body else json.dumps(body).encode()
        check(contract.call(caller, method, target, raw=content), method, target, operation,
              components)

    return call


def _segment(value: str) -> str:
    """A path parameter as a client sends it: percent-encoded, and a value of dots only
    encoded too (`.` and `..` as they are are dot segments, which every client resolves
    before sending: `/v1/consents/./ack` leaves as `/v1/consents/ack`, another route)."""
    quoted = quote(value, safe="") or "x"
    return quoted.replace(".", "%2E") if set(quoted) == {"."} else quoted


ODD_VALUES = (None, True, 0, -1.5, HUGE, "", "x", MARKER, [], ["confirmee"], ["autre"], {},
              {"reponse": "confirmee"}, {"autre": None})


def test_the_owner_asked_answering_its_real_request_with_any_value_gets_a_4xx(contract):
    """The run above reaches only the 404 of `POST /v1/erasures/{id}/answer` (no request
    is addressed to a caller it tries): here a request is addressed to the owner, which
    answers it with every type of value in `reponse`, `motif` and `precision` (one key at
    a time in a valid answer, then drawn together). The values are checked before the
    request's state, so an answer taking effect (then 409) does not stop the checks."""
    for member, fiche_id in ((OWNER, "F-1"), (RECIPIENT, "C-1")):
        fiche = make_fiche(member=member, fiche_id=fiche_id)
        fiche["accompagnement"][0]["structure"] = member
        record_consents(contract.hub, [fiche])
        ingest.push_batch(contract.hub, Caller(member, "", "x", "accueil"), [fiche])
        processing.process_outbox(contract.hub, contract.hub.publisher.published[-1])
    made = contract.call(RECIPIENT, "POST", "/v1/erasures", {"fiche_id": "C-1"})
    assert made.json()["demandes"] == [{"membre": OWNER, "statut": "pending"}], made.text
    path = f"/v1/erasures/{made.json()['effacement']}/answer"
    operation = contract.client.app.openapi()["paths"]["/v1/erasures/{erasure_id}/answer"]["post"]
    components = contract.client.app.openapi()["components"]
    valid = ({"reponse": "refusee", "motif": "autre", "precision": "Dossier en contentieux."},
             {"reponse": "refusee", "motif": "droits_en_justice"}, {"reponse": "confirmee"})
    for template in valid:
        for key in ("reponse", "motif", "precision"):
            for value in ODD_VALUES:
                check(contract.call(OWNER, "POST", path, {**template, key: value}), "POST", path,
                      operation, components)
    answer_values = {key: st.one_of(st.sampled_from(known), json_values) for key, known in (
        ("reponse", ["confirmee", "refusee"]), ("motif", ["autre", "obligation_legale"]),
        ("precision", ["Dossier en contentieux.", " "]))}
    bodies = st.fixed_dictionaries({}, optional=answer_values)
    fuzz(contract, "POST", path, operation, st.tuples(
        st.just(OWNER), st.tuples(st.just({}), st.just({}), bodies, st.just(True))))()


def _closed(schema, components):
    """The body schema declares every key: `additionalProperties: false`, or one of
    several such schemas (`oneOf`, each of them closed)."""
    branches = schema.get("oneOf")
    if branches:
        return all(_closed(components[b["$ref"].rsplit("/", 1)[1]] if "$ref" in b else b,
                           components) for b in branches)
    return schema.get("additionalProperties") is False


def test_every_body_declared_closed_refuses_a_key_it_does_not_declare(contract):
    """A body schema with `additionalProperties: false` in the OpenAPI document is what a
    partner's generated client trusts: the hub must refuse the key, not ignore it."""
    document = contract.client.app.openapi()
    components = document["components"]["schemas"]
    known = seeded(contract)
    checked, ignored = [], []
    for method, path, operation in operations(contract.client.app):
        schema = operation.get("requestBody", {}).get("content", {}).get(
            "application/json", {}).get("schema", {})
        schema = components[schema["$ref"].rsplit("/", 1)[1]] if "$ref" in schema else schema
        template = body_templates().get(path)
        if not _closed(schema, components) or not isinstance(template, dict):
            continue
        target = path
        for name, values in known.items():
            target = target.replace("{" + name + "}", quote(str(values[0]), safe=""))
        target = target.replace("{item_id}", "1").replace("{proposal_id}", "1")
        response = contract.call(OWNER if "duplicates" not in path else NETWORK, method, target,
                                 {**template, "zz_inconnu": 1})
        checked.append(path)
        if response.status_code < 400 or response.status_code == 404:
            ignored.append(f"{method} {target} -> {response.status_code}: {response.text[:200]}")
    assert {"/v1/fiches", "/v1/erasures", "/v1/duplicates/{item_id}/decision",
            "/v1/porteurs/{porteur_id}/unmerge", "/v1/referent-proposals/{proposal_id}/answer",
            "/v1/consents", "/v1/consents/lookup", "/v1/notices"} <= set(checked), checked
    assert not ignored, "\n".join(ignored)


@pytest.mark.parametrize("method", ["HEAD", "OPTIONS", "TRACE"])
def test_a_method_no_operation_declares_is_a_405_allowing_exactly_the_declared_ones(contract, method):
    """HEAD and OPTIONS have no operation (a HEAD of a signed read would disclose a size
    and still count as a read): every path answers 405 in the envelope, its `Allow` the
    methods the OpenAPI document declares for it, never a 404 or a 500."""
    known = seeded(contract)
    paths = contract.client.app.openapi()["paths"]
    for path in paths:
        target = path
        for name, values in known.items():
            target = target.replace("{" + name + "}", quote(str(values[0]), safe=""))
        target = re.sub(r"\{[a-z_]+\}", "1", target)
        response = contract.call(OWNER, method, target)
        where = f"{method} {target} -> {response.status_code}"
        assert response.status_code == 405, where
        declared = {m.upper() for template, item in paths.items() for m in item
                    if re.fullmatch(re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(template)), target)}
        assert set(response.headers["allow"].split(", ")) == declared, where
        if method != "HEAD":
            assert response.json()["error"]["code"] == "method_not_allowed", where
