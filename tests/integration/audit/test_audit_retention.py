"""Retention on both databases: old entries move to signed, chained archive files; the
tree goes on, archived entries stay provable, and the offline verifier checks each
segment, the live export and the chain across every archive boundary."""

from __future__ import annotations

import dataclasses
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub import cli
from hub.audit.chain import verify_chain
from hub.audit.events import AccessEvent, pseudonymise
from hub.audit.heads import HeadSigner
from hub.audit.log import AuditLog
from hub.audit.merkle import leaf_hash, verify_inclusion
from hub.audit.retention import archive_before, segments
from hub.audit.verify import verify_file, verify_lines

pytestmark = pytest.mark.integration

KEY = b"r" * 32
START = datetime(2025, 1, 1, 9, 0, tzinfo=UTC)
SIGNER = HeadSigner(Ed25519PrivateKey.generate())


def an_event(day: int) -> AccessEvent:
    return AccessEvent(
        at=START + timedelta(days=day), actor_member=f"membre-{day % 3}", action="feed_pull",
        outcome="allowed", porteur_ref=pseudonymise(f"P-{day % 4}", KEY),
        fiche_refs=(pseudonymise(f"cci/F-{day}", KEY),), fields=("projet.intitule",),
        purpose="accompagnement", policy_version="v1",
    )


def daily_log(engine: sa.Engine, days: int = 30) -> AuditLog:
    """One entry a day from START, a head every 5 entries."""
    log = AuditLog(engine)
    for day in range(days):
        log.append_many([an_event(day)])
        if (day + 1) % 5 == 0:
            log.publish_head(SIGNER)
    return log


def live_export(log: AuditLog, folder: Path) -> Path:
    path = folder / "live.jsonl"
    log.export(path)
    return path


def count(engine: sa.Engine, table: str) -> int:
    with engine.connect() as conn:
        return conn.scalar(sa.text(f"SELECT count(*) FROM {table}"))


def test_entries_older_than_the_cutoff_move_to_a_segment_ending_at_a_signed_head(
    db_engine: sa.Engine, tmp_path: Path
) -> None:
    log = daily_log(db_engine)
    segment = archive_before(log, START + timedelta(days=12), tmp_path, START + timedelta(days=400))
    assert segment is not None and (segment.first_seq, segment.end_seq) == (0, 10)
    assert count(db_engine, "audit_entries") == 20
    assert count(db_engine, "audit_archived_leaves") == 10
    assert [e.seq for e in log.search()][:1] == [10]
    report = verify_file(segment.path, SIGNER.public_key)
    assert report.ok and report.entries == 10, report.render()


def test_nothing_is_archived_before_a_head_covers_only_old_entries(
    db_engine: sa.Engine, tmp_path: Path
) -> None:
    log = daily_log(db_engine, days=4)  # no head yet
    assert archive_before(log, START + timedelta(days=100), tmp_path, START) is None
    assert count(db_engine, "audit_entries") == 4


def test_archived_entries_stay_provable_and_the_tree_goes_on_after_a_restart(
    db_engine: sa.Engine, tmp_path: Path
) -> None:
    log = daily_log(db_engine)
    archived = log.search()[:3]
    archive_before(log, START + timedelta(days=12), tmp_path, START)
    restarted = AuditLog(db_engine)
    restarted.refresh()  # the tree is read at first use, archived leaves included
    assert restarted.size == 30
    appended = restarted.append_many([an_event(40)])
    assert appended[0].seq == 30
    head = restarted.publish_head(SIGNER)
    proof = restarted.inclusion_proof(2, head.size)
    assert verify_inclusion(2, head.size, leaf_hash(archived[2].canonical()), proof, head.root_hash)


def test_seqs_continue_when_every_entry_was_archived(db_engine: sa.Engine, tmp_path: Path) -> None:
    log = daily_log(db_engine, days=10)
    archive_before(log, START + timedelta(days=100), tmp_path, START)
    assert count(db_engine, "audit_entries") == 0
    assert AuditLog(db_engine).append_many([an_event(50)])[0].seq == 10


