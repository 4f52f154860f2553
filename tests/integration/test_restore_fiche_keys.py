"""A restore and the fiches' primary keys (the keys the recovery journal names), on SQLite
and PostgreSQL. A copy's store hands out keys from where the copy stood (SQLite: the
largest key plus one; PostgreSQL: the copy's sequence), so a fiche pushed after a restore
took the key of a fiche made, then erased, since the copy; a later restore replayed that
old erasure onto the new fiche (recorded as its erasure, its notices naming the new
fiche under the old one's porteur sent to the new one's recipients). And an erasure
killed before it destroyed the old key-encryption keys, restored from a copy taken before
it after the live store was lost (nothing then says which generations had committed),
left them in the key directory: the copy's wrapped key of the erased fiche opened."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from hub.bootstrap import Hub
from hub.keyring import Keyring, bucket_of
from hub.services.ingest.fiches import read_own_fiche
from hub.services.ops import recovery
from hub.services.privacy import erasure
from hub.store.delivery_tables import deliveries
from hub.store.erasure_tables import fiche_keys
from hub.store.tables import fiches
from tests import forensics
from tests.factories import other_porteur
from tests.fakes.publisher import RecordingPublisher
from tests.integration.killed import run_killed
from tests.integration.world import OWNER, fiche, push_and_process

pytestmark = pytest.mark.integration


def _fiche(fiche_id: str, other: int) -> dict:
    document = fiche(fiche_id)
    document["porteur"] = other_porteur(other)
    return document


def _pk(hub: Hub, fiche_id: str) -> int:
    with hub.engine.connect() as conn:
        return int(conn.execute(sa.select(fiches.c.id).where(fiches.c.fiche_id == fiche_id)).scalar_one())


def _reopen(hub: Hub) -> Hub:
    return Hub.from_settings(hub.settings, publisher=RecordingPublisher(), clock=hub.clock)


def _erased_since_the_copy(hub: Hub, folder, fiche_id: str) -> tuple[Hub, int, str]:
    """A copy in `folder`, then `fiche_id` pushed and erased, then the copy restored."""
    recovery.backup(hub, folder)
    push_and_process(hub, _fiche(fiche_id, 2))
    pk = _pk(hub, fiche_id)
    erasure_id = erasure.delete_fiche(hub, OWNER, OWNER.member_id, fiche_id)["effacement"]
    hub.close()
    recovery.restore(hub.settings, folder)
    return _reopen(hub), pk, erasure_id


def test_a_fiche_pushed_after_a_restore_never_takes_the_key_of_one_erased_since_the_copy(
        network, tmp_path):
    hub, _clock, _cci, _pfil = network
    push_and_process(hub, _fiche("F-1", 1))
    hub, erased_pk, _erasure_id = _erased_since_the_copy(hub, tmp_path / "b0", "X")
    try:
        push_and_process(hub, _fiche("Y", 3))
        push_and_process(hub, _fiche("Z", 4))

        assert _pk(hub, "Y") > erased_pk
        assert _pk(hub, "Z") > _pk(hub, "Y")
        assert read_own_fiche(hub, OWNER, OWNER.member_id, "Y")["fiche"]["fiche_id"] == "Y"
    finally:
        hub.close()


def test_the_first_fiche_after_restoring_a_copy_that_held_none_takes_a_new_key(
        network, tmp_path):
    """PostgreSQL restores a sequence never used at its start (not yet called): the
    journal's highest key, the start itself, is past it too."""
    hub, _clock, _cci, _pfil = network
    hub, erased_pk, _erasure_id = _erased_since_the_copy(hub, tmp_path / "b0", "X")
    try:
        push_and_process(hub, _fiche("Y", 3))
        assert _pk(hub, "Y") > erased_pk
    finally:
        hub.close()


def test_a_restore_replays_no_erasure_onto_a_fiche_that_took_the_erased_one_s_key(
        network, tmp_path, monkeypatch):
    hub, _clock, _cci, _pfil = network
    push_and_process(hub, _fiche("F-1", 1))
    # a store restored by an earlier release: the next fiche took the erased one's key
    monkeypatch.setattr(recovery, "_keys_past_the_journal", lambda _uow, _entries: None,
                        raising=False)
    hub, erased_pk, first = _erased_since_the_copy(hub, tmp_path / "b0", "X")
    monkeypatch.undo()
    push_and_process(hub, _fiche("Y", 3))
    assert _pk(hub, "Y") == erased_pk, "the scenario needs the key handed out again"
    recovery.backup(hub, tmp_path / "b1")
    second = erasure.delete_fiche(hub, OWNER, OWNER.member_id, "Y")["effacement"]
    hub.close()

    done = recovery.restore(hub.settings, tmp_path / "b1")

    assert done.erasures_replayed == [second]
    hub = _reopen(hub)
    try:
        with hub.uow() as uow:
            assert uow.erasures.get(first) is None
        with hub.engine.connect() as conn:
            notices = conn.execute(sa.select(deliveries.c.payload).where(
                deliveries.c.event == "erased")).scalars().all()
        assert notices and all(first not in payload for payload in notices)
        assert all('"fiche_id":"Y"' in payload for payload in notices), notices
    finally:
        hub.close()


# the owner's erasure of X, its process killed after its commit, before the old KEKs went
_KILLED_BEFORE_THE_OLD_KEKS_GO = """
import os, signal
from hub.bootstrap import Hub
from hub.config import Settings
from hub.keyring import Keyring
from hub.services.privacy import erasure
from tests.integration.world import OWNER

def killed(*_args, **_kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

Keyring.keep_only = killed
erasure.delete_fiche(Hub.from_settings(Settings.from_env()), OWNER, OWNER.member_id, "X")
"""


def test_a_restore_destroys_the_old_keks_an_erasure_killed_before_that_step_left(
        network, tmp_path):
    hub, _clock, _cci, _pfil = network
    push_and_process(hub, _fiche("X", 1))
    forensics.next_fiche_shares_the_bucket_of(hub, "X")
    push_and_process(hub, _fiche("SAME-BUCKET", 2))
    pk = _pk(hub, "X")
    with hub.engine.connect() as conn:
        generation = conn.execute(sa.select(fiche_keys.c.generation).where(
            fiche_keys.c.fiche_pk == pk)).scalar_one()
    recovery.backup(hub, tmp_path / "b0")
    run_killed(hub, _KILLED_BEFORE_THE_OLD_KEKS_GO)
    assert Keyring(hub.settings.key_folder).kek(bucket_of(pk), generation) is not None
    hub.close()
    forensics.store_lost(hub)  # nothing tells the restore which generations committed before the load

    recovery.restore(hub.settings, tmp_path / "b0")

    assert Keyring(hub.settings.key_folder).kek(bucket_of(pk), generation) is None
    hub = _reopen(hub)
    try:
        kept = read_own_fiche(hub, OWNER, OWNER.member_id, "SAME-BUCKET")
        assert kept["fiche"]["fiche_id"] == "SAME-BUCKET"
    finally:
        hub.close()
