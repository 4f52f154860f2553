"""A key rotation killed with SIGKILL after its recovery-journal entry was written but
before its transaction committed, then a backup and a restore, on SQLite and
PostgreSQL: the journal holds a rotation the store never made (its KEK is in the key
file, the store still names the former generation). A fiche created afterwards in that
bucket, under the KEK the store names, is in the backup; the restore must give it its
key back, not count it unrecoverable and destroy it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from hub.bootstrap import Hub
from hub.keyring import BUCKETS
from hub.services.ingest.fiches import read_own_fiche
from hub.services.ops import recovery
from hub.store.tables import fiches
from tests import forensics
from tests.factories import other_porteur
from tests.fakes.publisher import RecordingPublisher
from tests.integration.killed import killed_after_journal, run_killed
from tests.integration.world import OWNER, fiche, push_and_process

pytestmark = pytest.mark.integration

# `capactif keys rotate-data`, killed right after its first journal entry (buckets 0-15)
_KILLED_AFTER_JOURNAL = killed_after_journal("rotation") + """
from hub.cli import main

main(["keys", "rotate-data"])
"""


def _next_fiche_in_bucket_zero(hub: Hub) -> None:
    """The next fiche's primary key is a multiple of BUCKETS: KEK bucket 0."""
    with hub.engine.begin() as conn:
        row = conn.execute(sa.select(fiches).order_by(fiches.c.id.desc()).limit(1)).one()
        forensics.next_fiche_follows(conn, row, (row.id // BUCKETS + 1) * BUCKETS - 1)


def _fiche(fiche_id: str, other: int) -> dict:
    document = fiche(fiche_id)
    document["porteur"] = other_porteur(other)
    return document


def _rotation_killed_after_its_journal_entry(hub: Hub) -> None:
    run_killed(hub, _KILLED_AFTER_JOURNAL)
    assert any(entry["type"] == "rotation" for entry in hub.store_keys.journal.entries()), \
        "the killed rotation wrote no journal entry"


def test_a_fiche_made_after_a_killed_rotation_keeps_its_key_through_a_restore(network, tmp_path):
    hub, _clock, _cci, _pfil = network
    push_and_process(hub, _fiche("PREMIERE", 2))
    _next_fiche_in_bucket_zero(hub)
    push_and_process(hub, _fiche("AVANT", 0))
    _rotation_killed_after_its_journal_entry(hub)
    _next_fiche_in_bucket_zero(hub)
    push_and_process(hub, _fiche("APRES", 1))  # wrapped under the generation the store names
    assert read_own_fiche(hub, OWNER, OWNER.member_id, "APRES")["fiche"]["fiche_id"] == "APRES"
    recovery.backup(hub, tmp_path / "sauvegarde")
    hub.close()

    done = recovery.restore(hub.settings, tmp_path / "sauvegarde")

    assert done.keys_unrecoverable == 0
    restored = Hub.from_settings(hub.settings, publisher=RecordingPublisher(), clock=hub.clock)
    try:
        for fiche_id in ("PREMIERE", "AVANT", "APRES"):
            read = read_own_fiche(restored, OWNER, OWNER.member_id, fiche_id)
            assert read["fiche"]["fiche_id"] == fiche_id
    finally:
        restored.close()
