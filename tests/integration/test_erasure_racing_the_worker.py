"""An erasure named by a fiche the worker has not routed yet, racing the worker.

A member pushed a fiche (202) and at once asked its porteur's erasure. The erasure read
the fiche without a porteur, then erased it without any lock; the worker, routing the
fiche meanwhile, delivered it: the answer said `avis_envoyes: []` (and the status
`avis: []`), while a recipient had got the `created` delivery and then an `erased`
notice with `porteur_id: null`. Or the worker, having read the fiche before the
erasure committed, routed and indexed it after: deliveries and match keys of an erased
fiche. Now the two take turns (docs/privacy.md, "An erasure racing the worker"): an
erasure that comes first leaves nothing for the worker to route or index; one that
comes after the routing erases the porteur the worker resolved, names the recipients
it may know of and sends notices naming that porteur. Each race is stepped, never
timed: one side is held at a point until the other is done or waits for a lock."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from hub.services.delivery import webhooks
from hub.services.delivery.feed import read_feed
from hub.services.ingest import accept as ingest
from hub.services.ingest import processing
from hub.services.privacy import erasure
from hub.store import repositories
from hub.store.delivery_tables import deliveries
from hub.store.matching_tables import match_keys, match_records
from tests.factories import record_consents
from tests.integration.racing import Side, done_or_waiting_for_a_lock
from tests.integration.world import OWNER, THIERS, fiche
from tests.waiting import wait_until

pytestmark = pytest.mark.integration

RECIPIENTS = ["cci-thiers", "commune-thiers", "pfil-livradois"]  # subscribed to Ambert


def _pushed(hub) -> list[int]:
    """F-1 accepted (202), its outbox rows not processed yet."""
    document = fiche("F-1")
    record_consents(hub, [document])
    answer = ingest.push_batch(hub, OWNER, [document])
    assert answer["accepted"] == 1, answer
    return hub.publisher.published[-1]


def _count(hub, table) -> int:
    with hub.engine.connect() as conn:
        return conn.scalar(sa.select(sa.func.count()).select_from(table))


def _no_data_left(hub, cci) -> None:
    """Nothing of F-1 to deliver, nor in the index; the recipient got no data of it."""
    with hub.engine.connect() as conn:  # (a feed's rows read as withdrawn: data erased)
        pending = conn.scalar(sa.select(sa.func.count()).select_from(deliveries).where(
            deliveries.c.event != "erased", deliveries.c.status == "pending"))
    assert pending == 0
    assert (_count(hub, match_records), _count(hub, match_keys)) == (0, 0)
    webhooks.dispatch_webhooks(hub)
    assert [d["evenement"] for d in cci.documents() if d["evenement"] != "erased"] == []
    feed = read_feed(hub, THIERS, 0, 100)["deliveries"]
    assert all(d["retire"] for d in feed if d["evenement"] != "erased"), feed


def _told_and_named(hub, cci, answer: dict[str, Any], told: list[str] = RECIPIENTS) -> None:
    """The recipients the worker routed F-1 to whose delivery left or may have left
    (`told`) are named in the answer and the status, and each got a notice naming the
    porteur and F-1; a webhook cancelled before it could leave makes no notice."""
    assert answer["porteur_id"] is not None, answer
    assert answer["avis_envoyes"] == told, answer
    status = erasure.read_erasure(hub, OWNER, answer["effacement"])
    assert [a["membre"] for a in status["avis"]] == told, status
    webhooks.dispatch_webhooks(hub)
    notices = [d for d in cci.documents() if d["evenement"] == "erased"]
    if "cci-thiers" not in told:
        assert cci.documents() == []  # it never learnt of F-1
        return
    assert len(notices) == 1, cci.documents()
    assert notices[0]["porteur_id"] == answer["porteur_id"]
    assert [(s["membre"], s["fiche_id"]) for s in notices[0]["sources"]] == \
        [(OWNER.member_id, "F-1")]
    created = [d for d in cci.documents() if d["evenement"] == "created"]
    assert all(d["porteur_id"] == answer["porteur_id"] for d in created)


def test_a_fiche_the_worker_routes_while_its_erasure_is_read_is_erased_with_its_porteur(
        network, monkeypatch):
    """The worker routes (and the dispatcher sends) the fiche between the erasure's reading
    of it (no porteur yet) and its erasing transaction."""
    hub, _clock, cci, _pfil = network
    outbox_ids = _pushed(hub)
    listed = erasure._fiches_to_erase

    def listed_then_routed(*args, **kwargs):
        target = listed(*args, **kwargs)
        if processing.process_outbox(hub, outbox_ids).claimed:
            webhooks.dispatch_webhooks(hub)  # the created delivery has left
        return target

    monkeypatch.setattr(erasure, "_fiches_to_erase", listed_then_routed)
    answer = erasure.request_erasure(hub, OWNER, {"fiche_id": "F-1"})
    assert [d["evenement"] for d in cci.documents()] == ["created"]
    _told_and_named(hub, cci, answer)
    assert (_count(hub, match_records), _count(hub, match_keys)) == (0, 0)


def _raced(hub, monkeypatch, method: str) -> tuple[Any, processing.BatchOutcome]:
    """F-1 pushed; the worker runs up to `Fiches.method` (then calls it), the erasure of F-1
    runs until it is done or waits for a lock, then the worker goes on."""
    outbox_ids = _pushed(hub)
    held, erasing = getattr(repositories.Fiches, method), []

    def then_erase(self, *args, **kwargs):
        found = held(self, *args, **kwargs)
        if not erasing:
            erasing.append(Side(lambda: erasure.request_erasure(
                hub, OWNER, {"fiche_id": "F-1"})))
            erasing[0].start()
            wait_until(done_or_waiting_for_a_lock(hub, erasing[0]), 60,
                       "the erasure done or waiting for the worker")
        return found

    monkeypatch.setattr(repositories.Fiches, method, then_erase)
    outcome = processing.process_outbox(hub, outbox_ids)
    monkeypatch.setattr(repositories.Fiches, method, held)
    erasing[0].join(120)
    assert not erasing[0].is_alive() and erasing[0].error is None, erasing[0].error
    return erasing[0].answer, outcome


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_fiche_erased_after_the_worker_read_it_is_neither_routed_nor_indexed(
        network, monkeypatch) -> None:
    hub, _clock, cci, _pfil = network
    answer, outcome = _raced(hub, monkeypatch, "versions_for_processing")
    assert (answer["porteur_id"], answer["avis_envoyes"], outcome.deliveries) == (None, [], 0)
    _no_data_left(hub, cci)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_an_erasure_coming_while_the_worker_routes_the_fiche_erases_the_porteur_it_resolved(
        network, monkeypatch) -> None:
    hub, _clock, cci, _pfil = network
    answer, outcome = _raced(hub, monkeypatch, "mark_processed")
    assert outcome.deliveries == len(RECIPIENTS)
    # the webhooks' planned deliveries cancelled (the feed's reads as withdrawn)
    assert answer["livraisons_annulees"] == outcome.webhooks == 2, answer
    # the webhooks never left: only the feed's reader, which may have read it, is told
    _told_and_named(hub, cci, answer, told=["commune-thiers"])
    _no_data_left(hub, cci)
