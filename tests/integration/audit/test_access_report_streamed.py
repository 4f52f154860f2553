"""GDPR art. 15 over HTTP with a long journal: the access report reads the porteur's
events a page at a time and folds them as they come (memory bounded by the page, not
by the journal), answering what it answers when it holds them all, on both databases:
every event, however many (the searches' bound, `person_scope.MAX_EVENTS`, does not cut
the report: before, it said nothing of the accesses past the newest MAX_EVENTS), the
first and last access by seq."""

from __future__ import annotations

import pytest

from hub.services.audit import person_scope, trail
from tests.integration.audit.dpo_http import RECIPIENT, dpo_world

pytestmark = pytest.mark.integration
__all__ = ["dpo_world"]
PAGE, BOUND = 40, 150


def test_the_access_report_reads_the_journal_a_page_at_a_time_and_answers_every_event(
        dpo_world, monkeypatch):
    world = dpo_world
    world.reads(400)  # over the searches' bound, made small below: the report holds all
    held = person_scope.events_about(world.hub, world.porteur_id)  # all: below 100,000
    monkeypatch.setattr(person_scope, "PAGE", PAGE, raising=False)
    monkeypatch.setattr(person_scope, "MAX_EVENTS", BOUND)
    expected = trail._recipients(world.hub, held,
                                 person_scope.made_available(world.hub, world.porteur_id))
    asked: list[int] = []
    search = world.hub.audit.search

    def recorded(**criteria):
        asked.append(criteria.get("limit", 1000))
        return search(**criteria)

    monkeypatch.setattr(world.hub.audit, "search", recorded)
    answer = world.get(f"/v1/audit/report/{world.porteur_id}")
    assert answer.status_code == 200, answer.text
    assert asked and max(asked) <= PAGE
    assert answer.json() == {"porteur_id": world.porteur_id, "destinataires": expected}
    recipient = {r["membre"]: r for r in expected}[RECIPIENT]
    read = [e for e in held if e.actor_member == RECIPIENT and e.outcome == "allowed"
            and e.action in trail.DISCLOSURES]
    assert len(held) > BOUND and 0 < recipient["acces"] == len(read)
    assert recipient["premier_acces"] == min(read, key=lambda e: e.seq).at.isoformat()
    assert recipient["dernier_acces"] == max(read, key=lambda e: e.seq).at.isoformat()
