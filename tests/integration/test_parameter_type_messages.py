"""A parameter of the wrong type is told the rule of its own type: every integer was told
the date-time text (`?after=abc`, `/v1/notices/abc`, `?page=abc`), since the check of its
digits raised the same kind of error as a date-time's. Each parameter the served OpenAPI
document declares is sent a wrong value, with every caller until one reaches the check."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from tests.integration.contract_world import NETWORK, OWNER, RECIPIENT

pytestmark = pytest.mark.integration

CALLERS = (OWNER, RECIPIENT, NETWORK, f"{NETWORK}.dpo")
_DATETIME_TEXT = "RFC 3339"


def _schema(parameter: dict) -> dict:
    schema = parameter["schema"]
    alternatives = [s for s in schema.get("anyOf", [schema]) if s.get("type") != "null"]
    return alternatives[0]


def _wrong_values(schema: dict) -> list[str]:
    if schema.get("type") == "integer":
        return ["abc", "1.5"]
    if schema.get("format") == "date-time" or "enum" in schema:
        return ["abc"]
    if "pattern" in schema:
        return ["!!"]
    return []  # a free string: no value is of the wrong type


def _expected(schema: dict) -> str:
    if schema.get("type") == "integer":
        return f"a whole number from {schema['minimum']} to {schema['maximum']}"
    if schema.get("format") == "date-time":
        return _DATETIME_TEXT
    if "enum" in schema:
        return "allowed list (" + " or ".join(repr(v) for v in schema["enum"]) + ")"
    return f"matching {schema['pattern']}"


def _cases(document: dict) -> list[tuple[str, dict, list[dict], str, str]]:
    cases = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            parameters = [p for p in operation.get("parameters", []) if p["in"] in ("query", "path")]
            # A path's member id is the caller's own or a 403 (the authorization answers it first).
            tested = [p for p in parameters if (p["in"], p["name"]) != ("path", "member_id")]
            for parameter in tested:
                for wrong in _wrong_values(_schema(parameter)):
                    cases.append((method.upper(), parameter, parameters, wrong, path))
    return cases


def _target(path: str, parameters: list[dict], tested: dict, wrong: str, caller: str) -> str:
    def valid(parameter: dict) -> str:
        if parameter["name"] == "member_id":
            return caller  # a member reads its own fiches only
        return "1" if _schema(parameter).get("type") == "integer" else "abc"

    for parameter in parameters:
        if parameter["in"] == "path":
            value = wrong if parameter is tested else valid(parameter)
            path = path.replace("{" + parameter["name"] + "}", quote(value, safe=""))
    if tested["in"] == "query":
        path += f"?{tested['name']}={quote(wrong, safe='')}"
    return path


def test_every_typed_parameter_is_told_its_own_type(contract):
    document = contract.client.get("/openapi.json").json()
    cases = _cases(document)
    assert len(cases) > 40  # the integers, ids, dates and lists of the contract
    unreached, wrong_text = [], []
    for method, parameter, parameters, wrong, path in cases:
        where = f"{parameter['in']}.{parameter['name']}"
        for caller in CALLERS:
            target = _target(path, parameters, parameter, wrong, caller)
            response = contract.call(caller, method, target)
            errors = response.json()["error"].get("erreurs", []) if response.status_code == 422 else []
            mine = [e for e in errors if e["path"] == where]
            if mine:
                break
        else:
            unreached.append((method, target))
            continue
        schema, text = _schema(parameter), mine[0]["message_en"]
        if _expected(schema) not in text:
            wrong_text.append((method, target, text))
        if schema.get("format") != "date-time" and _DATETIME_TEXT in text:
            wrong_text.append((method, target, text))
    assert unreached == []
    assert wrong_text == []


@pytest.mark.parametrize("target", ["/v1/feed?after=abc", "/v1/feed?after=1.5", "/v1/feed?limit=abc"])
def test_the_feed_cursor_and_limit_state_their_bounds(contract, target):
    response = contract.call(OWNER, "GET", target)
    assert response.status_code == 422, response.text
    message = response.json()["error"]["erreurs"][0]["message_en"]
    assert re.fullmatch(r"a whole number from \d+ to \d+ is expected \(digits 0-9 alone\)", message)
    assert "abc" not in response.text and "1.5" not in response.text


def test_every_path_parameter_declares_its_rule(contract):
    """No path parameter is a free string: each is refused 422 before any logic when out
    of its rule (an id, a pattern, bounds or a list), as the test above checks."""
    document = contract.client.get("/openapi.json").json()
    free = [(method, path, p["name"]) for path, operations in document["paths"].items()
            for method, operation in operations.items()
            for p in operation.get("parameters", [])
            if p["in"] == "path" and not _wrong_values(_schema(p))]
    assert free == []
