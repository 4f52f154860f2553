"""An erasure killed with SIGKILL after its recovery-journal entries were written, then a
restore from a backup made before it, on SQLite and PostgreSQL. Killed before its
transaction committed, the erasure never happened (the fiche is still read): the restore
must not apply it, as it did (the journal's rotation destroyed the fiche's key, more
erased than was done). Killed after its commit, before its old key-encryption keys were
destroyed, it did happen: the restore must apply it (never a committed erasure lost)."""

from __future__ import annotations

import pytest

from hub.bootstrap import Hub
from hub.errors import DataErased
from hub.services.ingest.fiches import read_own_fiche
from hub.services.ops import recovery
from tests.factories import other_porteur
from tests.fakes.publisher import RecordingPublisher
from tests.integration.killed import run_killed
from tests.integration.world import OWNER, fiche, push_and_process

pytestmark = pytest.mark.integration

# the owner's erasure of F-1, killed after its journal entries (argv[1] "before-commit")
# or after its commit, before its old KEKs are destroyed ("after-commit")
_KILLED = """
import os, signal, sys
from hub import journal
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.privacy import erasure, key_rotation
from tests.integration.world import OWNER

def killed(*_args, **_kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

if sys.argv[1] == "before-commit":
    written = journal.RecoveryJournal.erasure

    def entry(self, *args, **kwargs):
        written(self, *args, **kwargs)
        killed()

    journal.RecoveryJournal.erasure = entry
else:
    key_rotation.destroy_old_keks = killed
erasure.request_erasure(Hub.from_settings(Settings.from_env()), OWNER, {"fiche_id": "F-1"})
"""


def _another_porteur_s(fiche_id: str) -> dict:
    document = fiche(fiche_id)
    document["porteur"] = other_porteur(1)
    return document


def _erasure_killed(hub: Hub, point: str) -> None:
    run_killed(hub, _KILLED, point)
    assert any(entry["type"] == "erasure" for entry in hub.store_keys.journal.entries()), \
        "the killed erasure wrote no journal entry"


def _restored(hub: Hub, tmp_path) -> tuple[recovery.Restored, Hub]:
    hub.close()
    done = recovery.restore(hub.settings, tmp_path / "sauvegarde")
    return done, Hub.from_settings(hub.settings, publisher=RecordingPublisher(), clock=hub.clock)


def test_a_restore_does_not_apply_an_erasure_killed_before_its_commit(network, tmp_path):
    hub = network[0]
    push_and_process(hub, fiche("F-1"), _another_porteur_s("F-2"))
    recovery.backup(hub, tmp_path / "sauvegarde")
    _erasure_killed(hub, "before-commit")
    assert read_own_fiche(hub, OWNER, OWNER.member_id, "F-1")["fiche"]["fiche_id"] == "F-1"

    done, restored = _restored(hub, tmp_path)

    try:
        assert (done.fiches_erased_again, done.erasures_replayed) == (0, [])
        assert done.keys_unrecoverable == 0
        for fiche_id in ("F-1", "F-2"):
            read = read_own_fiche(restored, OWNER, OWNER.member_id, fiche_id)
            assert read["fiche"]["fiche_id"] == fiche_id
    finally:
        restored.close()


def test_a_restore_applies_an_erasure_killed_after_its_commit(network, tmp_path):
    hub = network[0]
    push_and_process(hub, fiche("F-1"), _another_porteur_s("F-2"))
    recovery.backup(hub, tmp_path / "sauvegarde")
    _erasure_killed(hub, "after-commit")
    with pytest.raises(DataErased):
        read_own_fiche(hub, OWNER, OWNER.member_id, "F-1")

    done, restored = _restored(hub, tmp_path)

    try:
        assert done.fiches_erased_again == 1 and len(done.erasures_replayed) == 1
        with pytest.raises(DataErased):
            read_own_fiche(restored, OWNER, OWNER.member_id, "F-1")
        assert read_own_fiche(restored, OWNER, OWNER.member_id, "F-2")["fiche"]["fiche_id"] == "F-2"
    finally:
        restored.close()
