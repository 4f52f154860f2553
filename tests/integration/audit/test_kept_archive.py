"""The retention boundary is kept beside the signed head, outside the store: entries
moved to the archived leaves by the database alone (no archive file, no retention run),
a leaf moved out of the middle of the log, or a gap in the seq numbers are not signed
over. Legitimate retention, a restart after it and a restore stay quiet
(test_kept_head, test_audit_retention). Both stores."""

from __future__ import annotations

import dataclasses
import hashlib
import json

import pytest
import sqlalchemy as sa

from hub.bootstrap import Hub
from hub.services.audit import retention as audit_retention
from hub.services.audit import trail as audit
from tests.factories import Clock
from tests.fakes.publisher import RecordingPublisher
from tests.integration.audit.test_kept_head import (
    FILE_NAME,
    export_command,
    logged_and_signed,
    refused_and_restarted,
)

pytestmark = pytest.mark.integration


def archived_by_hand(hub: Hub, where: str) -> None:
    """Entries' leaves moved to the archived leaves and their content deleted, as a
    retention run would, with no archive file and no segment."""
    with hub.engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO audit_archived_leaves (seq, leaf_hash) "
                             f"SELECT seq, leaf_hash FROM audit_entries WHERE {where}"))
        conn.execute(sa.text(f"DELETE FROM audit_entries WHERE {where}"))


def test_entries_archived_by_the_database_alone_are_not_signed_over(hub, tmp_path):
    logged_and_signed(hub)
    archived_by_hand(hub, "seq < 8")
    with refused_and_restarted(hub, tmp_path) as fresh:
        assert len(fresh.audit.search(upto=7, limit=100)) == 0


def test_one_leaf_moved_out_of_the_middle_of_the_log_is_not_signed_over(hub, tmp_path):
    logged_and_signed(hub)
    archived_by_hand(hub, "seq = 10")
    with refused_and_restarted(hub, tmp_path):
        pass


def test_a_gap_in_the_seq_numbers_is_not_signed_over(hub, tmp_path):
    logged_and_signed(hub)
    audit.record(hub, [audit.event(hub, "porteur_view", "cci-thiers") for _ in range(3)])
    last = hub.audit.by_seqs([14])[0].with_seq(1014)
    leaf = hashlib.sha256(b"\x00" + last.canonical()).digest()
    with hub.engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_entries SET seq = 1014, leaf_hash = :l "
                             "WHERE seq = 14"), {"l": leaf})
    with refused_and_restarted(hub, tmp_path):
        pass


def test_retention_keeps_its_boundary_beside_the_head_and_a_restart_signs_on(hub, tmp_path):
    clock = Clock(hub.clock())
    aged = dataclasses.replace(hub, clock=clock).with_settings(
        audit_retention_days=30, audit_archive_dir=tmp_path / "arch")
    logged_and_signed(aged)
    clock.advance(days=100)
    moved = audit_retention.archive_expired(aged)
    assert moved is not None
    kept = json.loads((hub.settings.key_folder / FILE_NAME).read_text())
    assert kept["archive"] == {"taille": moved["fin"], "en_cours": None}
    hub.close()
    fresh = Hub.from_settings(aged.settings, publisher=RecordingPublisher())
    try:
        assert fresh.audit.matches_signed_head()
        # the database alone moves the boundary on: refused, though contiguous
        archived_by_hand(fresh, f"seq < {moved['fin'] + 1}")
        fresh.close()
        done = export_command(fresh, tmp_path / "after.jsonl")
        assert done.returncode == 3, done.stderr
        assert "audit_integrity_error" in done.stderr
    finally:
        fresh.close()


def test_a_forged_head_row_is_neither_served_nor_trusted_for_its_time(hub, tmp_path):
    from hub.errors import AuditIntegrityError

    logged_and_signed(hub)
    latest = hub.audit.latest_head()
    with hub.engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO audit_heads (tree_size, root_hash, timestamp_ms, key_id, signature) "
            "VALUES (:n, :r, :t, :k, :s)"), {"n": latest.size, "r": latest.root_hash,
                                             "t": 253402300799000, "k": latest.key_id,
                                             "s": bytes(64)})
    with pytest.raises(AuditIntegrityError):
        audit.latest_head(hub)
    assert not hub.audit.matches_signed_head()
    audit.record(hub, [audit.event(hub, "porteur_view", "cci-thiers")])
    with pytest.raises(AuditIntegrityError):
        audit.publish_head(hub)
    exported = audit.export_whole(hub, tmp_path / "journal.jsonl", "hub")  # up to the last true head
    assert exported.mismatch is not None and exported.lines > 12
    with hub.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_heads WHERE timestamp_ms = 253402300799000"))
    head = audit.publish_head(hub)
    assert head["size"] == 14 and audit.latest_head(hub) == head


def test_a_retention_run_cut_short_after_its_commit_raises_no_alarm(hub, tmp_path):
    """The run's end is kept before its commit: a crash between the commit and the
    boundary's move in the file leaves a store the hub still signs over."""
    logged_and_signed(hub)
    hub.audit.kept_head.archiving(0, 6)  # the run wrote its end, then committed and died
    archived_by_hand(hub, "seq < 6")
    hub.close()
    fresh = Hub.from_settings(hub.settings, publisher=RecordingPublisher())
    try:
        assert fresh.audit.matches_signed_head()
        audit.record(fresh, [audit.event(fresh, "porteur_view", "cci-thiers")])
        assert audit.publish_head(fresh)["size"] == 13
    finally:
        fresh.close()
