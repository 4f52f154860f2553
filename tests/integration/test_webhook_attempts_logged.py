"""A webhook POST that failed after its request went out (answered 5xx, 4xx, 3xx, or
hung up on) carried the projected fiche to the member all the same: each is an access
event (`webhook_attempt`), committed with the attempt's outcome, and the art. 15 report
names the member. Before, only a 2xx wrote one: a member that answered 500 seven times
then 400 got the fiche eight times and was absent from the report. On both databases,
with a real HTTP recipient."""

from __future__ import annotations

import datetime as dt
import socket

import pytest
import requests
import sqlalchemy as sa

from hub.services.audit import trail as audit
from hub.services.delivery import webhook_post, webhook_sending, webhooks
from hub.store.delivery_repository import SENT
from hub.store.delivery_tables import deliveries
from tests.integration.world import OWNER, fiche, network, push_and_process

pytestmark = pytest.mark.integration
__all__ = ["network"]

CCI = "cci-thiers"


def _porteur(hub) -> str:
    with hub.uow() as uow:
        return uow.fiches.porteur_of(OWNER.member_id, "F-1").porteur_id


def _attempts(hub) -> int:
    return len(hub.audit.search(action="webhook_attempt", member=CCI, limit=100_000))


def _row(hub, delivery_id: int) -> tuple:
    with hub.uow() as uow:
        return tuple(uow.connection.execute(
            sa.select(deliveries.c.status, deliveries.c.attempts, deliveries.c.sent_at)
            .where(deliveries.c.id == delivery_id)).one())


def _retry(hub, clock) -> None:
    clock.now += dt.timedelta(seconds=hub.settings.webhook_retry_max_s + 1)
    webhooks.dispatch_webhooks(hub)


def test_every_failed_post_that_went_out_is_an_access_event_in_the_report(network):
    hub, clock, cci, _pfil = network
    cci.status = 500
    push_and_process(hub, fiche())
    webhooks.dispatch_webhooks(hub)
    for _ in range(2):
        _retry(hub, clock)
    cci.hang_up = True  # read, then the connection closed without an answer
    _retry(hub, clock)
    cci.hang_up, cci.status = False, 400  # not retried: dead-lettered
    _retry(hub, clock)
    assert len(webhooks.dead_letters(hub, CCI)) == 1
    assert len(cci.arrivals) == 5
    assert _attempts(hub) == 5
    assert hub.audit.search(action="webhook_delivery", member=CCI, limit=100) == []
    received = {r["membre"]: r for r in
                audit.access_report(hub, "pnr", _porteur(hub))["destinataires"]}
    assert received[CCI]["tentatives"] == received[CCI]["acces"] == 5
    assert "accompagnement[].structure" in received[CCI]["champs"]


def test_a_connection_refused_sent_nothing_and_a_reset_may_have(network):
    _hub, _clock, cci, _pfil = network
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with pytest.raises(requests.ConnectionError) as refused:
        requests.post(f"http://127.0.0.1:{port}/", data=b"{}", timeout=5)
    assert webhook_post.may_have_sent(refused.value) is False
    cci.hang_up = True
    with pytest.raises(requests.ConnectionError) as reset:
        requests.post(cci.url, data=b"{}", timeout=5)
    assert webhook_post.may_have_sent(reset.value) is True


def test_an_outcome_committed_after_another_sender_sent_and_logged_is_not_logged_again(network):
    """A sender paused past its lease (a VM paused) commits its outcome once it goes on,
    after the sender that took its recipient over sent the same delivery and logged it:
    it recorded the delivery sent a second time with a second `webhook_delivery` event
    (812 events for 805 deliveries sent). Now the first record and its event stand."""
    hub, _clock, _cci, _pfil = network
    push_and_process(hub, fiche())
    with hub.uow() as uow:  # what the paused sender read and POSTed
        member = uow.members.get(CCI)
        [delivery] = uow.deliveries.next_pending(CCI, 50)
    webhooks.dispatch_webhooks(hub)  # the other sender
    first = _row(hub, delivery.id)
    assert first[0] == SENT
    late = webhook_sending._Outcomes(hub, CCI)
    late.add(delivery.id, {"status": SENT, "attempts": 1, "sent_at": hub.clock(),
                           "last_error": None}, webhook_sending._disclosed(hub, member, delivery))
    late.flush()
    assert len(hub.audit.search(action="webhook_delivery", member=CCI, limit=100)) == 1
    assert _row(hub, delivery.id) == first
