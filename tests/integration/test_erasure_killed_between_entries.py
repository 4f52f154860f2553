"""An erasure killed with SIGKILL between its two recovery-journal entries (its `rotation`
written, its `erasure` not), then a restore from an earlier backup, the live store kept or
lost, on SQLite and PostgreSQL. The erasure never committed: the restore must leave its
fiche readable, so that the member asking again erases it, records it and asks the other
owner. It was half replayed once the live store was lost (nothing settles the key file):
the rotation, undecided, counted as committed and destroyed the fiche's key, with no
erasure recorded, nobody notified, and the member asking again told it was already erased.
A rotation entry written before rotations named their erasure replays as before."""

from __future__ import annotations

import pytest

from hub.bootstrap import Hub
from hub.journal import DECISIONS
from hub.services.ops import recovery
from hub.services.privacy import erasure
from tests import forensics
from tests.fakes.publisher import RecordingPublisher
from tests.integration.killed import killed_after_journal, run_killed
from tests.integration.test_erasure_never_committed_restore import (
    _KILLED_BEFORE_COMMIT,
    _journal_rewritten,
    _owners_asked,
    _readable,
    _recorded,
    _two_owners_of_one_porteur,
)
from tests.integration.world import OWNER, THIERS

pytestmark = pytest.mark.integration

# the same erasure request, its process killed right after its `rotation` entry
_KILLED_AFTER_ROTATION = killed_after_journal("rotation") + _KILLED_BEFORE_COMMIT.split(
    killed_after_journal("erasure"), 1)[1]


def _restored(hub: Hub, folder, store_lost: bool) -> tuple[recovery.Restored, Hub]:
    hub.close()
    if store_lost:
        forensics.store_lost(hub)
    done = recovery.restore(hub.settings, folder)
    return done, Hub.from_settings(hub.settings, publisher=RecordingPublisher(), clock=hub.clock)


def _killed_after_its_rotation(hub: Hub, folder) -> None:
    _two_owners_of_one_porteur(hub)
    recovery.backup(hub, folder)
    run_killed(hub, _KILLED_AFTER_ROTATION, "THIERS", "T-1")
    assert [e["type"] for e in hub.store_keys.journal.entries()
            if e["type"] not in DECISIONS] == ["rotation"]  # the network load's: a decision


@pytest.mark.parametrize("store_lost", [False, True])
def test_an_erasure_killed_between_its_rotation_and_erasure_entries_is_wholly_undone(
        network, tmp_path, store_lost):
    hub = network[0]
    _killed_after_its_rotation(hub, tmp_path / "b0")

    done, restored = _restored(hub, tmp_path / "b0", store_lost)
    try:
        assert done.erasures_replayed == [] and done.fiches_erased_again == 0
        assert _readable(restored, THIERS, "T-1") and _readable(restored, OWNER, "F-1")
        assert _recorded(restored) == set()
        again = erasure.request_erasure(restored, THIERS, {"fiche_id": "T-1"})["effacement"]
        assert _recorded(restored) == {again}
        assert _owners_asked(restored, again) == [OWNER.member_id]
        assert not _readable(restored, THIERS, "T-1")
    finally:
        restored.close()


def test_a_rotation_entry_naming_no_erasure_replays_as_before(network, tmp_path):
    """An entry of an earlier release names no erasure: undecided, its destroyed keys are
    destroyed again, as they were before (never a committed erasure's key brought back)."""
    hub = network[0]
    _killed_after_its_rotation(hub, tmp_path / "b0")
    _journal_rewritten(hub, lambda entry: {k: v for k, v in entry.items() if k != "erasure"})

    done, restored = _restored(hub, tmp_path / "b0", store_lost=True)
    try:
        assert done.fiches_erased_again == 1 and done.erasures_replayed == []
        assert not _readable(restored, THIERS, "T-1") and _readable(restored, OWNER, "F-1")
    finally:
        restored.close()
