"""A JSON body nested deeper than any document of the contract is a 400 malformed_body
before anything walks it: bodies nested 960-1023 deep (orjson reads up to 1024) made the
name-twice check give up and the NUL search recurse until a 500."""

from __future__ import annotations

import pytest

from hub.api.bodies import MAX_DEPTH
from tests.integration.contract_world import OWNER

pytestmark = pytest.mark.integration

DEPTHS = [MAX_DEPTH + 1, 100, 900, 960, 1000, 1020, 1023]
TARGETS = [("POST", "/v1/fiches", "fiches"), ("POST", "/v1/consents/lookup", "references"),
           ("PUT", "/v1/subscriptions", "abonnements"), ("POST", "/v1/notices", "texte"),
           ("POST", "/v1/referent-proposals/1/answer", "note")]


def _nested(name: str, depth: int, leaf: bytes) -> bytes:
    """`{"name": [[...leaf...]]}`, `depth` levels in all."""
    return b'{"' + name.encode() + b'":' + b"[" * (depth - 1) + leaf + b"]" * (depth - 1) + b"}"


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize(("method", "target", "name"), TARGETS)
@pytest.mark.parametrize("leaf", [b'"\\u0000"', b'{"a":1,"a":2}', b"1"])
def test_a_body_nested_too_deep_is_a_400_in_the_envelope(contract, method, target, name, depth,
                                                          leaf):
    body = _nested(name, depth, leaf)
    signed = contract.creds(OWNER).rfc9421_headers(method, target, body)
    response = contract.client.request(method, target, content=body,
                                       headers={**signed, "Content-Type": "application/json"})
    assert response.status_code == 400, response.text[:300]
    error = response.json()["error"]
    assert error["code"] == "malformed_body" and "nested too deep" in error["message_en"]


def test_a_body_at_the_depth_limit_is_read(contract) -> None:
    body = _nested("references", MAX_DEPTH - 1, b'"CST-1"')
    signed = contract.creds(OWNER).rfc9421_headers("POST", "/v1/consents/lookup", body)
    response = contract.client.post("/v1/consents/lookup", content=body,
                                    headers={**signed, "Content-Type": "application/json"})
    assert "nested too deep" not in response.text
    assert response.status_code < 500, response.text
    assert response.json()["error"]["code"] != "malformed_body"
