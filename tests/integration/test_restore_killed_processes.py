"""`capactif restore` run in a real process killed with SIGKILL at chosen points, on
SQLite and PostgreSQL: after the key file was settled against the store it replaces
(before the load: the store is still the live one, served as before), and after the
journal's replay committed (the copy loaded and replayed, its notices tracked, but the
restore not finished: the store stays marked unfinished, which `init` refuses). Run
again, the restore completes: the erasure made since the copy is erased again, the
other fiche read, the erasure's notices tracked."""

from __future__ import annotations

import pytest

from consent.api import NoticeKind
from hub.bootstrap import Hub
from hub.errors import DataErased
from hub.services.delivery import webhooks
from hub.services.ingest.fiches import read_own_fiche
from hub.services.ops import recovery
from hub.services.privacy import erasure
from hub.store import backup as copies
from tests.factories import other_porteur
from tests.fakes.publisher import RecordingPublisher
from tests.integration.killed import run_killed
from tests.integration.world import OWNER, fiche, push_and_process

pytestmark = pytest.mark.integration

# `capactif restore FOLDER`, killed after the key file is settled ("settled") or after
# the journal's replay ("replayed")
_KILLED = """
import os, signal, sys
from hub import journal
from hub.cli import main
from hub.services.ops import recovery

def killed_after(done):
    def step(*args, **kwargs):
        result = done(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGKILL)
        return result
    return step

if sys.argv[1] == "settled":
    journal.RecoveryJournal.settled = killed_after(journal.RecoveryJournal.settled)
else:
    recovery._replay = killed_after(recovery._replay)
main(["restore", sys.argv[2]])
"""


def _restore_killed(hub: Hub, point: str, folder) -> None:
    run_killed(hub, _KILLED, point, str(folder), timeout=600)


def _reopen(hub: Hub) -> Hub:
    return Hub.from_settings(hub.settings, publisher=RecordingPublisher(), clock=hub.clock)


@pytest.mark.parametrize("point", ["settled", "replayed"])
def test_a_restore_killed_midway_leaves_a_consistent_store_and_completes_when_run_again(
        network, tmp_path, point):
    hub = network[0]
    other = fiche("F-2")
    other["porteur"] = other_porteur(1)
    push_and_process(hub, fiche("F-1"), other)
    webhooks.dispatch_webhooks(hub)  # the recipients the erasure tells
    recovery.backup(hub, tmp_path / "sauvegarde")
    erased = erasure.request_erasure(hub, OWNER, {"fiche_id": "F-1"})["effacement"]
    hub.close()

    _restore_killed(hub, point, tmp_path / "sauvegarde")

    after = _reopen(hub)
    try:
        unfinished = copies.unfinished_restore(after.engine)
        assert (unfinished is not None) == (point == "replayed"), unfinished
        if point == "settled":  # the live store, untouched
            with pytest.raises(DataErased):
                read_own_fiche(after, OWNER, OWNER.member_id, "F-1")
            assert read_own_fiche(after, OWNER, OWNER.member_id, "F-2")["fiche"]["fiche_id"] == "F-2"
    finally:
        after.close()
    done = recovery.restore(hub.settings, tmp_path / "sauvegarde")

    assert done.erasures_replayed == [erased] and done.keys_unrecoverable == 0
    restored = _reopen(hub)
    try:
        assert copies.unfinished_restore(restored.engine) is None
        with pytest.raises(DataErased):
            read_own_fiche(restored, OWNER, OWNER.member_id, "F-1")
        assert read_own_fiche(restored, OWNER, OWNER.member_id, "F-2")["fiche"]["fiche_id"] == "F-2"
        assert {a.kind for a in restored.consents.acks(erased)} == {NoticeKind.ERASURE}
        assert len(restored.audit.search(action="restore", limit=10)) == 1
    finally:
        restored.close()
