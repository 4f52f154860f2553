"""`POST /v1/consents/lookup` (what `connector check` reads) says a consent whose fiche
the porteur had erased is not usable, as the push does. Both databases."""

from __future__ import annotations

import pytest

from tests.integration.contract_world import OWNER
from tests.integration.erased_person import named_fiche, push_person

pytestmark = pytest.mark.integration


def test_a_consent_whose_fiche_was_erased_is_looked_up_unusable_as_the_push_refuses_it(contract):
    push_person(contract)
    assert contract.call(OWNER, "POST", "/v1/erasures", {"fiche_id": "F-1"}).status_code == 201
    pushed = contract.call(OWNER, "POST", "/v1/fiches", {"fiches": [named_fiche(version=2)]})
    [refused] = pushed.json()["results"]
    assert refused["errors"][0]["code"] == "fiche_erased", refused
    [looked] = contract.call(OWNER, "POST", "/v1/consents/lookup",
                             {"references": ["CST-F-1"]}).json()["references"]
    assert (looked["connue"], looked["utilisable"], looked["code"]) == (
        True, False, "fiche_erased")


def test_a_consent_whose_fiche_stands_is_still_looked_up_usable(contract):
    push_person(contract)
    [looked] = contract.call(OWNER, "POST", "/v1/consents/lookup",
                             {"references": ["CST-F-1"]}).json()["references"]
    assert (looked["utilisable"], looked["code"]) == (True, "consent_covers")
