"""A body the hub cannot read is refused saying what was wrong, where and how to fix it,
never with a bare "not valid JSON" (a partner writing its client in another language is
left guessing between a byte-order mark, a Latin-1 accent, a `NaN` or a trailing comma);
and a body sent to an operation that reads none is refused rather than ignored while the
request is carried out: `{"delivery_id": ...}` on `POST /v1/deliveries/replay` replayed
every dead delivery, `{"fiche_id": ...}` on `DELETE /v1/fiches/...` deleted the fiche of
the path."""

from __future__ import annotations

import json

import pytest

from tests.factories import make_fiche, record_consents
from tests.integration.contract_world import OWNER

pytestmark = pytest.mark.integration

MARKER = "Echo-7f3a9c"  # a value no answer may repeat


def _refused(contract, method: str, target: str, raw: bytes) -> dict:
    response = contract.call(OWNER, method, target, raw=raw)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "malformed_body", error
    assert MARKER not in response.text
    return error


@pytest.mark.parametrize(("raw", "where_en", "how_en"), [
    (b"", "empty", "send a JSON object"),
    (b'\xef\xbb\xbf{"references": []}', "byte-order mark", "remove"),
    ('{"references": ["Léa"]}'.encode("latin-1"), "byte 19", "UTF-8"),
    (b'{"references": [NaN]}', "line 1, column 17", "null or a number"),
    (b'{"references": [Infinity]}', "line 1, column 17", "null or a number"),
    (b'{"references": ["' + MARKER.encode() + b'",]}', "line 1, column 30", "fix the JSON"),
    (b'{\n  "references": ["' + MARKER.encode() + b'"]\n  x}', "line 3, column 3", "fix the JSON"),
    (b'{"references": ' + b"[" * 1100 + b"]" * 1100 + b"}", "nested too deep", "levels"),
])
def test_a_body_that_is_not_json_is_refused_saying_where_and_how(contract, raw, where_en, how_en):
    error = _refused(contract, "POST", "/v1/consents/lookup", raw)
    assert where_en in error["message_en"] and how_en in error["message_en"], error
    assert error["message_fr"] != "Le corps n'est pas du JSON valide.", error


@pytest.mark.parametrize(("method", "target", "raw"), [
    ("POST", "/v1/deliveries/replay", b'{"delivery_id": "42"}'),
    ("POST", "/v1/consents/cst_inconnu/withdraw", b'{"motif": "' + MARKER.encode() + b'"}'),
    ("POST", "/v1/consents/cst_inconnu/ack", b"[]"),
    ("POST", "/v1/erasures/1/ack", b'"oui"'),
    ("GET", "/v1/feed", b'{"after": 5}'),
    ("GET", "/v1/notices", b"not json"),
])
def test_a_body_sent_to_an_operation_that_reads_none_is_a_400(contract, method, target, raw):
    error = _refused(contract, method, target, raw)
    assert "takes no body" in error["message_en"], error
    assert "query string" in error["message_en"], error


def test_a_delete_with_a_body_deletes_nothing(contract):
    fiche = make_fiche(member=OWNER, fiche_id="F-1")
    record_consents(contract.hub, [fiche])
    assert contract.call(OWNER, "POST", "/v1/fiches", {"fiches": [fiche]}).status_code == 202
    body = json.dumps({"fiche_id": "F-2"}).encode()
    _refused(contract, "DELETE", f"/v1/fiches/{OWNER}/F-1", body)
    assert contract.call(OWNER, "GET", f"/v1/fiches/{OWNER}/F-1").status_code == 200


@pytest.mark.parametrize("raw", [b"", b"{}", b" { } "])
def test_an_empty_body_or_object_is_still_read_as_no_body(contract, raw):
    """HTTP libraries asked for JSON with nothing in it send `{}`: nothing is ignored."""
    assert contract.call(OWNER, "GET", "/v1/feed", raw=raw).status_code == 200
    answer = contract.call(OWNER, "POST", "/v1/deliveries/replay", raw=raw)
    assert answer.status_code == 200, answer.text


def test_every_signed_operation_declares_the_400_of_a_body_it_does_not_read(contract):
    document = contract.client.get("/openapi.json").json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if operation.get("security"):
                assert "400" in operation["responses"], (method, path)


def test_a_body_of_another_type_sent_to_an_operation_that_reads_none_is_the_same_400(contract):
    """Not a 415 about its type, which the contract declares only where a body is read."""
    signed = contract.creds(OWNER).rfc9421_headers("POST", "/v1/deliveries/replay", b"x")
    response = contract.client.post("/v1/deliveries/replay", content=b"x",
                                    headers={**signed, "Content-Type": "text/plain"})
    assert response.status_code == 400, response.text
    assert "takes no body" in response.json()["error"]["message_en"]
