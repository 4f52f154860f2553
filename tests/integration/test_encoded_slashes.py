"""An encoded slash (`%2F`) in a path is no separator: a path
value holding one names no resource, so the path is answered 404 `route_not_found`
rather than decoded into another route's path (`/v1/erasures/%2F` was redirected to
`/v1/erasures`, and a fiche id `x%2Fversions` would reach the versions of fiche `x`)."""

from __future__ import annotations

import pytest

from tests.integration.contract_world import OWNER

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("target", [
    "/v1/erasures/%2F", "/v1/erasures/%2f", "/v1/erasures/1%2Fack",
    "/v1/fiches/commune-ambert/F-1%2Fversions", "/v1/feed%2F"])
def test_an_encoded_slash_in_a_path_is_a_404_not_another_route(contract, target):
    response = contract.call(OWNER, "GET", target)
    assert response.status_code == 404, (target, response.status_code, response.text)
    assert response.json()["error"]["code"] == "route_not_found"
    assert "location" not in response.headers


def test_the_documented_trailing_slash_redirect_still_answers(contract):
    response = contract.client.get("/v1/feed/", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "/v1/feed"
