"""Small answers of the public contract, on both databases: a consent's 201 is the stored
record and names a new resource only; an unknown member named in a query is told by the
parameter's name, never by the value sent."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from capactif_demo.consent_examples import example_submission
from tests.integration.contract_world import NETWORK, OWNER

pytestmark = pytest.mark.integration

NOTICE = {"texte": "Vos données servent à vous orienter vers les membres du réseau.",
          "langue": "fr", "finalites": ["orientation", "accompagnement"]}


def _consent(contract, **changes) -> dict:
    notice = contract.call(OWNER, "POST", "/v1/notices", body=NOTICE).json()
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    return example_submission(notice["version"], notice["empreinte"], now, membre=OWNER,
                              reference="CST-F-1", fiche_id="F-1", **changes)


def test_a_consent_is_answered_as_stored_not_as_its_numbers_were_written(contract):
    submission = _consent(contract)
    submission["notice"] = {**submission["notice"], "version": float(submission["notice"]["version"])}
    created = contract.call(OWNER, "POST", "/v1/consents", body=submission)
    assert created.status_code == 201, created.text
    answered = json.loads(created.text)
    assert type(answered["notice"]["version"]) is int
    read = contract.call(OWNER, "GET", f"/v1/consents/{answered['id']}")
    assert answered == read.json()


def test_the_same_consent_posted_again_is_answered_200_without_a_new_location(contract):
    submission = _consent(contract)
    created = contract.call(OWNER, "POST", "/v1/consents", body=submission)
    assert (created.status_code, created.headers["Location"]) == (
        201, f"/v1/consents/{created.json()['id']}")
    again = contract.call(OWNER, "POST", "/v1/consents", body=submission)
    assert (again.status_code, again.json()) == (200, created.json())
    assert "Location" not in again.headers
    other = contract.call(OWNER, "POST", "/v1/consents", body=submission | {"mode": "courriel"})
    assert (other.status_code, other.json()["error"]["code"]) == (409, "duplicate_consent_reference")


@pytest.mark.parametrize(("method", "target"), [
    ("GET", "/v1/deliveries/dead?membre=jean-dupont-0612345678"),
    ("POST", "/v1/deliveries/replay?membre=jean-dupont-0612345678")])
def test_an_unknown_member_is_named_by_its_parameter_never_by_the_value_sent(
        contract, method, target):
    answer = contract.call(NETWORK, method, target)
    assert answer.status_code == 404, answer.text
    error = answer.json()["error"]
    assert error["code"] == "unknown_member"
    assert [(e["path"], e["code"]) for e in error["erreurs"]] == [("query.membre", "unknown_member")]
    assert "jean-dupont" not in answer.text and "0612345678" not in answer.text
    assert "capactif" not in answer.text  # an operator's command is no partner's to run
