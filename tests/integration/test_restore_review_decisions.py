"""A coordinator's decision on a review item made after a backup (« même personne », a
pair judged different, one set aside « à revoir ») is made again by a restore from that
backup, once, in its place among the separations and erasures made since; on both
databases. Before, the pair was back in the queue and a merged porteur separated again."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from hub.bootstrap import Hub
from hub.domain.matching.model import CONFIRMED_FLAGS
from hub.services.accounts.sessions import ConsoleSession
from hub.services.console import review_revisits
from hub.services.matching import duplicates, review_reopenings
from hub.services.ops import recovery
from hub.services.privacy import erasure
from tests.fakes.publisher import RecordingPublisher
from tests.integration.dedup_world import (
    ACTOR,
    CCI,
    COMMUNE,
    PERSON,
    porteur_of,
    world_in_process,  # noqa: F401  (the `world` fixture)
)
from tests.integration.test_duplicates import queued as queued_item  # noqa: F401

pytestmark = pytest.mark.integration


@pytest.fixture
def queued(queued_item):  # noqa: F811  (the fixture imported above)
    """A commune's full fiche and a chamber's names-only fiche of the same person, queued:
    the hub and the item's number."""
    hub, item = queued_item
    return hub, item["id"]


def _reopen(hub: Hub) -> Hub:
    return Hub.from_settings(hub.settings, publisher=RecordingPublisher(), clock=hub.clock)


def _state(hub: Hub, item_id: int) -> tuple[str, int, bool]:
    """The item's status, how many porteurs hold the two fiches, whether the pair is
    judged different."""
    with hub.uow() as uow:
        item = uow.matching.review_item(item_id)
        judged = uow.matching.judged_different([item.fiche_pk], [item.candidate_fiche_pk])
        sides = uow.key_replays.fiche_refs([item.fiche_pk, item.candidate_fiche_pk])
    return item.status, len({ref.porteur_id for ref in sides}), judged


def _journal(hub: Hub) -> list[dict]:
    path = hub.settings.key_folder / "recovery_journal.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.parametrize(("decision", "expected"), [
    ("same", ("same", 1, False)), ("different", ("different", 2, True)),
    ("unknown", ("unknown", 2, False))])
def test_a_decision_made_after_the_backup_stands_after_the_restore(
        queued, tmp_path, decision, expected):
    hub, item_id = queued
    recovery.backup(hub, tmp_path / "sauvegarde")
    duplicates.decide(hub, item_id, decision, actor=ACTOR, user="usr_1",
                     confirmed=CONFIRMED_FLAGS)
    assert _state(hub, item_id) == expected
    hub.close()

    done = recovery.restore(hub.settings, tmp_path / "sauvegarde")

    assert done.review_decisions_replayed == [item_id]
    restored = _reopen(hub)
    try:
        assert _state(restored, item_id) == expected
        assert duplicates.list_review_items(restored, actor=ACTOR)["items"] == []
        if decision == "same":
            [merge] = [e for e in duplicates.merge_history(restored)
                       if e["type"] == "fusion"]
            assert (merge["revue"], merge["par"], merge["par_compte"]) == (
                item_id, ACTOR, "usr_1")
    finally:
        restored.close()


def _reopen_item(hub: Hub, item_id: int) -> None:
    """« Reprendre » in the console: the pair back in the queue."""
    session = ConsoleSession("usr_1", "coordo", "coordinator", ACTOR, "x",
                             hub.clock() + dt.timedelta(hours=1))
    review_revisits.reopen(hub, session, item_id)


@pytest.mark.parametrize("first", ["different", "unknown"])
def test_a_decision_a_reopening_and_a_second_decision_after_the_backup_all_stand(
        queued, tmp_path, first):
    hub, item_id = queued
    recovery.backup(hub, tmp_path / "sauvegarde")
    duplicates.decide(hub, item_id, first, actor=ACTOR, user="usr_1")
    _reopen_item(hub, item_id)
    duplicates.decide(hub, item_id, "same", actor=ACTOR, user="usr_1", confirmed=CONFIRMED_FLAGS)
    assert _state(hub, item_id) == ("same", 1, False)
    hub.close()

    done = recovery.restore(hub.settings, tmp_path / "sauvegarde")

    restored = _reopen(hub)
    try:
        assert _state(restored, item_id) == ("same", 1, False)
    finally:
        restored.close()
    assert (done.review_decisions_replayed, done.review_reopenings_replayed) == (
        [item_id], [item_id])


def test_a_reopening_after_the_backup_of_a_pair_judged_before_it_is_made_again(
        queued, tmp_path):
    hub, item_id = queued
    duplicates.decide(hub, item_id, "different", actor=ACTOR, user="usr_1")
    recovery.backup(hub, tmp_path / "sauvegarde")
    _reopen_item(hub, item_id)
    hub.close()

    replayed = [recovery.restore(hub.settings, tmp_path / "sauvegarde")
                for _ in range(2)]
    restored = _reopen(hub)
    try:
        assert _state(restored, item_id) == ("open", 2, False)
        assert [i["id"] for i in duplicates.list_review_items(restored, actor=ACTOR)["items"]] \
            == [item_id]
    finally:
        restored.close()
    assert [done.review_reopenings_replayed for done in replayed] == [[item_id], [item_id]]


