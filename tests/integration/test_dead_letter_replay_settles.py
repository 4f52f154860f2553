"""What a replay or a give-up must never send, on both stores with real HTTP recipients: a
dead letter whose data was erased since is settled, not put back in line, and a
delivery that cannot be read never holds its line; a dead notice about a fiche the
recipient was sent data of since is replayed, reaching only what it lists; the deliveries waiting
untried behind a notice the recipient refuses are never given up with it."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import sqlalchemy as sa

from hub.services.delivery import webhooks
from hub.services.ingest import accept as ingest
from hub.services.ingest import processing
from hub.services.privacy import consents, erasure
from hub.store.delivery_tables import deliveries
from tests.factories import other_porteur, record_consents
from tests.integration.world import OWNER, fiche, push_and_process

pytestmark = pytest.mark.integration

CCI = "cci-thiers"


def received(cci) -> list[tuple[str, str | None, int | None]]:
    """(event, fiche id, version) of each document the recipient accepted, in order."""
    return [(d["evenement"], (d.get("source") or {}).get("fiche_id"),
             (d.get("source") or {}).get("version")) for d in cci.documents()]


def settled(hub) -> list[tuple[str, int | None, str]]:
    """(event, version, reason) of the CCI's deliveries cancelled, in line order."""
    query = (sa.select(deliveries.c.event, deliveries.c.fiche_version, deliveries.c.last_error)
             .where(deliveries.c.recipient_id == CCI, deliveries.c.status == "cancelled")
             .order_by(deliveries.c.position))
    with hub.uow() as uow:
        return [tuple(row) for row in uow.connection.execute(query)]


def push(hub, *documents: dict[str, Any]) -> None:
    """Push documents whose consents are recorded already, and plan their deliveries."""
    answer = ingest.push_batch(hub, OWNER, list(documents))
    assert answer["accepted"] == len(documents), answer
    processing.process_outbox(hub, hub.publisher.published[-1])


def _dead_version_2_then_erased(hub, cci) -> None:
    """F-1 v1 sent, v2 refused for good (410: dead), then the owner deletes F-1."""
    push_and_process(hub, fiche("F-1"))
    webhooks.dispatch_webhooks(hub)
    cci.choose = lambda document: 410 if (document.get("source") or {}).get("version") == 2 else 200
    push_and_process(hub, fiche("F-1", version=2))
    webhooks.dispatch_webhooks(hub)
    assert [row["tentatives"] for row in webhooks.dead_letters(hub, CCI)] == [1]
    cci.choose = None
    erasure.delete_fiche(hub, OWNER, OWNER.member_id, "F-1")
    webhooks.dispatch_webhooks(hub)  # the erasure notice


def test_a_dead_letter_erased_since_is_settled_by_the_replay_and_the_line_goes_on(network):
    """Before, the replay put the erased F-1 v2 back in line (`rejouees` 1): every later
    sending run to the CCI stopped on it (AssertionError reading its document), and
    nothing reached the CCI again."""
    hub, _clock, cci, _pfil = network
    _dead_version_2_then_erased(hub, cci)
    assert webhooks.replay_dead(hub, member_id=CCI) == webhooks.Replay(0, 0, erased=1)
    assert webhooks.dead_letters(hub, CCI) == []
    push_and_process(hub, fiche("F-9", porteur=other_porteur(9)))
    webhooks.dispatch_webhooks(hub)
    assert received(cci)[-1] == ("created", "F-9", 1)
    assert settled(hub) == [("updated", 2, "data_erased")]


def test_a_delivery_of_erased_data_in_line_is_settled_with_a_logged_reason(network, caplog):
    """Whatever put it there (a replay of an earlier release, a restore), a pending
    delivery whose data was erased is settled unsent, and the line goes on. Before, each
    sending run to the CCI stopped on it with an AssertionError."""
    hub, _clock, cci, _pfil = network
    _dead_version_2_then_erased(hub, cci)
    with hub.uow() as uow:
        uow.connection.execute(sa.update(deliveries).where(
            deliveries.c.recipient_id == CCI, deliveries.c.status == "dead",
        ).values(status="pending", attempts=0, next_attempt_at=None, retrying_since=None))
        uow.commit()
    push_and_process(hub, fiche("F-9", porteur=other_porteur(9)))
    with caplog.at_level(logging.WARNING, logger="hub.services.delivery.webhook_sending"):
        summary = webhooks.dispatch_webhooks(hub)
    assert summary.cancelled == 1
    assert received(cci)[-1] == ("created", "F-9", 1)
    assert settled(hub) == [("updated", 2, "data_erased")]
    assert any("settled unsent" in record.getMessage() for record in caplog.records)


