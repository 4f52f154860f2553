"""A withdrawal or erasure notice names to a member only the fiches it was sent (or may
have been: a delivery cancelled while its POST could be under way). A webhook cancelled
before any POST of it could start never left: found from outside, its recipient was
still sent a notice naming the fiche, an id it never knew. And a member asked to delete
what it was sent, or only sent a notice, follows the porteur by it no more (it holds
nothing of the porteur from it). On both databases, with real HTTP recipients."""

from __future__ import annotations

import json

import pytest

from hub.domain.webhook_line import PROBE_AFTER
from hub.services.delivery import webhooks
from hub.services.ingest import accept as ingest
from hub.services.ingest import processing
from hub.services.privacy import consents, erasure
from tests.factories import other_porteur, record_consents
from tests.integration.world import OWNER, fiche

pytestmark = pytest.mark.integration

CCI, PFIL = "cci-thiers", "pfil-livradois"


def _pushed(hub, document) -> str:
    """The owner's fiche pushed and processed (deliveries planned, none sent yet); its
    consent's id."""
    [record] = record_consents(hub, [document])
    assert ingest.push_batch(hub, OWNER, [document])["accepted"] == 1
    processing.process_outbox(hub, hub.publisher.published[-1])
    return record.id


def _porteur(hub, fiche_id: str = "F-1") -> str:
    with hub.uow() as uow:
        return uow.fiches.get(OWNER.member_id, fiche_id).porteur_id


def _named(recipient, fiche_id: str) -> list[dict]:
    return [d for d in recipient.documents() if fiche_id in json.dumps(d)]


def test_a_withdrawal_notice_names_no_fiche_to_a_member_whose_delivery_never_left(network):
    hub, _clock, cci, pfil = network
    consent_id = _pushed(hub, fiche("F-1"))
    answer = consents.withdraw_consent(hub, OWNER, consent_id)  # before any sending
    webhooks.dispatch_webhooks(hub)
    assert CCI not in answer["avis_envoyes"] and PFIL not in answer["avis_envoyes"]
    assert _named(cci, "F-1") == [] and _named(pfil, "F-1") == []


def test_an_erasure_notice_names_no_fiche_to_a_member_whose_delivery_never_left(network):
    hub, _clock, cci, pfil = network
    _pushed(hub, fiche("F-1"))
    answer = erasure.request_erasure(hub, OWNER, {"fiche_id": "F-1"})
    webhooks.dispatch_webhooks(hub)
    assert CCI not in answer["avis_envoyes"] and PFIL not in answer["avis_envoyes"]
    assert answer["livraisons_annulees"] == 2
    assert _named(cci, "F-1") == [] and _named(pfil, "F-1") == []


def test_a_delivery_that_may_have_left_is_still_named_in_the_notice(network):
    hub, _clock, cci, _pfil = network
    cci.status = 503  # tried: its POST may have been read before the answer
    consent_id = _pushed(hub, fiche("F-1"))
    webhooks.dispatch_webhooks(hub)
    consents.withdraw_consent(hub, OWNER, consent_id)
    cci.status = 200
    webhooks.dispatch_webhooks(hub)
    [notice] = [d for d in cci.documents() if d["evenement"] == "withdrawn"]
    assert notice["source"]["fiche_id"] == "F-1"


def test_a_member_asked_to_delete_what_it_was_sent_follows_the_porteur_by_it_no_more(network):
    hub, _clock, cci, pfil = network
    cci.status = 503  # the CCI's delivery may have left, then cancelled: only a notice stays
    consent_id = _pushed(hub, fiche("F-1"))
    webhooks.dispatch_webhooks(hub)  # the PFIL's reached it
    porteur_id = _porteur(hub)
    with hub.uow() as uow:
        assert uow.deliveries.followers_of_porteurs([porteur_id])[porteur_id] >= {PFIL}
    consents.withdraw_consent(hub, OWNER, consent_id)
    cci.status = 200
    webhooks.dispatch_webhooks(hub)
    assert [d["evenement"] for d in cci.documents()] == ["withdrawn"]
    assert "withdrawn" in [d["evenement"] for d in pfil.documents()]
    with hub.uow() as uow:
        followers = uow.deliveries.followers_of_porteurs([porteur_id])[porteur_id]
    assert followers == {OWNER.member_id}


def _withdrawn(hub, consent_id: str) -> dict:
    return consents.withdraw_consent(hub, OWNER, consent_id)


def _erased(hub, _consent_id: str) -> dict:
    return erasure.request_erasure(hub, OWNER, {"fiche_id": "F-2"})


@pytest.mark.parametrize("withdraw", [_withdrawn, _erased])
def test_a_delivery_posted_as_a_probe_and_refused_is_named_in_the_notice(network, withdraw):
    """The CCI answers 500 to everything: its head of line F-1 is refused three times,
    then F-2 (another porteur) is POSTed as a probe and refused too. A 500 does not say
    the document was not stored: F-2 may have left, and its withdrawal (or erasure) is
    notified to the CCI. Before, the refused probe kept no trace of its POST (attempts 0,
    no give-up clock) and read as cancelled before it could leave: no notice."""
    hub, clock, cci, _pfil = network
    cci.status = 500
    _pushed(hub, fiche("F-1"))
    consent_id = _pushed(hub, fiche("F-2", porteur=other_porteur(2)))
    for _ in range(PROBE_AFTER):
        webhooks.dispatch_webhooks(hub)
        clock.advance(seconds=hub.settings.webhook_retry_max_s)
    assert ("F-2", 1) in cci.tried and _named(cci, "F-2") == []  # POSTed, refused
    answer = withdraw(hub, consent_id)
    assert CCI in answer["avis_envoyes"]
    cci.status = 200
    webhooks.dispatch_webhooks(hub)
    assert [d["evenement"] in ("withdrawn", "erased") for d in _named(cci, "F-2")] == [True]
