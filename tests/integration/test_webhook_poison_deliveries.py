"""One document a recipient always fails on (a 5xx for that document only) is set aside
alone once the next one in line goes through; a recipient that is down keeps its line
waiting as before. Both databases, real HTTP recipients."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from hub.services.delivery import webhooks
from tests.integration.world import fiche, push_and_process

pytestmark = pytest.mark.integration

CCI = "cci-thiers"
PROBE_AFTER = 3  # HUB_WEBHOOK_PROBE_AFTER_ATTEMPTS by default


def _retry(hub, clock) -> webhooks.DispatchSummary:
    """The head's next retry comes due, and the dispatch runs."""
    clock.now += dt.timedelta(seconds=hub.settings.webhook_retry_max_s + 1)
    return webhooks.dispatch_webhooks(hub)


def _events(hub, action: str) -> int:
    return len(hub.audit.search(action=action, member=CCI, limit=100_000))


def test_a_document_the_recipient_always_fails_on_is_set_aside_alone(network):
    """Before, it held the whole line for HUB_WEBHOOK_GIVE_UP_AFTER_S, then every delivery
    queued past that delay was dead-lettered with it, never tried."""
    hub, clock, cci, _pfil = network
    cci.failing = {"F-2": 500}
    push_and_process(hub, *[fiche(f"F-{i}") for i in range(6)])
    webhooks.dispatch_webhooks(hub)
    for _ in range(PROBE_AFTER - 1):
        _retry(hub, clock)
    sent = [doc["source"]["fiche_id"] for doc in cci.documents()]
    assert sent == ["F-0", "F-1", "F-3", "F-4", "F-5"]
    assert [fiche_id for fiche_id, _v in cci.tried].count("F-2") == 3
    dead = webhooks.dead_letters(hub, CCI)
    assert [(row["erreur"], row["tentatives"]) for row in dead] == [("http_500_alone", 3)]
    assert (_events(hub, "webhook_delivery"), _events(hub, "webhook_attempt")) == (5, 3)
    # Replayed, it fails a few times again, then is set aside again: the line goes on.
    assert webhooks.replay_dead(hub, member_id=CCI) == 1
    push_and_process(hub, fiche("G-0"))
    webhooks.dispatch_webhooks(hub)
    for _ in range(PROBE_AFTER - 1):
        _retry(hub, clock)
    assert cci.documents()[-1]["source"]["fiche_id"] == "G-0"
    assert [row["erreur"] for row in webhooks.dead_letters(hub, CCI)] == ["http_500_alone"]


def test_a_later_version_of_the_failing_fiche_is_never_the_probe(network):
    """The probe is the next delivery about another fiche: a later version of the failing
    one is never sent ahead of it to find out whether the recipient is up."""
    hub, clock, cci, _pfil = network
    cci.failing = {"F-1": 500}
    push_and_process(hub, fiche("F-1"))
    push_and_process(hub, fiche("F-1", version=2, projet={**fiche()["projet"], "stade": "installe"}))
    push_and_process(hub, fiche("F-2"))
    webhooks.dispatch_webhooks(hub)
    for _ in range(PROBE_AFTER - 1):
        _retry(hub, clock)
    # The probe went through: the first version is set aside, and the fiche's next
    # version is the head of the line now, tried on its own.
    assert cci.tried == [("F-1", 1)] * 3 + [("F-2", 1), ("F-1", 2)]
    assert [row["erreur"] for row in webhooks.dead_letters(hub, CCI)] == ["http_500_alone"]


def test_a_recipient_that_is_down_keeps_its_line_waiting_one_probe_a_retry_at_most(network):
    hub, clock, cci, _pfil = network
    cci.status = 503
    push_and_process(hub, *[fiche(f"F-{i}") for i in range(5)])
    webhooks.dispatch_webhooks(hub)
    posts = [len(cci.tried)]
    for _ in range(PROBE_AFTER + 1):
        _retry(hub, clock)
        posts.append(len(cci.tried))
    # The head alone until its third failure, then the head and one probe: no burst.
    assert [b - a for a, b in itertools.pairwise(posts)] == [1, 2, 2, 2]
    assert webhooks.dead_letters(hub, CCI) == []  # nothing set aside: the probe failed too
    cci.status = 200
    _retry(hub, clock)
    assert [doc["source"]["fiche_id"] for doc in cci.documents()] == [f"F-{i}" for i in range(5)]
