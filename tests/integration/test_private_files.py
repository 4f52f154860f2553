"""Files the CLI writes for one person to read hold personal data or pseudonymous ids
(an audit export, the audit archive's segments, the clusters, review pairs and rejected
rows of `capactif dedup`): 0600 whatever the operator's umask (docs/privacy.md), even
where a file open to others was there before."""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from hub.audit.retention import archive_before
from hub.services.audit import trail as audit
from hub.services.matching.dedup_batch import run_batch
from tests.integration.audit.test_audit_retention import START, daily_log
from tests.unit.matching.test_matching_batch import _people

pytestmark = pytest.mark.integration


@contextlib.contextmanager
def _umask(mask: int) -> Iterator[None]:
    """An operator's shell (022): files made by `open()` are readable by every account."""
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


def _mode(path: Path) -> str:
    return oct(stat.S_IMODE(path.stat().st_mode))


@pytest.mark.parametrize("kind", ["jsonl", "csv"])
def test_the_audit_export_command_writes_a_file_only_its_operator_reads(
        hub, monkeypatch, tmp_path, kind):
    from hub import cli

    monkeypatch.setenv("HUB_DATA_DIR", str(hub.settings.data_dir))
    monkeypatch.setenv("HUB_DATABASE_URL", hub.settings.database_url.reveal())
    audit.record(hub, [audit.event(hub, "porteur_view", "cci-puy-de-dome")])
    new, there = tmp_path / f"new.{kind}", tmp_path / f"there.{kind}"
    there.write_text("an earlier export")
    there.chmod(0o644)
    with _umask(0o022):
        for output in (new, there):
            assert cli.main(["audit", "export", "--format", kind, "--output", str(output)]) == 0
    assert [_mode(new), _mode(there)] == ["0o600", "0o600"]
    assert "porteur_view" in there.read_text(encoding="utf-8")


def test_an_archive_segment_and_a_log_export_are_closed_to_others(
        db_engine: sa.Engine, tmp_path: Path) -> None:
    log = daily_log(db_engine)
    with _umask(0o022):
        segment = archive_before(log, START + timedelta(days=12), tmp_path / "archive",
                                 START + timedelta(days=400))
        log.export(tmp_path / "live.jsonl")
    assert segment is not None
    assert [_mode(segment.path), _mode(tmp_path / "live.jsonl")] == ["0o600", "0o600"]


def test_the_files_of_dedup_are_closed_to_others(tmp_path: Path) -> None:
    """Pinned: write_rows makes them with mkstemp (0600) and renames them into place."""
    source = tmp_path / "people.csv"
    source.write_text(_people(30) + "X1,,,,,,,,,\n", encoding="utf-8")
    with _umask(0o022):
        run_batch(source, tmp_path / "clusters.csv", review_out=tmp_path / "review.csv")
    written = [tmp_path / n for n in ("clusters.csv", "clusters.rejects.csv", "review.csv")]
    assert [_mode(path) for path in written] == ["0o600"] * 3
