"""A separation undoes a link the matcher or a coordinator made by mistake: what a member
learnt only through that link (routing `linked` to the porteur it no longer shares) is no
longer served to it (feed, porteur view, a dead letter's replay), and its `unmerged`
notice names those deliveries to delete, which the connector's receiver deletes. Both
stores."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives import serialization

from connectors.receiver import WebhookReceiver
from hub.services.accounts.auth import Caller
from hub.services.delivery import feed, webhooks
from hub.services.ingest import accept as ingest
from hub.services.ingest import processing
from hub.services.matching import duplicates
from hub.services.privacy import porteurs
from tests.factories import make_fiche, record_consents
from tests.integration.world import OWNER, fiche, network_world

pytestmark = pytest.mark.integration

CCI = Caller("cci-thiers", "cci-thiers", "cci", "accompagnement")
COORDINATION = "pnr-livradois"
ARLANC = {"commune": "Arlanc", "code_insee": "63010"}  # nobody subscribes to it


@pytest.fixture
def network(db_url, tmp_path):
    """The CCI subscribed to nothing: it receives a fiche only as a member linked to its
    porteur."""
    yield from network_world(db_url, tmp_path, cci_subscribed=False)


def _push(hub, caller, document):
    document["porteur"]["adresse"] = {**document["porteur"]["adresse"], **ARLANC}
    document["projet"]["commune_implantation"] = {"code_insee": "63010", "nom": "Arlanc"}
    if document["version"] == 1:
        record_consents(hub, [document])
    assert ingest.push_batch(hub, caller, [document])["accepted"] == 1
    processing.process_outbox(hub, hub.publisher.published[-1])
    webhooks.dispatch_webhooks(hub)


def _linked_by_mistake(hub):
    """The CCI's C-1 and the commune's A-1, linked by the matcher (the same identity),
    each member sent the other's fiche through that link alone: the porteur's id."""
    cci_fiche = make_fiche(member=CCI.member_id, fiche_id="C-1")
    cci_fiche["accompagnement"][0]["structure"] = CCI.member_id
    _push(hub, CCI, cci_fiche)
    _push(hub, OWNER, fiche("A-1"))
    _push(hub, CCI, make_fiche(member=CCI.member_id, fiche_id="C-1", version=2,
                               accompagnement=cci_fiche["accompagnement"]))
    with hub.uow() as uow:
        linked = {uow.fiches.porteur_of(m, f).porteur_id
                  for m, f in ((CCI.member_id, "C-1"), (OWNER.member_id, "A-1"))}
    [porteur] = linked
    return porteur


def _data(items):
    return [i for i in items if i["evenement"] in ("created", "updated") and not i.get("retire")]


def _raw(hub) -> bytes:
    return hub.hub_key.public_key.public_bytes(serialization.Encoding.Raw,
                                               serialization.PublicFormat.Raw)


def test_an_unmerge_stops_serving_what_a_member_learnt_only_through_the_mistaken_link(
        network, tmp_path):
    hub, _clock, cci, _pfil = network
    receiver = WebhookReceiver(tmp_path / "livraisons", {hub.hub_key.key_id: _raw(hub)})
    porteur = _linked_by_mistake(hub)
    assert [d["source"]["fiche_id"] for d in _data(
        feed.read_feed(hub, CCI, 0, 100)["deliveries"])] == ["A-1"]
    assert [d["source"]["fiche_id"] for d in _data(
        feed.read_feed(hub, OWNER, 0, 100)["deliveries"])] == ["C-1"]
    for sent in cci.received:
        assert receiver.handle(sent["headers"], sent["body"])[0] == 200
    [copy] = receiver.deliveries()

    duplicates.unmerge(hub, porteur, OWNER.member_id, "A-1", actor=COORDINATION)
    webhooks.dispatch_webhooks(hub)

    for who, other in ((CCI, "A-1"), (OWNER, "C-1")):
        page = feed.read_feed(hub, who, 0, 100)["deliveries"]
        assert _data(page) == []
        assert {d["motif"] for d in page if d.get("retire")} == {"link_undone"}
        [notice] = [d for d in page if d["evenement"] == "unmerged"]
        [source] = notice["sources"]
        assert source["fiche_id"] == other
        assert source["livraisons"] == [d["delivery_id"] for d in page if d.get("retire")]
        assert _data(porteurs.porteur_for(hub, who, porteur)["livraisons"]) == []
    notice_sent = cci.received[-1]
    assert json.loads(notice_sent["body"])["evenement"] == "unmerged"
    status, answer = receiver.handle(notice_sent["headers"], notice_sent["body"])
    assert (status, answer["copies_supprimees"]) == (200, 1)
    assert not copy.exists()


def test_a_dead_letter_made_through_the_mistaken_link_is_not_sent_after_the_unmerge(network):
    hub, clock, cci, _pfil = network
    cci.status = 400  # refused: A-1 dead-lettered
    porteur = _linked_by_mistake(hub)
    cci.status = 200
    duplicates.unmerge(hub, porteur, OWNER.member_id, "A-1", actor=COORDINATION)
    webhooks.dispatch_webhooks(hub)
    cci.received.clear()
    webhooks.replay_dead(hub, member_id=CCI.member_id)
    for _ in range(3):
        clock.advance(seconds=60)
        webhooks.dispatch_webhooks(hub)
    assert [d for d in cci.documents() if d.get("fiche")] == []
