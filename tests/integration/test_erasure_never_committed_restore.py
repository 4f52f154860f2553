"""A member's erasure request killed with SIGKILL after its recovery-journal entries were
written, before its transaction committed, then a later erasure that commits on the same
buckets, then a restore from a backup made before both, on SQLite and PostgreSQL. The
killed erasure never happened (its fiche alive, no owner asked, nobody notified): the
restore must not replay it. It did once a later erasure had destroyed the same fiche's
key: its entry, judged by its fiches' keys alone, was recorded again and its requests to
the other owners made again. A committed erasure is still replayed, an undecided entry
still counts as committed, and the journal of an earlier release replays as before."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from hub.bootstrap import Hub
from hub.errors import DataErased
from hub.journal import fiche_digest
from hub.services.ingest.fiches import read_own_fiche
from hub.services.ops import recovery
from hub.services.privacy import erasure
from hub.store.erasure_tables import erasures
from hub.store.key_replay import replay_rotations
from tests import forensics
from tests.factories import other_porteur
from tests.fakes.publisher import RecordingPublisher
from tests.integration.killed import killed_after_journal, run_killed
from tests.integration.test_erasure_requests import own_fiche, push_as
from tests.integration.world import OWNER, THIERS, fiche

pytestmark = pytest.mark.integration

# an erasure request (argv: the member of tests.integration.world, one of its fiches),
# its process killed right after its `erasure` journal entry (its `rotation` one before)
_KILLED_BEFORE_COMMIT = killed_after_journal("erasure") + """
import sys
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.privacy import erasure
from tests.integration import world

erasure.request_erasure(Hub.from_settings(Settings.from_env()), getattr(world, sys.argv[1]),
                        {"fiche_id": sys.argv[2]})
"""


def _two_owners_of_one_porteur(hub: Hub) -> None:
    """The owner's F-1 and Thiers's T-1, the same person."""
    push_as(hub, OWNER, fiche("F-1"))
    push_as(hub, THIERS, own_fiche(THIERS, "T-1"), roles_destinataires=["accueil", "accompagnement"])


def _killed_before_its_commit(hub: Hub, member: str, fiche_id: str) -> str:
    """The killed erasure's id, read from its journal entry (the store has none)."""
    run_killed(hub, _KILLED_BEFORE_COMMIT, member, fiche_id)
    [killed] = [e["id"] for e in hub.store_keys.journal.entries() if e["type"] == "erasure"]
    return killed


def _restored(hub: Hub, tmp_path) -> tuple[recovery.Restored, Hub]:
    hub.close()
    done = recovery.restore(hub.settings, tmp_path / "sauvegarde")
    return done, Hub.from_settings(hub.settings, publisher=RecordingPublisher(), clock=hub.clock)


def _owners_asked(hub: Hub, erasure_id: str) -> list[str]:
    with hub.uow() as uow:
        return [r.owner_id for r in uow.erasure_requests.of_erasure(erasure_id)]


def _recorded(hub: Hub) -> set[str]:
    with hub.engine.connect() as conn:
        return set(conn.execute(sa.select(erasures.c.id)).scalars())


def _readable(hub: Hub, caller, fiche_id: str) -> bool:
    try:
        return read_own_fiche(hub, caller, caller.member_id, fiche_id)["fiche"]["fiche_id"] == fiche_id
    except DataErased:
        return False


def test_an_erasure_killed_before_its_commit_then_asked_again_is_replayed_once(network, tmp_path):
    hub = network[0]
    _two_owners_of_one_porteur(hub)
    recovery.backup(hub, tmp_path / "sauvegarde")
    killed = _killed_before_its_commit(hub, "THIERS", "T-1")
    assert _readable(hub, THIERS, "T-1") and _owners_asked(hub, killed) == []
    # the member asks again: this one commits, erases T-1 and asks the owner of F-1
    again = erasure.request_erasure(hub, THIERS, {"fiche_id": "T-1"})["effacement"]

    done, restored = _restored(hub, tmp_path)

    try:
        assert done.erasures_replayed == [again]
        assert _recorded(restored) == {again}
        assert _owners_asked(restored, killed) == [], "the killed erasure's request made again"
        assert _owners_asked(restored, again) == [OWNER.member_id]
        assert restored.consents.acks(killed) == [], "the killed erasure's notices sent again"
        assert not _readable(restored, THIERS, "T-1")
        assert _readable(restored, OWNER, "F-1")
    finally:
        restored.close()


@pytest.mark.parametrize("asked_again", [False, True])
def test_with_the_live_store_lost_only_a_later_rotation_judges_a_killed_erasure(
        network, tmp_path, asked_again):
    """Nothing settles the key file against a lost store: the killed erasure, undecided,
    counts as committed (never a committed erasure lost), unless a later erasure of its
    bucket found it older than the killed one's rotation."""
    hub = network[0]
    _two_owners_of_one_porteur(hub)
    recovery.backup(hub, tmp_path / "sauvegarde")
    killed = _killed_before_its_commit(hub, "THIERS", "T-1")
    again = (erasure.request_erasure(hub, THIERS, {"fiche_id": "T-1"})["effacement"]
             if asked_again else None)
    hub.close()
    forensics.store_lost(hub)

    done = recovery.restore(hub.settings, tmp_path / "sauvegarde")

    replayed = again or killed
    restored = Hub.from_settings(hub.settings, publisher=RecordingPublisher(), clock=hub.clock)
    try:
        assert done.erasures_replayed == [replayed] and _recorded(restored) == {replayed}
        assert _owners_asked(restored, replayed) == [OWNER.member_id]
        assert not _readable(restored, THIERS, "T-1") and _readable(restored, OWNER, "F-1")
    finally:
        restored.close()


