"""Found by an outside sweep of a running hub (a partner, a member's agent, a DPO, an
attacker): each case broke a rule of the public contract."""

from __future__ import annotations

import json

import pytest

from tests.factories import make_fiche
from tests.integration.contract_world import OWNER

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("path", ["/v1/feed/", "/v1/notices/", "/console"])
def test_a_redirect_never_sends_the_caller_to_the_host_its_request_named(contract, path):
    """The slash redirect was built from the Host header: a poisoned cache or a link
    through a proxy that passes Host sent the next request (and its token) elsewhere."""
    response = contract.client.get("http://testserver" + path, headers={"Host": "attaquant.example"},
                                   follow_redirects=False)
    assert response.status_code in (307, 308), response.text
    location = response.headers["location"]
    assert location.startswith("/") and location[1:2] not in ("/", "\\"), location
    assert not location.startswith("/attaquant") and "attaquant.example/" not in location[:2]


@pytest.mark.parametrize("given", [
    "Marie.Dupont-1985-03-12", "dupont.marie.orange.fr", "0612345678-appel",
    "1" * 8 + ":" + "Gaspard_Truchebeuf"])
def test_a_request_id_that_could_name_a_porteur_never_reaches_the_audit_trail(contract, given):
    """X-Request-Id is the caller's text: only an opaque form (a UUID) is kept; any other
    is replaced by the hub's own, in the answer and in every access event."""
    response = _push_with_request_id(contract, given)
    assert response.headers["X-Request-Id"] != given
    kept = {e.request_id for e in contract.hub.audit.search(limit=1000)}
    assert given not in kept and response.headers["X-Request-Id"] in kept


def test_a_uuid_request_id_is_kept_for_the_partner_to_match_its_own_logs(contract):
    given = "3f2b8c1e-9d4a-4e7b-a1c2-5e6f7a8b9c0d"
    response = _push_with_request_id(contract, given)
    assert response.headers["X-Request-Id"] == given
    assert given in {e.request_id for e in contract.hub.audit.search(limit=1000)}


def _push_with_request_id(contract, given: str):
    body = json.dumps({"fiches": [make_fiche(member=OWNER, fiche_id="F-ID")]}).encode()
    headers = contract.creds(OWNER).rfc9421_headers("POST", "/v1/fiches", body)
    response = contract.client.post("/v1/fiches", content=body,
                                    headers={**headers, "X-Request-Id": given})
    assert response.status_code == 202, response.text
    assert contract.hub.audit.search(action="fiche_push")
    return response


def test_a_note_or_a_notice_that_reorders_its_text_is_refused_naming_the_code_point(contract):
    """Free texts go to partners' systems the hub cannot protect: an override there shows
    another text than the one the DPO reviewed (docs/protocol.md, "Invisible characters")."""
    fiche = make_fiche(member=OWNER, fiche_id="F-RLO")
    fiche["accompagnement"][0]["notes"] = "Prêt accordé\u202e refusé"
    [item] = contract.call(OWNER, "POST", "/v1/fiches", {"fiches": [fiche]}).json()["results"]
    assert item["status"] == "rejected"
    assert [(e["path"], e["code"]) for e in item["errors"]] == [
        ("$.accompagnement[0].notes", "format")]
    assert "U+202E" in item["errors"][0]["message_en"]
    notice = {"texte": "Vos données\u2066 servent à vous orienter.", "langue": "fr",
              "finalites": ["orientation"]}
    refused = contract.call(OWNER, "POST", "/v1/notices", notice)
    assert refused.status_code == 400, refused.text
    assert "U+2066" in refused.text and "servent" not in refused.text
