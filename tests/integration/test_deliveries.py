"""Routing, consent, projection and delivery (signed webhooks and the feed), on both
databases, with real HTTP recipients on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest

from connectors.signing import verify_webhook
from hub.keys import public_key_text
from hub.services.delivery import webhooks
from hub.services.delivery.feed import read_feed
from hub.services.delivery.publisher import DISPATCH_WEBHOOKS
from hub.services.ingest import accept as ingest
from hub.services.ingest import processing
from hub.services.privacy import consents
from tests.factories import record_consents
from tests.integration.world import OWNER, THIERS, fiche, network_world, push_and_process
from tests.receiver import DRIP_BYTES, Recipient
from tests.waiting import wait_until

pytestmark = pytest.mark.integration


def test_one_fiche_reaches_three_roles_with_three_field_sets(network):
    hub, _clock, cci, pfil = network
    push_and_process(hub, fiche())
    assert webhooks.dispatch_webhooks(hub).sent == 2
    fed = read_feed(hub, THIERS, 0, 100)["deliveries"]
    cci_doc, pfil_doc, thiers_doc = cci.documents()[0], pfil.documents()[0], fed[0]
    assert pfil_doc["finalite"] == "financement"
    assert pfil_doc["fiche"]["financement"]["pret_honneur"] == 10000
    assert cci_doc["finalite"] == "accompagnement"
    assert "pret_honneur" not in cci_doc["fiche"]["financement"]
    assert thiers_doc["finalite"] == "orientation" and "financement" not in thiers_doc["fiche"]
    assert len({tuple(d["champs"]) for d in (cci_doc, pfil_doc, thiers_doc)}) == 3
    for document in (cci_doc, pfil_doc, thiers_doc):
        assert "NOTE-LIBRE-CONFIDENTIELLE" not in json.dumps(document)  # not the referent


def test_a_batch_asks_for_a_webhook_dispatch_only_when_it_planned_webhooks(network):
    hub = network[0]

    def dispatches_asked(document, **consent_terms):
        record_consents(hub, [document], **consent_terms)
        ingest.push_batch(hub, OWNER, [document])
        ids = hub.publisher.published[-1]
        hub.publisher.sent.clear()
        outcome = processing.process_outbox(hub, ids)
        return outcome.deliveries, [t for t, _a in hub.publisher.sent if t == DISPATCH_WEBHOOKS]

    assert dispatches_asked(fiche("F-1"), roles_destinataires=["accueil"]) == (1, [])  # a feed
    assert dispatches_asked(fiche("F-2")) == (3, [DISPATCH_WEBHOOKS])


def test_webhooks_are_signed_by_the_hub_with_an_idempotency_key(network):
    hub, _clock, cci, _pfil = network
    push_and_process(hub, fiche())
    webhooks.dispatch_webhooks(hub)
    received = cci.received[0]
    key = {hub.hub_key.key_id: public_key_text(hub.hub_key.public_key)}
    verify_webhook(received["headers"], received["body"], key)
    assert received["headers"]["idempotency-key"] == received["document"]["delivery_id"]


def test_a_recipient_down_then_up_gets_everything_in_order_once(network):
    hub, clock, cci, _pfil = network
    cci.status = 500
    push_and_process(hub, fiche("F-1"))
    push_and_process(hub, fiche("F-1", version=2, projet={**fiche()["projet"], "stade": "installe"}))
    push_and_process(hub, fiche("F-2"))
    for _ in range(5):
        webhooks.dispatch_webhooks(hub)
        clock.now += dt.timedelta(minutes=10)
    assert cci.documents() == []
    cci.status = 200
    webhooks.dispatch_webhooks(hub)
    documents = cci.documents()
    assert [(d["source"]["fiche_id"], d["evenement"]) for d in documents] == [
        ("F-1", "created"), ("F-1", "updated"), ("F-2", "created")]
    assert documents[1]["champs_modifies"] == ["projet.stade"]
    assert len({d["delivery_id"] for d in documents}) == 3
    webhooks.dispatch_webhooks(hub)
    assert len(cci.documents()) == 3


def test_a_4xx_is_not_retried_but_dead_lettered_then_replayable(network):
    hub, _clock, cci, _pfil = network
    cci.status = 410
    push_and_process(hub, fiche())
    summary = webhooks.dispatch_webhooks(hub)
    assert (summary.dead, summary.failed) == (1, 0)
    assert webhooks.dead_letters(hub, "cci-thiers")[0]["erreur"] == "http_410"
    cci.status = 200
    assert webhooks.replay_dead(hub, member_id="cci-thiers").replayed == 1
    webhooks.dispatch_webhooks(hub)
    assert len(cci.documents()) == 1



def test_a_webhook_redirected_elsewhere_is_not_followed_there(network):
    """A 307 from the member's endpoint made the hub POST the delivery again, signed, to
    whatever URL it named (another host, an address inside the hub's network) and record
    it as delivered to the member: a redirect is a failed attempt, retried later."""
    hub, clock, cci, _pfil = network
    with Recipient() as elsewhere:
        cci.redirect_to = elsewhere.url
        push_and_process(hub, fiche())
        summary = webhooks.dispatch_webhooks(hub)
        assert elsewhere.documents() == []
        assert (summary.sent, summary.failed) == (1, 1)  # the PFIL's, and the CCI's to retry
        cci.redirect_to = None
        clock.now += dt.timedelta(minutes=10)
        webhooks.dispatch_webhooks(hub)
        assert [d["source"]["fiche_id"] for d in cci.documents()] == ["F-1"]
        assert elsewhere.documents() == []

def test_a_webhook_answer_s_body_is_not_read_past_a_small_bound(network):
    """The hub read a recipient's whole answer into memory before looking at its status:
    an endpoint answering a large (or endless) body, misconfigured or hostile, filled the
    worker's memory, which every member's deliveries and matching share. Only the status
    and headers count: the body is read up to a small bound, then the hub hangs up."""
    hub, _clock, cci, _pfil = network
    cci.answer_bytes = 96 * 2**20
    push_and_process(hub, fiche())
    summary = webhooks.dispatch_webhooks(hub)
    assert cci.answered.wait(30)
    assert summary.sent == 2 and len(cci.documents()) == 1
    # what the kernel's socket buffers took before the hub hung up, never the whole answer
    assert cci.answer_sent < 24 * 2**20, cci.answer_sent


def test_an_answer_trickled_byte_by_byte_is_cut_off_and_retried_later(db_url, tmp_path):
    """An endpoint sending its answer a byte at a time, each within the read timeout, held
    its sender for as long as it liked: a sender thread of the worker (there are
    HUB_WEBHOOK_SENDERS) lost to every other member, and the worker's stop waiting on
    it. A POST whose answer is not complete within twice the read timeout (after its
    connection) is cut off, a failed attempt retried with backoff. Cut off before its
    status line came whole, it was recorded as a connection error, not a cut-off, and the
    next try did not wait the read timeout the recipient may still be working in."""
    world = network_world(db_url, tmp_path, webhook_timeout_s=0.5)
    hub, _clock, cci, _pfil = next(world)
    try:
        cci.drip_s = 0.3  # the whole answer would take minutes, its status line 5 s
        push_and_process(hub, fiche())
        summary = webhooks.dispatch_webhooks(hub)
        assert cci.answered.wait(30)
        assert (summary.sent, summary.failed) == (1, 1)  # the PFIL's; the CCI's to retry
        assert cci.dripped < DRIP_BYTES
        with hub.uow() as uow:
            [pending] = uow.deliveries.next_pending("cci-thiers", 10)
        # cut off after 0.5 + 2 x 0.5 s: the status line (17 bytes) had not come whole
        assert (pending.attempts, pending.last_error) == (1, "network_cut_off")
    finally:
        next(world, None)  # the world's end: the hub closed, the recipients stopped


def test_a_recipient_the_consent_does_not_cover_receives_nothing(network):
    hub, _clock, cci, pfil = network
    push_and_process(hub, fiche(), roles_destinataires=["accompagnement"],
                     finalites=["orientation", "accompagnement"])
    webhooks.dispatch_webhooks(hub)
    assert pfil.documents() == []
    assert len(cci.documents()) == 1


def test_a_fiche_without_a_covering_consent_is_rejected_and_not_stored(network):
    hub, _clock, _cci, _pfil = network
    no_consent = fiche("F-9")
    answer = ingest.push_batch(hub, OWNER, [no_consent])
    assert answer["results"][0]["errors"][0]["code"] == "unknown_consent_reference"
    record_consents(hub, [fiche("F-8")], finalites=["statistiques"])
    answer = ingest.push_batch(hub, OWNER, [fiche("F-8")])
    assert answer["results"][0]["errors"][0]["code"] == "purpose_not_covered"
    assert processing.pipeline_status(hub)["fiches"] == 0


def test_withdrawal_stops_deliveries_and_notifies_every_recipient(network):
    hub, _clock, cci, pfil = network
    record = record_consents(hub, [fiche()])[0]
    push_and_process(hub, fiche())
    webhooks.dispatch_webhooks(hub)
    pfil.status = 503  # the next update cannot leave before the withdrawal
    push_and_process(hub, fiche(version=2, projet={**fiche()["projet"], "stade": "installe"}))
    webhooks.dispatch_webhooks(hub)
    withdrawn = consents.withdraw_consent(hub, OWNER, record.id)
    assert withdrawn["avis_envoyes"] == ["cci-thiers", "commune-thiers", "pfil-livradois"]
    pfil.status = 200
    webhooks.dispatch_webhooks(hub)
    pfil_events = [d["evenement"] for d in pfil.documents()]
    assert pfil_events == ["created", "withdrawn"]  # the update never left
    assert [d["evenement"] for d in cci.documents()][-1] == "withdrawn"
    feed = read_feed(hub, THIERS, 0, 100)["deliveries"]
    assert feed[0]["retire"] is True and "fiche" not in feed[0]
    assert feed[-1]["evenement"] == "withdrawn"
    acks = consents.acknowledgements(hub, OWNER, record.id)
    assert {a["statut"] for a in acks} == {"pending"}
    consents.acknowledge_notice(hub, THIERS, record.id)
    statuses = {a["membre"]: a["statut"] for a in consents.acknowledgements(hub, OWNER, record.id)}
    assert statuses["commune-thiers"] == "acknowledged"


def test_every_disclosure_is_in_the_access_log_which_verifies_offline(network, tmp_path):
    from hub.audit.verify import verify_file
    from hub.services.audit import trail as audit

    hub, _clock, _cci, _pfil = network
    push_and_process(hub, fiche())
    webhooks.dispatch_webhooks(hub)
    read_feed(hub, THIERS, 0, 100)
    with hub.uow() as uow:
        porteur_id = uow.fiches.porteur_of(OWNER.member_id, "F-1").porteur_id
    report = audit.access_report(hub, "pnr", porteur_id)
    received = {r["membre"]: r for r in report["destinataires"]}
    assert set(received) == {"cci-thiers", "pfil-livradois", "commune-thiers"}
    assert "financement.pret_honneur" in received["pfil-livradois"]["champs"]
    assert "financement.pret_honneur" not in received["commune-thiers"]["champs"]
    export = tmp_path / "journal.jsonl"
    audit.export(hub, export, "pnr")
    text = export.read_text()
    assert "MARIE" not in text.upper() and "chassaing" not in text.lower()  # no personal values
    assert verify_file(export, hub.hub_key.public_key).ok
    lines = text.splitlines()
    tampered = [line.replace('"feed_pull"', '"api_read"') for line in lines]
    (tmp_path / "tampered.jsonl").write_text("\n".join(tampered) + "\n")
    outcome = verify_file(tmp_path / "tampered.jsonl", hub.hub_key.public_key)
    assert not outcome.ok and outcome.first_bad_seq is not None


def test_a_member_edits_its_own_subscriptions_and_routing_follows(network):
    from hub.errors import BadRequest
    from hub.services.delivery import subscriptions

    hub, _clock, _cci, _pfil = network
    with pytest.raises(BadRequest):
        subscriptions.replace_subscriptions(hub, THIERS, [{"communes": ["pas-un-code"]}])
    subscriptions.replace_subscriptions(hub, THIERS, [{"communes": ["43048"]}])
    assert subscriptions.read_subscriptions(hub, THIERS) == [{"communes": ["43048"]}]
    push_and_process(hub, fiche())  # in Ambert: Thiers no longer subscribes to it
    assert read_feed(hub, THIERS, 0, 100)["deliveries"] == []


def test_expiry_is_applied_by_the_periodic_task_like_a_withdrawal(network):
    hub, clock, cci, pfil = network
    pfil.status = 503  # the pfil's delivery has not left when the consent expires
    push_and_process(hub, fiche())
    webhooks.dispatch_webhooks(hub)
    clock.now += dt.timedelta(days=366)
    assert consents.expire_due(hub) == 1
    assert consents.expire_due(hub) == 0  # applied once
    pfil.status = 200
    webhooks.dispatch_webhooks(hub)
    assert [d["evenement"] for d in cci.documents()] == ["created", "withdrawn"]
    assert [d["evenement"] for d in pfil.documents()] == ["withdrawn"]
    answer = ingest.push_batch(hub, OWNER, [fiche(version=2)])
    assert answer["results"][0]["errors"][0]["code"] == "consent_expired"
    consent_id = hub.consents.for_porteur([(OWNER.member_id, "F-1")])[0].id
    acks = hub.consents.acks(consent_id)
    assert {(a.recipient_id, a.kind.value) for a in acks} >= {("cci-thiers", "expiry"),
                                                              ("pfil-livradois", "expiry")}


def _once_each(recipient):
    """What a recipient keeps: each delivery once, by idempotency key, in arrival order."""
    kept = {}
    for document in recipient.documents():
        kept.setdefault(document["delivery_id"], document)
    return [(d["source"]["fiche_id"], d["evenement"]) for d in kept.values()]


def test_a_recipient_that_times_out_then_recovers_gets_everything_once_in_order(network):
    hub, clock, cci, _pfil = network
    hub = hub.with_settings(webhook_timeout_s=0.3)
    cci.delay_s = 1.0  # answers too late: the hub gives up on each attempt and retries
    push_and_process(hub, fiche("F-1"))
    push_and_process(hub, fiche("F-2"))
    for _ in range(2):
        webhooks.dispatch_webhooks(hub)
        clock.now += dt.timedelta(minutes=10)
    assert len(cci.arrivals) == 2  # one attempt each time, head of line only
    cci.delay_s = 0.0
    webhooks.dispatch_webhooks(hub)
    assert _once_each(cci) == [("F-1", "created"), ("F-2", "created")]


def test_a_retry_after_a_read_timeout_never_meets_the_unfinished_first_request(network):
    hub, clock, cci, _pfil = network
    hub = hub.with_settings(webhook_timeout_s=1.0, webhook_retry_base_s=0.05)
    cci.delay_s = 1.6  # still handling the first POST well after the hub hung up on it
    push_and_process(hub, fiche("F-1"))
    assert webhooks.dispatch_webhooks(hub).failed == 1
    cci.delay_s = 0.0
    clock.now += dt.timedelta(seconds=0.2)  # past the backoff, within the read timeout
    assert webhooks.dispatch_webhooks(hub).sent == 0
    assert len(cci.arrivals) == 1 and cci.max_in_flight == 1
    clock.now += dt.timedelta(seconds=1)
    time.sleep(1)  # one more read timeout, on the wall clock too
    assert webhooks.dispatch_webhooks(hub).sent == 1
    assert cci.max_in_flight == 1 and len(cci.arrivals) == 2


def test_a_recipient_that_closes_connections_then_recovers_gets_everything_once(network):
    hub, clock, cci, _pfil = network
    cci.hang_up = True
    push_and_process(hub, fiche("F-1"))
    push_and_process(hub, fiche("F-2"))
    summary = webhooks.dispatch_webhooks(hub)
    assert (summary.failed, cci.documents()) == (1, [])
    cci.hang_up = False
    clock.now += dt.timedelta(minutes=10)
    webhooks.dispatch_webhooks(hub)
    assert _once_each(cci) == [("F-1", "created"), ("F-2", "created")]
    assert len(cci.documents()) == 2


def test_a_recipient_refusing_connections_is_retried_with_backoff_holding_up_no_one(network):
    hub, clock, cci, pfil = network
    port = cci.server.server_port
    cci.__exit__()  # nothing listens on its port any more: connections are refused
    push_and_process(hub, fiche("F-1"))
    push_and_process(hub, fiche("F-2"))
    summary = webhooks.dispatch_webhooks(hub)
    assert (summary.failed, summary.sent) == (1, 2)  # the pfil got both meanwhile
    assert len(pfil.documents()) == 2
    with hub.uow() as uow:
        head = uow.deliveries.next_pending("cci-thiers", 10)[0]
        lease = uow.deliveries.lease_of("cci-thiers")
    assert (head.attempts, head.last_error) == (1, "network_ConnectionError")
    assert head.next_attempt_at is not None and head.next_attempt_at.replace(tzinfo=dt.UTC) > clock.now
    assert lease is not None and lease.dispatch_lease_owner is None  # given back
    assert webhooks.dispatch_webhooks(hub).failed == 0  # it waits its backoff
    with Recipient(port) as back:
        clock.now += dt.timedelta(minutes=10)
        webhooks.dispatch_webhooks(hub)
        assert _once_each(back) == [("F-1", "created"), ("F-2", "created")]


def test_a_slow_recipient_never_delays_the_others(network):
    hub, _clock, cci, pfil = network
    cci.delay_s = 1.5  # each cci delivery takes 1.5 s; the pfil's three take milliseconds
    for fiche_id in ("F-1", "F-2", "F-3"):
        push_and_process(hub, fiche(fiche_id))
    assert webhooks.dispatch_webhooks(hub).sent == 6
    assert len(pfil.arrivals) == 3 and len(cci.arrivals) == 3
    assert max(pfil.arrivals) < cci.arrivals[1]  # the pfil was served while the cci dawdled


def test_a_dispatch_starts_no_sender_for_a_recipient_another_sender_holds(network):
    """Every worker's timer dispatches: a recipient another worker sends to costs the
    others neither a thread nor a claim, until its lease is given back."""
    hub, _clock, cci, pfil = network
    push_and_process(hub, fiche())
    with hub.uow() as uow:
        assert uow.deliveries.claim_recipient("cci-thiers", "another-worker", hub.clock(),
                                              dt.timedelta(minutes=5))
        uow.commit()
    assert webhooks.start_dispatch(hub) == 1  # the financing member's sender only
    wait_until(lambda: len(pfil.documents()) == 1, 30, "the financing member's delivery")
    assert cci.documents() == []
    with hub.uow() as uow:
        uow.deliveries.release_recipient("cci-thiers", "another-worker")
        uow.commit()
    assert webhooks.start_dispatch(hub) == 1
    wait_until(lambda: len(cci.documents()) == 1, 30, "the CCI's delivery")