def test_a_later_erasure_on_the_same_bucket_leaves_the_killed_one_undone(network, tmp_path):
    hub = network[0]
    _two_owners_of_one_porteur(hub)
    forensics.next_fiche_shares_the_bucket_of(hub, "T-1")
    other = own_fiche(THIERS, "T-2")
    other["porteur"] = other_porteur(1)
    push_as(hub, THIERS, other)
    recovery.backup(hub, tmp_path / "sauvegarde")
    killed = _killed_before_its_commit(hub, "THIERS", "T-1")
    later = erasure.request_erasure(hub, THIERS, {"fiche_id": "T-2"})["effacement"]

    done, restored = _restored(hub, tmp_path)

    try:
        assert done.erasures_replayed == [later] and done.keys_unrecoverable == 0
        assert _owners_asked(restored, killed) == []
        assert _readable(restored, THIERS, "T-1") and _readable(restored, OWNER, "F-1")
        assert not _readable(restored, THIERS, "T-2")
    finally:
        restored.close()


def test_an_undecided_rotation_counts_as_committed_until_judged(network):
    """Without a `settled` line nor a later rotation, a killed erasure's rotation counts as
    committed (never a committed erasure lost); the key file settled against the store,
    or a later rotation finding its bucket older, judges it never committed."""
    hub = network[0]
    _two_owners_of_one_porteur(hub)
    _killed_before_its_commit(hub, "THIERS", "T-1")
    [rotation] = [e for e in hub.store_keys.journal.entries() if e["type"] == "rotation"]
    judged = {(int(b), g) for b, g in rotation["generations"].items()}

    assert _replayed(hub).never_committed == set()
    hub.store_keys.journal.settled(hub.clock().isoformat())
    assert _replayed(hub).never_committed == judged
    erasure.request_erasure(hub, THIERS, {"fiche_id": "T-1"})  # destroys the older KEK
    assert _replayed(hub).never_committed == judged


def _replayed(hub: Hub):
    """The journal's rotations replayed over the store, then rolled back."""
    with hub.engine.connect() as conn, conn.begin() as transaction:
        result = replay_rotations(conn, hub.keyring, list(hub.store_keys.journal.entries()),
                                  hub.clock())
        transaction.rollback()
    return result


def _journal_rewritten(hub: Hub, change) -> None:
    path = hub.store_keys.journal.path
    lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    path.write_text("".join(json.dumps(change(entry)) + "\n" for entry in lines))


def _as_an_earlier_release_wrote_it(entry: dict) -> dict:
    entry = {k: v for k, v in entry.items() if k not in ("from", "rotation")}
    if "asked" in entry:
        entry["asked"] = [{k: v for k, v in row.items() if k != "fiches"} for row in entry["asked"]]
    return entry


def test_a_journal_of_an_earlier_release_replays_its_committed_erasure(network, tmp_path):
    hub = network[0]
    _two_owners_of_one_porteur(hub)
    recovery.backup(hub, tmp_path / "sauvegarde")
    committed = erasure.request_erasure(hub, THIERS, {"fiche_id": "T-1"})["effacement"]
    _journal_rewritten(hub, _as_an_earlier_release_wrote_it)

    done, restored = _restored(hub, tmp_path)

    try:
        assert done.erasures_replayed == [committed]
        assert _owners_asked(restored, committed) == [OWNER.member_id]
        assert not _readable(restored, THIERS, "T-1") and _readable(restored, OWNER, "F-1")
    finally:
        restored.close()


def test_a_restore_asks_no_owner_for_a_fiche_its_key_no_longer_names(network, tmp_path):
    """The key the entry names for the owner's fiche is held by another fiche (its keyed
    digest differs): that owner is not asked; the erasure itself is replayed."""
    hub = network[0]
    _two_owners_of_one_porteur(hub)
    recovery.backup(hub, tmp_path / "sauvegarde")
    committed = erasure.request_erasure(hub, THIERS, {"fiche_id": "T-1"})["effacement"]
    elsewhere = fiche_digest(hub.pseudonym_key, OWNER.member_id, "F-AUTRE")

    def named_elsewhere(entry: dict) -> dict:
        for row in entry.get("asked", ()):
            row["fiches"] = dict.fromkeys(map(str, row["fiche_pks"]), elsewhere)
        return entry

    _journal_rewritten(hub, named_elsewhere)

    done, restored = _restored(hub, tmp_path)

    try:
        assert done.erasures_replayed == [committed]
        assert _owners_asked(restored, committed) == []
        assert not _readable(restored, THIERS, "T-1") and _readable(restored, OWNER, "F-1")
    finally:
        restored.close()