def test_a_dead_notice_replayed_after_later_data_of_its_fiche_reaches_only_the_earlier_copy(
        network):
    """F-1's withdrawal notice is refused for good (410), then F-1 v2 under a new consent
    reaches the CCI. The replay sends the notice all the same (the deletion of the copy
    sent under the withdrawn consent is still owed), listing only the delivery made before
    it: v2, sent after, is not among those it asks the CCI to delete. Settled as
    superseded instead, the CCI would have kept v1's data forever."""
    hub, _clock, cci, _pfil = network
    first, second = fiche("F-1"), fiche("F-2", porteur=other_porteur(2))
    records = record_consents(hub, [first, second])
    push(hub, first, second)
    webhooks.dispatch_webhooks(hub)
    cci.status = 410
    for record in records:
        consents.withdraw_consent(hub, OWNER, record.id)
    assert webhooks.dispatch_webhooks(hub).dead == 2
    cci.status = 200
    again = fiche("F-1", version=2)
    again["consentement"] = {"reference": "CST-RENOUVELE"}
    record_consents(hub, [again])
    push(hub, again)
    webhooks.dispatch_webhooks(hub)
    assert received(cci)[-1] == ("updated", "F-1", 2)
    assert webhooks.replay_dead(hub, member_id=CCI) == webhooks.Replay(2, 0)
    webhooks.dispatch_webhooks(hub)
    made = {(d["source"]["fiche_id"], d["source"]["version"]): d["delivery_id"]
            for d in cci.documents() if d["evenement"] in ("created", "updated")}
    listed = {source["fiche_id"]: source.get("livraisons")
              for d in cci.documents() if d["evenement"] == "withdrawn"
              for source in [d.get("source") or {}, *(d.get("sources") or [])]
              if "fiche_id" in source}
    assert sorted(listed) == ["F-1", "F-2"]
    assert listed["F-1"] == [made["F-1", 1]]  # not v2's, sent after it
    assert settled(hub) == []


def test_deliveries_waiting_behind_a_refused_notice_are_never_given_up_untried(network):
    """The CCI answers 500 to every withdrawal notice. F-1's consent is withdrawn, then
    F-1 v2 (a new consent) and F-2 v2 (the same porteur's other fiche) are pushed: both
    wait behind the notice (about their porteur), and once the notice is dead-lettered
    at its give-up delay, both arrive. Before, both were dead-lettered with it, never
    tried (`given_up_with_line_http_500`, `tentatives` 0)."""
    hub, clock, cci, _pfil = network
    first, second = fiche("F-1"), fiche("F-2")
    records = record_consents(hub, [first, second])
    push(hub, first, second)
    webhooks.dispatch_webhooks(hub)
    cci.choose = lambda document: 500 if document["evenement"] == "withdrawn" else 200
    consents.withdraw_consent(hub, OWNER, records[0].id)
    again = fiche("F-1", version=2)
    again["consentement"] = {"reference": "CST-RENOUVELE"}
    record_consents(hub, [again])
    push(hub, again, fiche("F-2", version=2))
    for _ in range(15):
        webhooks.dispatch_webhooks(hub)
        clock.advance(seconds=5)
    assert received(cci) == [("created", "F-1", 1), ("created", "F-2", 1)]  # held back
    assert ("F-2", 2) not in cci.tried
    clock.advance(seconds=hub.settings.webhook_give_up_after_s + 1)
    for _ in range(6):
        webhooks.dispatch_webhooks(hub)
        clock.advance(seconds=hub.settings.webhook_retry_max_s)
    dead = webhooks.dead_letters(hub, CCI)
    assert [(row["evenement"], row["erreur"]) for row in dead] == [("withdrawn", "http_500")]
    assert received(cci)[2:] == [("updated", "F-1", 2), ("updated", "F-2", 2)]