def test_segments_and_the_live_export_verify_as_a_chain(db_engine: sa.Engine, tmp_path: Path) -> None:
    log = daily_log(db_engine)
    first = archive_before(log, START + timedelta(days=12), tmp_path, START)
    second = archive_before(log, START + timedelta(days=22), tmp_path, START)
    assert first and second and (second.first_seq, second.end_seq) == (10, 20)
    assert second.previous_sha256 == first.sha256
    assert [s.sha256 for s in segments(log)] == [first.sha256, second.sha256]
    live = live_export(log, tmp_path)
    assert verify_file(live, SIGNER.public_key).ok
    report = verify_chain([first.path, second.path, live], SIGNER.public_key, {})
    assert report.ok and report.entries == 30, report.render()
    assert not report.warnings, report.render()


def test_a_modified_archived_entry_is_named(db_engine: sa.Engine, tmp_path: Path) -> None:
    log = daily_log(db_engine)
    archive_before(log, START + timedelta(days=12), tmp_path, START)
    second = archive_before(log, START + timedelta(days=22), tmp_path, START)
    assert second is not None
    lines = second.path.read_text().splitlines()
    assert '"seq":13,' in lines[5]  # meta, archive, entries 10, 11, 12, 13
    lines[5] = lines[5].replace("feed_pull", "porteur_view")
    report = verify_lines(lines, SIGNER.public_key)
    assert not report.ok and report.first_bad_seq == 13


def test_a_dropped_segment_breaks_the_chain(db_engine: sa.Engine, tmp_path: Path) -> None:
    log = daily_log(db_engine)
    first = archive_before(log, START + timedelta(days=12), tmp_path, START)
    archive_before(log, START + timedelta(days=22), tmp_path, START)
    assert first is not None
    report = verify_chain([first.path, live_export(log, tmp_path)], SIGNER.public_key, {})
    assert not report.ok and report.first_bad_seq == 10
    assert "archive_gap" in report.render()


def test_a_live_export_after_archival_verifies_with_every_head_linked(
    db_engine: sa.Engine, tmp_path: Path
) -> None:
    log = daily_log(db_engine)
    archive_before(log, START + timedelta(days=22), tmp_path, START)
    stream = io.StringIO()
    log.export(stream)
    report = verify_lines(stream.getvalue().splitlines(), SIGNER.public_key)
    assert report.ok and report.entries == 10 and report.verified_size == 30, report.render()
    assert not report.warnings


def test_the_retention_task_archives_past_the_configured_period_and_logs_it(hub, tmp_path) -> None:
    from hub.bootstrap import create_celery
    from hub.services.audit import retention as audit_retention
    from tests.factories import Clock

    clock = Clock(START)
    aged = dataclasses.replace(hub, clock=clock).with_settings(audit_retention_days=30,
                                                                audit_archive_dir=tmp_path / "arch")
    log = aged.audit
    log.append_many([an_event(day) for day in range(5)])
    clock.advance(days=100)
    segment = audit_retention.archive_expired(aged)
    assert segment is not None and (segment["debut"], segment["fin"]) == (0, 5)
    assert [(tmp_path / "arch" / name).exists() for name in segment["fichiers"]] == [True]
    assert [s["sha256"] for s in audit_retention.archives(aged)] == [segment["sha256"]]
    assert [e.action for e in log.search()] == ["audit_archive"]
    assert audit_retention.archive_expired(aged) is None  # nothing old left
    schedule = create_celery(aged.settings).conf.beat_schedule
    assert schedule["archive-audit-log"]["task"] == "hub.archive_audit_log"


def test_a_large_backlog_is_cut_into_segments_at_signed_heads(
    db_engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hub.audit import retention

    monkeypatch.setattr(retention, "MAX_SEGMENT", 12)
    log = daily_log(db_engine)
    cut = [archive_before(log, START + timedelta(days=100), tmp_path, START) for _ in range(4)]
    assert [(s.first_seq, s.end_seq) for s in cut if s] == [(0, 10), (10, 20), (20, 30)]
    paths = [s.path for s in cut if s] + [live_export(log, tmp_path)]
    assert verify_chain(paths, SIGNER.public_key, {}).ok


def test_archiving_with_nothing_old_enough_says_so_rather_than_null(hub, monkeypatch, capsys):
    monkeypatch.setenv("HUB_DATA_DIR", str(hub.settings.data_dir))
    monkeypatch.setenv("HUB_DATABASE_URL", hub.settings.database_url.reveal())
    assert cli.main(["audit", "archive"]) == 0
    out = capsys.readouterr().out
    assert "null" not in out and "nothing to archive" in out and "HUB_AUDIT_RETENTION_DAYS" in out
