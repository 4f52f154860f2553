"""A backup taken while two people were linked by mistake, restored after the coordination
separated them, on both databases: they stay two porteurs, the pair stays judged
different, and what a member learnt only through the mistaken link stays withheld from
it. Before, the restore joined them again and served those deliveries again."""

from __future__ import annotations

import pytest

from hub.bootstrap import Hub
from hub.services.delivery import feed, webhooks
from hub.services.matching import duplicates
from hub.services.ops import recovery
from tests.fakes.publisher import RecordingPublisher
from tests.integration.test_unmerge_withholds import CCI, COORDINATION, _data, _linked_by_mistake
from tests.integration.world import OWNER, network_world

pytestmark = pytest.mark.integration


@pytest.fixture
def network(db_url, tmp_path):
    """The CCI subscribed to nothing: it receives a fiche only as a member linked to its
    porteur (test_unmerge_withholds)."""
    yield from network_world(db_url, tmp_path, cci_subscribed=False)


def _porteurs(hub: Hub) -> set[str]:
    with hub.uow() as uow:
        return {uow.fiches.porteur_of(m, f).porteur_id
                for m, f in ((CCI.member_id, "C-1"), (OWNER.member_id, "A-1"))}


def _pks(hub: Hub) -> list[int]:
    with hub.uow() as uow:
        return [uow.fiches.porteur_of(m, f).id
                for m, f in ((CCI.member_id, "C-1"), (OWNER.member_id, "A-1"))]


def test_a_separation_made_after_the_backup_is_made_again_by_the_restore(network, tmp_path):
    hub, _clock, _cci, _pfil = network
    porteur = _linked_by_mistake(hub)
    recovery.backup(hub, tmp_path / "sauvegarde")
    duplicates.unmerge(hub, porteur, OWNER.member_id, "A-1", actor=COORDINATION, user="usr_1")
    webhooks.dispatch_webhooks(hub)
    hub.close()

    done = recovery.restore(hub.settings, tmp_path / "sauvegarde")

    restored = Hub.from_settings(hub.settings, publisher=RecordingPublisher(), clock=hub.clock)
    try:
        assert len(_porteurs(restored)) == 2
        cci_fiche, owner_fiche = _pks(restored)
        with restored.uow() as uow:
            assert uow.matching.judged_different([cci_fiche], [owner_fiche])
        for who in (CCI, OWNER):
            page = feed.read_feed(restored, who, 0, 100)["deliveries"]
            assert _data(page) == []  # the other's fiche, sent through the link alone
            assert {d["motif"] for d in page if d.get("retire")} == {"link_undone"}
            assert [d["evenement"] for d in page].count("unmerged") == 1
        [separation] = [e for e in duplicates.merge_history(restored, porteur)
                        if e["type"] == "separation"]
        assert (separation["par"], separation["par_compte"]) == (COORDINATION, "usr_1")
    finally:
        restored.close()
    assert done.separations_replayed == [porteur]


def test_a_separation_the_copy_holds_is_not_made_twice(network, tmp_path):
    hub, _clock, _cci, _pfil = network
    porteur = _linked_by_mistake(hub)
    duplicates.unmerge(hub, porteur, OWNER.member_id, "A-1", actor=COORDINATION)
    recovery.backup(hub, tmp_path / "sauvegarde")
    hub.close()

    done = recovery.restore(hub.settings, tmp_path / "sauvegarde")

    restored = Hub.from_settings(hub.settings, publisher=RecordingPublisher(), clock=hub.clock)
    try:
        assert len(_porteurs(restored)) == 2
        assert [e["type"] for e in duplicates.merge_history(restored, porteur)].count(
            "separation") == 1
    finally:
        restored.close()
    assert done.separations_replayed == []
