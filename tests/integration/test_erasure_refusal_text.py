"""An owner's refusal to erase, on both databases: its free text (`precision`, which people
write naming the person) goes with the person's fiches, its motif and status stay; and a
refusal given after a backup is given again by its restore, never asked anew.

Before, the text stayed in clear in `erasure_requests` after the coordination erased the
whole porteur (in the SQLite file's bytes after the purge, in every backup, and served by
`GET /v1/erasures/{id}`), and a restore put the request back to pending."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from consent.api import NoticeKind
from hub.bootstrap import Hub
from hub.errors import Conflict
from hub.services.delivery import webhooks
from hub.services.ops import recovery
from hub.services.privacy import erasure, erasure_requests
from tests.fakes.publisher import RecordingPublisher
from tests.integration.test_erasure_requests import (  # noqa: F401 (fixture)
    COORDINATION,
    THIERS,
    attacked,
)
from tests.integration.world import OWNER

pytestmark = pytest.mark.integration

PRECISION = "Mme Chassaing a un prêt d'honneur de 10000 euros en cours"
NEEDLES = ("Chassaing", "prêt d'honneur")


def _decline(hub: Hub, erasure_id: str) -> None:
    erasure_requests.answer_request(hub, OWNER, erasure_id, {
        "reponse": "refusee", "motif": "autre", "precision": PRECISION})


def _owner_line(hub: Hub, erasure_id: str) -> dict:
    [line] = [d for d in erasure.read_erasure(hub, THIERS, erasure_id)["demandes"]
              if d["membre"] == OWNER.member_id]
    return line


def _rows_naming_her(hub: Hub) -> list[str]:
    """The tables holding one of the needles in clear, in any column."""
    found = []
    with hub.engine.connect() as conn:
        tables = sa.MetaData()
        tables.reflect(conn)
        for table in tables.sorted_tables:
            for row in conn.execute(sa.select(table)):
                text = json.dumps([str(v) for v in row], ensure_ascii=False)
                found += [table.name for needle in NEEDLES if needle in text]
    return found


def _bytes_naming_her(path: Path) -> bool:
    data = path.read_bytes()
    return any(needle.encode() in data for needle in NEEDLES)


def test_a_refusal_s_text_goes_with_the_person_s_fiches_its_motif_stays(
        attacked, tmp_path):  # noqa: F811
    hub, _clock, _cci, _pfil, porteur_id, answer = attacked
    erasure_id = answer["effacement"]
    _decline(hub, erasure_id)
    assert _owner_line(hub, erasure_id) == {"membre": OWNER.member_id, "statut": "declined",
                                            "motif": "autre", "precision": PRECISION}
    assert _rows_naming_her(hub) == []  # sealed with the kept fiche's data key
    recovery.backup(hub, tmp_path / "sauvegarde")

    erasure.request_erasure(hub, COORDINATION, {"porteur_id": porteur_id, "reference": "X"})
    webhooks.dispatch_webhooks(hub)

    assert _owner_line(hub, erasure_id) == {"membre": OWNER.member_id, "statut": "declined",
                                            "motif": "autre"}
    assert _rows_naming_her(hub) == []
    if hub.settings.is_sqlite:  # the store, its WAL, and the copy (a dump is compressed)
        files = [p for p in tmp_path.rglob("hub.sqlite3*") if p.is_file()]
        assert tmp_path / "sauvegarde" / "hub.sqlite3" in files
        assert [p for p in files if _bytes_naming_her(p)] == []
    hub.close()

    recovery.restore(hub.settings, tmp_path / "sauvegarde")  # the copy still had the fiche

    restored = Hub.from_settings(hub.settings, publisher=RecordingPublisher(), clock=hub.clock)
    try:
        assert _owner_line(restored, erasure_id) == {
            "membre": OWNER.member_id, "statut": "declined", "motif": "autre"}
        assert _rows_naming_her(restored) == []
    finally:
        restored.close()


def test_a_refusal_given_after_the_backup_is_given_again_by_the_restore(
        attacked, tmp_path):  # noqa: F811
    hub, _clock, _cci, _pfil, _porteur_id, answer = attacked
    erasure_id = answer["effacement"]
    recovery.backup(hub, tmp_path / "sauvegarde")
    _decline(hub, erasure_id)
    hub.close()

    done = recovery.restore(hub.settings, tmp_path / "sauvegarde")

    restored = Hub.from_settings(hub.settings, publisher=RecordingPublisher(), clock=hub.clock)
    try:
        assert _owner_line(restored, erasure_id) == {
            "membre": OWNER.member_id, "statut": "declined", "motif": "autre",
            "precision": PRECISION}
        with pytest.raises(Conflict):  # answered: not asked again
            erasure_requests.answer_request(restored, OWNER, erasure_id,
                                            {"reponse": "confirmee"})
        [ack] = [a for a in restored.consents.acks(erasure_id)
                 if a.recipient_id == OWNER.member_id and a.kind == NoticeKind.ERASURE_REQUEST]
        assert ack.acknowledged_at is not None
    finally:
        restored.close()
    assert done.erasure_answers_replayed == [f"{erasure_id}:{OWNER.member_id}"]


def test_a_refusal_the_copy_holds_is_not_given_twice(
        attacked, tmp_path):  # noqa: F811
    hub, _clock, _cci, _pfil, _porteur_id, answer = attacked
    _decline(hub, answer["effacement"])
    recovery.backup(hub, tmp_path / "sauvegarde")
    hub.close()

    done = recovery.restore(hub.settings, tmp_path / "sauvegarde")

    assert done.erasure_answers_replayed == []