def test_restoring_twice_merges_once_and_a_later_copy_replays_nothing(queued, tmp_path):
    hub, item_id = queued
    recovery.backup(hub, tmp_path / "avant")
    duplicates.decide(hub, item_id, "same", actor=ACTOR, confirmed=CONFIRMED_FLAGS)
    recovery.backup(hub, tmp_path / "apres")
    hub.close()

    for _ in range(2):
        assert recovery.restore(hub.settings, tmp_path / "avant").review_decisions_replayed == [
            item_id]
    restored = _reopen(hub)
    try:
        assert _state(restored, item_id) == ("same", 1, False)
        assert [e["type"] for e in duplicates.merge_history(restored)] == ["fusion"]
    finally:
        restored.close()
    assert recovery.restore(hub.settings, tmp_path / "apres").review_decisions_replayed == []
    again = _reopen(hub)
    try:
        assert [e["type"] for e in duplicates.merge_history(again)] == ["fusion"]
        recovery.backup(again, tmp_path / "restauree")
    finally:
        again.close()
    assert recovery.restore(hub.settings, tmp_path / "restauree").review_decisions_replayed == []


def test_a_merge_then_a_separation_after_the_backup_restore_to_separated(queued, tmp_path):
    hub, item_id = queued
    recovery.backup(hub, tmp_path / "sauvegarde")
    duplicates.decide(hub, item_id, "same", actor=ACTOR, confirmed=CONFIRMED_FLAGS)
    porteur = porteur_of(hub, COMMUNE, "A-1")
    duplicates.unmerge(hub, porteur, CCI.member_id, "C-1", actor=ACTOR)
    live = _state(hub, item_id)
    assert live[1:] == (2, True)  # the separation judges the pair different
    hub.close()

    done = recovery.restore(hub.settings, tmp_path / "sauvegarde")

    assert (done.review_decisions_replayed, done.separations_replayed) == ([item_id], [porteur])
    restored = _reopen(hub)
    try:
        assert _state(restored, item_id) == live
        assert [e["type"] for e in duplicates.merge_history(restored)] == ["separation", "fusion"]
    finally:
        restored.close()


def test_a_merge_then_an_erasure_after_the_backup_restore_to_erased(queued, tmp_path):
    hub, item_id = queued
    recovery.backup(hub, tmp_path / "sauvegarde")
    duplicates.decide(hub, item_id, "same", actor=ACTOR, confirmed=CONFIRMED_FLAGS)
    erased = erasure.delete_fiche(hub, CCI, CCI.member_id, "C-1")["effacement"]
    live = _state(hub, item_id)
    assert live[:2] == ("same", 1)  # the erased fiche stays the merged porteur's
    hub.close()

    done = recovery.restore(hub.settings, tmp_path / "sauvegarde")

    assert (done.review_decisions_replayed, done.erasures_replayed) == ([item_id], [erased])
    restored = _reopen(hub)
    try:
        with restored.uow() as uow:
            item = uow.matching.review_item(item_id)
            assert set(uow.keys.erased([item.candidate_fiche_pk, item.fiche_pk])) == {
                item.fiche_pk}
        assert _state(restored, item_id) == live
    finally:
        restored.close()


def test_the_entry_names_the_fiches_by_key_and_keyed_digest_only(queued):
    hub, item_id = queued
    duplicates.decide(hub, item_id, "different", actor=ACTOR, user="usr_1")
    _reopen_item(hub, item_id)
    [entry] = [e for e in _journal(hub) if e["type"] == duplicates.REVIEW]
    assert entry["item"] == item_id and entry["decision"] == "different"
    [reopening] = [e for e in _journal(hub) if e["type"] == review_reopenings.KIND]
    assert (reopening["item"], reopening["user"]) == (item_id, "usr_1")
    text = json.dumps([entry, reopening], ensure_ascii=False)
    for clear in ("A-1", "C-1", PERSON["nom"], PERSON["prenom"], PERSON["date_naissance"],
                  porteur_of(hub, COMMUNE, "A-1"), porteur_of(hub, CCI, "C-1")):
        assert clear not in text


def test_a_decision_whose_transaction_failed_is_not_replayed(queued, tmp_path, monkeypatch):
    """A decision journaled, then its transaction failed (nothing decided): the next one
    the store holds proves it never committed, and the restore makes only that one."""
    hub, item_id = queued
    recovery.backup(hub, tmp_path / "sauvegarde")

    def failing(*_args, **_kwargs):
        raise RuntimeError("the access log refused the event")

    with monkeypatch.context() as patched:
        patched.setattr(hub.audit, "append_within", failing)
        with pytest.raises(RuntimeError):
            duplicates.decide(hub, item_id, "different", actor=ACTOR)
    assert _state(hub, item_id) == ("open", 2, False)
    duplicates.decide(hub, item_id, "same", actor=ACTOR, confirmed=CONFIRMED_FLAGS)
    hub.close()

    done = recovery.restore(hub.settings, tmp_path / "sauvegarde")

    assert (done.review_decisions_replayed, done.decisions_never_committed) == ([item_id], 1)
    restored = _reopen(hub)
    try:
        assert _state(restored, item_id) == ("same", 1, False)
    finally:
        restored.close()
