"""An unexpected error (a defect of the hub's) is still answered in the envelope, with
the request id the partner quotes to the network's administrators and no-store: the 500
left by Starlette's outermost handler had neither."""

from __future__ import annotations

import pytest

import schemas
from tests.integration.contract_world import OWNER

pytestmark = pytest.mark.integration

GIVEN = "0f6b2c1e9a8d4f3b8c7d6e5f4a3b2c1d"


def fail(*_args: object) -> None:
    raise RuntimeError("Marie Dupont 1985-03-12")  # what a defect could carry


@pytest.mark.parametrize("given", [GIVEN, None])
def test_a_500_carries_the_request_id_and_the_envelope(contract, monkeypatch, given):
    monkeypatch.setattr(schemas, "schema_names", fail)
    headers = {"X-Request-Id": given} if given else {}
    answer = contract.client.get("/v1/schemas", headers=headers)
    assert answer.status_code == 500
    assert answer.json()["error"]["code"] == "internal_error"
    assert "Marie" not in answer.text
    request_id = answer.headers.get("X-Request-Id")
    assert request_id == given if given else request_id.startswith("req_")
    assert answer.headers.get("Cache-Control") == "no-store"


def test_a_500_of_a_signed_call_carries_the_request_id(contract, monkeypatch):
    monkeypatch.setattr(schemas, "schema_names", fail)
    answer = contract.call(OWNER, "GET", "/v1/schemas")
    assert answer.status_code == 500 and answer.headers.get("X-Request-Id", "").startswith("req_")


def test_a_console_500_is_its_error_page_with_the_request_id(contract, monkeypatch):
    from hub.web import routes_auth

    monkeypatch.setattr(routes_auth, "_sign_in_form", fail)
    answer = contract.client.get("/console/connexion")
    assert answer.status_code == 500 and "Erreur interne du hub" in answer.text
    assert "Marie" not in answer.text
    assert answer.headers.get("X-Request-Id", "").startswith("req_")
