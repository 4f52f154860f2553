"""The join of bridged porteurs and the lock of moves on PostgreSQL: a join never waits
for the lock (it would pause every worker behind it), and a coordinator's `different`
under way holds the lock shared so a join cannot miss it."""

from __future__ import annotations

import pytest

from hub.services.matching import chains, duplicates
from hub.store.matching_repository import Matching
from tests.integration.dedup_world import (
    CCI,
    COMMUNE,
    COORDINATOR,
    PFIL,
    fiche_of,
    pg_hub_for,
    porteur_of,
    push,
)
from tests.integration.test_online_chains import BOTH, BY_MAIL, BY_PHONE

pytestmark = pytest.mark.integration


@pytest.fixture
def world(postgres_url, tmp_path, monkeypatch):
    monkeypatch.setattr("hub.services.ingest.processing.join_chains", lambda *_args: 0)
    yield from pg_hub_for(postgres_url, tmp_path, database_lock_timeout_s=1.0)


def _bridge(hub) -> int:
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", BY_MAIL))
    push(hub, CCI, fiche_of(CCI, "C-1", BY_PHONE))
    push(hub, PFIL, fiche_of(PFIL, "P-1", BOTH))
    with hub.uow() as uow:
        return uow.fiches.porteur_of(PFIL.member_id, "P-1").id


def test_a_join_finding_the_lock_of_moves_taken_leaves_the_item_open(world):
    hub, _clock = world
    bridge = _bridge(hub)
    with hub.uow() as mover:  # a coordinator's merge under way
        mover.porteurs.lock_moves()
        assert chains.join_chains(hub, [bridge]) == 0
    assert len(duplicates.list_review_items(hub)["items"]) == 1
    assert chains.join_chains(hub, [bridge]) == 1  # the lock free again: joined
    assert porteur_of(hub, COMMUNE, "A-1") == porteur_of(hub, CCI, "C-1")


def test_a_join_during_a_different_judgement_keeps_the_porteurs_apart(world, monkeypatch):
    hub, _clock = world
    bridge = _bridge(hub)
    joined = []
    judge = Matching.judge

    def join_meanwhile(self, *args, **kwargs):
        judge(self, *args, **kwargs)  # the judgement written, not yet committed
        joined.append(chains.join_chains(hub, [bridge]))

    monkeypatch.setattr(Matching, "judge", join_meanwhile)
    [item] = duplicates.list_review_items(hub)["items"]
    duplicates.decide(hub, item["id"], "different", actor=COORDINATOR.member_id)
    assert joined == [0]
    assert porteur_of(hub, COMMUNE, "A-1") != porteur_of(hub, CCI, "C-1")
