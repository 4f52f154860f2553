"""`GET /v1/porteurs/{id}`, on both databases: the caller's own fiches of the porteur and
what was delivered to it, nothing else; 404 (never 403) for a porteur it knows nothing of."""

from __future__ import annotations

import pytest

from hub.services.accounts.auth import Caller
from hub.services.ingest import accept as ingest
from hub.services.ingest import processing
from tests.factories import make_fiche, record_consents
from tests.integration.contract_world import NETWORK, OWNER, RECIPIENT

pytestmark = pytest.mark.integration


def pushed(contract, **consent_terms) -> tuple[dict, str]:
    fiche = make_fiche(member=OWNER, fiche_id="F-1")
    fiche["accompagnement"][0]["notes"] = "NOTE-LIBRE-CONFIDENTIELLE"
    record_consents(contract.hub, [fiche], **consent_terms)
    answer = ingest.push_batch(contract.hub, Caller(OWNER, "", "commune", "accueil"), [fiche])
    assert answer["accepted"] == 1, answer
    processing.process_outbox(contract.hub, contract.hub.publisher.published[-1])
    with contract.hub.uow() as uow:
        return fiche, uow.fiches.porteur_of(OWNER, "F-1").porteur_id


def test_the_owner_sees_its_own_fiche_of_the_porteur(contract):
    fiche, porteur_id = pushed(contract)
    answer = contract.call(OWNER, "GET", f"/v1/porteurs/{porteur_id}")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["porteur_id"] == porteur_id
    assert [(f["membre"], f["fiche_id"], f["fiche"]) for f in body["fiches"]] == [(OWNER, "F-1", fiche)]


def test_a_recipient_sees_only_what_was_delivered_to_it_projected(contract):
    _fiche, porteur_id = pushed(contract, roles_destinataires=["accompagnement"])
    feed = contract.call(RECIPIENT, "GET", "/v1/feed").json()["deliveries"]
    assert feed, "the recipient should have received the fiche"
    body = contract.call(RECIPIENT, "GET", f"/v1/porteurs/{porteur_id}").json()
    assert body["fiches"] == []
    assert [d["delivery_id"] for d in body["livraisons"]] == [d["delivery_id"] for d in feed]
    assert body["livraisons"][0]["fiche"] == feed[0]["fiche"]
    assert "NOTE-LIBRE-CONFIDENTIELLE" not in str(body)


def test_a_member_that_knows_nothing_of_the_porteur_gets_the_same_404_as_for_an_unknown_id(contract):
    _fiche, porteur_id = pushed(contract, roles_destinataires=["accompagnement"])
    known = contract.call(NETWORK, "GET", f"/v1/porteurs/{porteur_id}")
    unknown = contract.call(NETWORK, "GET", "/v1/porteurs/prt_0000000000000000")
    assert known.status_code == unknown.status_code == 404
    assert known.json() == unknown.json()


def test_after_a_withdrawal_what_was_delivered_reads_as_withdrawn(contract):
    _fiche, porteur_id = pushed(contract, roles_destinataires=["accompagnement"])
    [consent] = contract.hub.consents.for_porteur([(OWNER, "F-1")])
    assert contract.call(OWNER, "POST", f"/v1/consents/{consent.id}/withdraw").status_code == 200
    body = contract.call(RECIPIENT, "GET", f"/v1/porteurs/{porteur_id}").json()
    data = [d for d in body["livraisons"] if d["evenement"] in ("created", "updated")]
    assert data and all(d.get("retire") for d in data)
    assert "fiche" not in data[0]


def test_dpo_credentials_do_not_read_porteurs(contract):
    _fiche, porteur_id = pushed(contract)
    assert contract.call(f"{RECIPIENT}.dpo", "GET", f"/v1/porteurs/{porteur_id}").status_code == 403
