"""A member's answer to a referent proposal given after a backup (declined, or accepted)
is given again by a restore from that backup, once, its note kept sealed; on both
databases. Before, the restored proposal was waiting again: a declined one proposed
again, the member asked again."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.services.console import meeting_actions
from hub.services.matching import referent_answers
from hub.services.ops import recovery
from tests.factories import Credentials
from tests.fakes.publisher import RecordingPublisher

pytestmark = pytest.mark.integration
CHAMBER = "chambre-agriculture-63"
NOTE = "Nous ne suivons pas les projets de Mme Faurelliat."


def _answer(world, hub: Hub, proposal: str, reponse: str) -> None:
    raw = json.dumps({"reponse": reponse, "note": NOTE}).encode()
    path = f"/v1/referent-proposals/{proposal}/answer"
    headers = Credentials(world["folder"] / "credentials" / f"{CHAMBER}.json").headers(
        "POST", path, raw)
    with TestClient(create_app(hub=hub)) as client:
        answered = client.post(path, content=raw, headers=headers)
    assert answered.status_code == 200, answered.text


def _reopen(hub: Hub) -> Hub:
    return Hub.from_settings(hub.settings, publisher=RecordingPublisher(), clock=hub.clock)


def _journal(hub: Hub) -> list[dict]:
    path = hub.settings.key_folder / "recovery_journal.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.parametrize("reponse", ["refusee", "acceptee"])
def test_an_answer_given_after_the_backup_stands_after_the_restore(coordination, tmp_path,
                                                                   reponse):
    hub, porteur = coordination["hub"], coordination["porteurs"]["F-ORPHELIN"]
    proposal = meeting_actions.propose_referent(hub, coordination["session"], porteur, CHAMBER)
    recovery.backup(hub, tmp_path / "sauvegarde")
    _answer(coordination, hub, proposal, reponse)
    [row] = meeting_actions.actions_of(hub, porteur)
    hub.close()

    done = recovery.restore(hub.settings, tmp_path / "sauvegarde")

    assert done.referent_answers_replayed == [row.id]
    restored = _reopen(hub)
    try:
        [again] = meeting_actions.actions_of(restored, porteur)
        assert (again.status, again.answer_note, again.answered_at) == (
            reponse, NOTE, row.answered_at)
    finally:
        restored.close()


def test_restoring_twice_answers_once_and_a_later_copy_replays_nothing(coordination, tmp_path):
    hub, porteur = coordination["hub"], coordination["porteurs"]["F-ORPHELIN"]
    proposal = meeting_actions.propose_referent(hub, coordination["session"], porteur, CHAMBER)
    recovery.backup(hub, tmp_path / "avant")
    _answer(coordination, hub, proposal, "refusee")
    recovery.backup(hub, tmp_path / "apres")
    hub.close()

    for _ in range(2):
        assert len(recovery.restore(hub.settings, tmp_path / "avant")
                   .referent_answers_replayed) == 1
    assert recovery.restore(hub.settings, tmp_path / "apres").referent_answers_replayed == []
    restored = _reopen(hub)
    try:
        [row] = meeting_actions.actions_of(restored, porteur)
        assert row.status == "refusee"
        recovery.backup(restored, tmp_path / "restauree")
    finally:
        restored.close()
    assert recovery.restore(hub.settings, tmp_path / "restauree").referent_answers_replayed == []


def test_an_answer_to_a_proposal_the_copy_lacks_is_not_replayed(coordination, tmp_path):
    """The proposal made after the copy is gone with it: its answer answers nothing."""
    hub, porteur = coordination["hub"], coordination["porteurs"]["F-ORPHELIN"]
    recovery.backup(hub, tmp_path / "sauvegarde")
    proposal = meeting_actions.propose_referent(hub, coordination["session"], porteur, CHAMBER)
    _answer(coordination, hub, proposal, "refusee")
    hub.close()

    assert recovery.restore(hub.settings, tmp_path / "sauvegarde").referent_answers_replayed \
        == []
    restored = _reopen(hub)
    try:
        assert meeting_actions.actions_of(restored, porteur) == []
    finally:
        restored.close()


def test_a_proposal_made_after_a_restore_never_takes_the_id_of_one_lost_with_it(
        coordination, tmp_path):
    """The member holds the lost proposal's id, answered: the same id again would read to
    its system as a proposal it answered already (and a later restore's journal entry of
    that answer would answer the new one)."""
    hub, porteur = coordination["hub"], coordination["porteurs"]["F-ORPHELIN"]
    recovery.backup(hub, tmp_path / "sauvegarde")
    lost = meeting_actions.propose_referent(hub, coordination["session"], porteur, CHAMBER)
    _answer(coordination, hub, lost, "refusee")
    [lost_row] = meeting_actions.actions_of(hub, porteur)
    hub.close()
    recovery.restore(hub.settings, tmp_path / "sauvegarde")
    restored = coordination["hub"] = _reopen(hub)

    again = meeting_actions.propose_referent(restored, coordination["session"], porteur,
                                             CHAMBER)

    [row] = meeting_actions.actions_of(restored, porteur)
    assert (again != lost, row.id > lost_row.id) == (True, True)
    _answer(coordination, restored, again, "acceptee")


def test_the_entry_holds_neither_the_note_nor_a_name_in_clear(coordination):
    hub, porteur = coordination["hub"], coordination["porteurs"]["F-ORPHELIN"]
    proposal = meeting_actions.propose_referent(hub, coordination["session"], porteur, CHAMBER)
    _answer(coordination, hub, proposal, "refusee")
    [entry] = [e for e in _journal(hub) if e["type"] == referent_answers.KIND]
    assert (entry["answer"], entry["member_id"]) == ("refusee", CHAMBER)
    assert entry["note"]  # sealed
    text = json.dumps(entry, ensure_ascii=False)
    for clear in (NOTE, "Faurelliat", "F-ORPHELIN"):
        assert clear not in text
