"""The consent in force for a fiche (the one its current version cites) governs every
version of it: reads, sends and replays of earlier versions, the lookup, later pushes and
the withdrawal notices (docs/privacy.md, "The consent in force"). Both stores."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from cryptography.hazmat.primitives import serialization

from connectors.receiver import WebhookReceiver
from hub.services.accounts.auth import Caller
from hub.services.accounts.members import load_network
from hub.services.delivery import feed, webhooks
from hub.services.ingest import accept as ingest
from hub.services.ingest import processing
from hub.services.privacy import consents, porteurs
from tests.factories import record_consents
from tests.integration.world import OWNER, THIERS, fiche

pytestmark = pytest.mark.integration
PFIL = Caller("pfil-livradois", "PFIL", "pfil", "financement")


def _push(hub, doc):
    answer = ingest.push_batch(hub, OWNER, [doc])
    if answer["accepted"]:
        processing.process_outbox(hub, hub.publisher.published[-1])
    return answer


def _renewed(hub, fiche_id, **terms):
    """v1 under its consent C1, then v2 under a renewed consent C2: (C1, C2)."""
    v1 = fiche(fiche_id, 1)
    first = record_consents(hub, [v1])[0]
    assert _push(hub, v1)["accepted"] == 1
    webhooks.dispatch_webhooks(hub)
    v2 = fiche(fiche_id, 2, projet={**v1["projet"], "stade": "montage"})
    v2["consentement"] = {"reference": f"CST-{fiche_id}-renouvele"}
    second = record_consents(hub, [v2], **terms)[0]
    assert _push(hub, v2)["accepted"] == 1
    webhooks.dispatch_webhooks(hub)
    return first, second


def _data(items):
    return [i for i in items if i["evenement"] in ("created", "updated") and not i.get("retire")]


def _porteur(hub, fiche_id):
    with hub.uow() as uow:
        return uow.fiches.porteur_of(OWNER.member_id, fiche_id).porteur_id


def test_withdrawing_the_consent_in_force_stops_serving_every_version(network):
    hub, _clock, _cci, _pfil = network
    _c1, c2 = _renewed(hub, "F-R")
    before = {d["delivery_id"]: d["source"]["version"]
              for d in _data(feed.read_feed(hub, THIERS, 0, 100)["deliveries"])}
    assert sorted(before.values()) == [1, 2]
    consents.withdraw_consent(hub, OWNER, c2.id)
    page = feed.read_feed(hub, THIERS, 0, 100)["deliveries"]
    assert _data(page) == []
    assert {d["motif"] for d in page if d.get("retire")} == {"consent_withdrawn"}
    notice = next(d for d in page if d["evenement"] == "withdrawn")
    assert set(notice["source"]["livraisons"]) == set(before)
    for who in (PFIL, THIERS):
        assert _data(porteurs.porteur_for(hub, who, _porteur(hub, "F-R"))["livraisons"]) == []


def test_an_earlier_version_replayed_from_the_dead_letters_after_withdrawal_sends_no_data(network):
    hub, clock, _cci, pfil = network
    pfil.status = 400  # refused: v1 and v2 dead-lettered
    _c1, c2 = _renewed(hub, "F-D")
    consents.withdraw_consent(hub, OWNER, c2.id)
    pfil.status = 200
    webhooks.dispatch_webhooks(hub)
    pfil.received.clear()
    webhooks.replay_dead(hub, member_id="pfil-livradois")
    for _ in range(3):
        clock.advance(seconds=60)
        webhooks.dispatch_webhooks(hub)
    sent = [d for d in pfil.documents() if d.get("fiche")]
    assert sent == []


def test_a_superseded_consent_is_not_usable_and_a_push_citing_it_is_refused(network):
    hub, _clock, _cci, _pfil = network
    c1, c2 = _renewed(hub, "F-V")
    line = consents.lookup_references(hub, OWNER, {"references": [c1.reference]})["references"][0]
    assert (line["utilisable"], line["code"], line["remplace_par"]) == (
        False, "consent_superseded", c2.reference)
    v3 = fiche("F-V", 3)  # cites C1 again
    answer = _push(hub, v3)
    assert answer["accepted"] == 0
    assert answer["results"][0]["errors"][0]["code"] == "consent_superseded"
    consents.withdraw_consent(hub, OWNER, c2.id)  # withdraws C1 with it
    answer = _push(hub, v3)
    assert answer["accepted"] == 0
    assert answer["results"][0]["errors"][0]["code"] == "consent_withdrawn"
    assert _data(feed.read_feed(hub, THIERS, 0, 100)["deliveries"]) == []


def test_withdrawing_a_superseded_consent_asks_to_delete_only_what_was_made_under_it(network):
    hub, _clock, _cci, _pfil = network
    c1, _c2 = _renewed(hub, "F-S")
    version_of = {d["delivery_id"]: d["source"]["version"]
                  for d in _data(feed.read_feed(hub, THIERS, 0, 100)["deliveries"])}
    consents.withdraw_consent(hub, OWNER, c1.id)
    page = feed.read_feed(hub, THIERS, 0, 100)["deliveries"]
    notice = next(d for d in page if d["evenement"] == "withdrawn")
    assert [version_of[i] for i in notice["source"]["livraisons"]] == [1]
    assert [d["source"]["version"] for d in _data(page)] == [2]


def test_a_narrower_consent_in_force_stops_serving_earlier_versions_to_those_it_leaves_out(network):
    hub, _clock, _cci, _pfil = network
    _renewed(hub, "F-N",
             roles_destinataires=["accueil", "accompagnement", "coordination"])
    seen = porteurs.porteur_for(hub, PFIL, _porteur(hub, "F-N"))["livraisons"]
    assert seen and _data(seen) == []
    assert {d["motif"] for d in seen if d.get("retire")} == {"role_not_covered"}
    assert [d["source"]["version"] for d in _data(
        feed.read_feed(hub, THIERS, 0, 100)["deliveries"])] == [1, 2]


def test_a_role_downgraded_reads_earlier_deliveries_through_its_new_role(network, tmp_path):
    hub, _clock, _cci, _pfil = network
    record_consents(hub, [fiche("F-ROLE")])
    assert _push(hub, fiche("F-ROLE"))["accepted"] == 1
    as_funder = _data(feed.read_feed(hub, PFIL, 0, 100)["deliveries"])[0]
    assert "financement" in as_funder["fiche"]
    net = json.loads((tmp_path / "network.json").read_text())
    for member in net["membres"]:
        if member["id"] == PFIL.member_id:
            member["role"] = "accueil"
    (tmp_path / "network.json").write_text(json.dumps(net))
    load_network(hub, tmp_path / "network.json", tmp_path / "creds")
    as_welcome = Caller("pfil-livradois", "PFIL", "pfil", "accueil")
    read = feed.read_feed(hub, as_welcome, 0, 100)["deliveries"][0]
    assert read.get("retire") or "financement" not in read["fiche"]
    assert read.get("retire") or set(read["champs"]) < set(as_funder["champs"])


def test_a_narrower_consent_sends_those_it_leaves_out_a_notice_their_receiver_acts_on(network,
                                                                                      tmp_path):
    hub, _clock, _cci, pfil = network
    receiver = WebhookReceiver(tmp_path / "livraisons", {hub.hub_key.key_id: _raw(hub)})
    v1 = fiche("F-NN", 1)
    record_consents(hub, [v1])
    assert _push(hub, v1)["accepted"] == 1
    webhooks.dispatch_webhooks(hub)
    assert [receiver.handle(r["headers"], r["body"])[0] for r in pfil.received] == [200]
    [kept] = receiver.deliveries()
    v2 = fiche("F-NN", 2, projet={**v1["projet"], "stade": "montage"})
    v2["consentement"] = {"reference": "CST-F-NN-v2"}
    record_consents(hub, [v2], roles_destinataires=["accueil", "accompagnement", "coordination"])
    assert _push(hub, v2)["accepted"] == 1
    webhooks.dispatch_webhooks(hub)
    [notice] = [json.loads(r["body"]) for r in pfil.received[1:]]
    assert notice["evenement"] == "narrowed"
    assert notice["source"]["livraisons"] == [json.loads(kept.read_text())["delivery_id"]]
    status, answer = receiver.handle(pfil.received[1]["headers"], pfil.received[1]["body"])
    assert (status, answer["copies_supprimees"]) == (200, 1)
    assert [json.loads(p.read_text())["evenement"] for p in receiver.deliveries()] == ["narrowed"]
    thiers = feed.read_feed(hub, THIERS, 0, 100)["deliveries"]
    assert [d["evenement"] for d in thiers] == ["created", "updated"]  # still whole: no notice


def test_what_a_narrowing_notice_asked_to_delete_is_not_served_again_under_a_wider_consent(
        network):
    """v1 under C1 reached the PFIL; v2 under C2, leaving the PFIL's role out, sent it a
    `narrowed` notice asking it to delete v1; v3 under C3, for every role again, reaches
    it, but v1 stays withheld, in its feed and its view of the porteur (before: C3 in force
    and C1 still given served v1 again, name and all)."""
    hub, _clock, _cci, _pfil = network
    v1 = fiche("F-WIDE", 1)
    record_consents(hub, [v1])
    assert _push(hub, v1)["accepted"] == 1
    webhooks.dispatch_webhooks(hub)
    v2 = fiche("F-WIDE", 2, projet={**v1["projet"], "stade": "montage"})
    v2["consentement"] = {"reference": "CST-F-WIDE-v2"}
    record_consents(hub, [v2], roles_destinataires=["accueil", "accompagnement", "coordination"])
    assert _push(hub, v2)["accepted"] == 1
    webhooks.dispatch_webhooks(hub)
    [notice] = [d for d in feed.read_feed(hub, PFIL, 0, 100)["deliveries"]
                if d["evenement"] == "narrowed"]
    v3 = fiche("F-WIDE", 3, projet={**v1["projet"], "stade": "financement"})
    v3["consentement"] = {"reference": "CST-F-WIDE-v3"}
    record_consents(hub, [v3])
    assert _push(hub, v3)["accepted"] == 1
    webhooks.dispatch_webhooks(hub)
    page = feed.read_feed(hub, PFIL, 0, 100)["deliveries"]
    assert [d["source"]["version"] for d in _data(page)] == [3]
    assert {d["motif"] for d in page if d["delivery_id"] in notice["source"]["livraisons"]} == {
        "deletion_asked"}
    served = porteurs.porteur_for(hub, PFIL, _porteur(hub, "F-WIDE"))["livraisons"]
    assert [d["source"]["version"] for d in _data(served)] == [3]


def _raw(hub) -> bytes:
    return hub.hub_key.public_key.public_bytes(serialization.Encoding.Raw,
                                               serialization.PublicFormat.Raw)


def test_a_new_consent_after_withdrawing_the_one_in_force_serves_only_versions_pushed_under_it(
        network):
    hub, _clock, _cci, _pfil = network
    c1, c2 = _renewed(hub, "F-W")
    consents.withdraw_consent(hub, OWNER, c2.id)
    v3 = fiche("F-W", 3, projet={**fiche("F-W", 1)["projet"], "stade": "financement"})
    v3["consentement"] = {"reference": "CST-F-W-nouveau"}
    record_consents(hub, [v3])
    answer = _push(hub, v3)
    assert answer["accepted"] == 1, answer["results"]
    webhooks.dispatch_webhooks(hub)
    for who in (PFIL, THIERS):
        served = porteurs.porteur_for(hub, who, _porteur(hub, "F-W"))["livraisons"]
        assert [d["source"]["version"] for d in _data(served)] == [3]
    assert [d["source"]["version"] for d in _data(
        feed.read_feed(hub, THIERS, 0, 100)["deliveries"])] == [3]
    line = consents.lookup_references(hub, OWNER, {"references": [c1.reference]})["references"][0]
    assert (line["utilisable"], line["code"]) == (False, "consent_withdrawn")


def test_a_renewal_after_the_consent_in_force_expired_serves_only_versions_pushed_under_it(network):
    hub, clock, _cci, _pfil = network
    start = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    v1 = fiche("F-E", 1)
    record_consents(hub, [v1], expire_le=(start + dt.timedelta(days=400)).isoformat())
    assert _push(hub, v1)["accepted"] == 1
    v2 = fiche("F-E", 2, projet={**v1["projet"], "stade": "montage"})
    v2["consentement"] = {"reference": "CST-F-E-v2"}
    record_consents(hub, [v2], expire_le=(start + dt.timedelta(days=30)).isoformat())
    assert _push(hub, v2)["accepted"] == 1
    clock.now = start + dt.timedelta(days=31)
    assert consents.expire_due(hub) == 1
    v3 = fiche("F-E", 3, projet={**v1["projet"], "stade": "financement"})
    v3["consentement"] = {"reference": "CST-F-E-v3"}
    record_consents(hub, [v3], expire_le=(start + dt.timedelta(days=500)).isoformat())
    a = _push(hub, v3)
    assert a["accepted"] == 1, a
    served = feed.read_feed(hub, THIERS, 0, 100)["deliveries"]
    assert [d["source"]["version"] for d in _data(served)] == [3]


def _states(hub, consent_id):
    return [c.state.value for c in hub.consents.get(consent_id).history]


def _ending(hub, fiche_id, first_days, second_days):
    """v1 under C1 ending `first_days` from today, v2 under C2 (then in force) ending
    `second_days` from today: (today, C1, C2)."""
    start = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    v1 = fiche(fiche_id, 1)
    c1 = record_consents(hub, [v1], expire_le=(start + dt.timedelta(days=first_days)).isoformat())
    assert _push(hub, v1)["accepted"] == 1
    v2 = fiche(fiche_id, 2, projet={**v1["projet"], "stade": "montage"})
    v2["consentement"] = {"reference": f"CST-{fiche_id}-v2"}
    c2 = record_consents(hub, [v2], expire_le=(start + dt.timedelta(days=second_days)).isoformat())
    assert _push(hub, v2)["accepted"] == 1
    return start, c1[0], c2[0]


@pytest.mark.parametrize("swept", [True, False])
def test_a_superseded_consent_that_had_ended_keeps_its_expiry_when_the_one_in_force_is_withdrawn(
        network, swept):
    """C1 (v1) ended on its own before C2 (v2), in force, is withdrawn: C1 expired, it was
    never withdrawn; its history and status say so, whether the sweep recorded it or not."""
    hub, clock, _cci, _pfil = network
    start, c1, c2 = _ending(hub, "F-X", 30, 400)
    clock.now = start + dt.timedelta(days=31)
    if swept:
        assert consents.expire_due(hub) == 1
    consents.withdraw_consent(hub, OWNER, c2.id)
    assert _states(hub, c1.id) == (["active", "expired"] if swept else ["active"])
    assert hub.consents.get(c1.id).status(clock.now).value == "expired"
    assert _states(hub, c2.id) == ["active", "withdrawn"]


def test_a_superseded_consent_that_ended_first_keeps_its_own_expiry_when_both_are_swept(network):
    """C1 (v1) ends at 30 days, C2 (v2, in force) at 60: one sweep past both records each
    one's expiry at its own end, and no withdrawal of C1 at C2's end."""
    hub, clock, _cci, _pfil = network
    start, c1, c2 = _ending(hub, "F-Y", 30, 60)
    clock.now = start + dt.timedelta(days=61)
    assert consents.expire_due(hub) == 2
    assert _states(hub, c1.id) == ["active", "expired"]
    assert _states(hub, c2.id) == ["active", "expired"]
    assert hub.consents.get(c1.id).status(clock.now).value == "expired"
