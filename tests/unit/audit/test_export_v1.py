"""Files written by the release before the end line (capactif-audit-export-v1: whole-log
exports and archive segments, which are immutable and chained by their SHA-256) still
verify: a missing end line is a warning that the file cannot show it is whole, and
entries after the last head stay a warning. A v2 file keeps every strict rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hub.audit.events import AccessEvent
from hub.audit.export import FORMAT, V2_SINCE_MS
from hub.audit.heads import load_public_key
from hub.audit.merkle import leaf_hash
from hub.audit.verify import main, verify_lines
from tests.unit.audit.test_audit_verify import SIGNER, as_lines, export_records

FOLDER = Path(__file__).parents[2] / "fixtures" / "audit_v1"
KEY = load_public_key((FOLDER / "hub_key.pem").read_bytes())
FILES = sorted(path.name for path in FOLDER.glob("*.jsonl"))


def _lines(name: str) -> list[str]:
    return (FOLDER / name).read_text(encoding="utf-8").splitlines()


def _codes(problems) -> set[str]:  # type: ignore[no-untyped-def]
    return {problem.code for problem in problems}


@pytest.mark.parametrize("name", FILES)
def test_a_file_of_the_previous_release_still_verifies_with_a_warning(name: str) -> None:
    report = verify_lines(_lines(name), KEY)
    assert report.ok, report.render()
    assert "export_unended" in _codes(report.warnings)


def test_the_previous_release_s_uncovered_tail_stays_a_warning() -> None:
    report = verify_lines(_lines("export.jsonl"), KEY)
    assert "uncovered_entries" in _codes(report.warnings) and report.ok


def test_the_fixture_is_all_there() -> None:
    assert FILES == ["audit-000000000000-000000000008.jsonl",
                     "audit-000000000008-000000000016.jsonl", "export.jsonl"]
    assert json.loads(_lines("export.jsonl")[0])["format"] == "capactif-audit-export-v1"


def test_the_command_verifies_the_archived_files(capsys: pytest.CaptureFixture[str]) -> None:
    paths = [str(FOLDER / name) for name in FILES]
    assert main([*paths, "--public-key", str(FOLDER / "hub_key.pem")]) == 3  # reservations
    assert "export_unended" in capsys.readouterr().out


def test_a_v1_file_altered_still_fails() -> None:
    lines = _lines("audit-000000000000-000000000008.jsonl")
    record = json.loads(lines[3])
    record["event"]["action"] = "search"
    report = verify_lines([*lines[:3], json.dumps(record), *lines[4:]], KEY)
    assert not report.ok and report.first_bad_seq == 2


def test_new_exports_declare_v2_and_keep_the_strict_rules() -> None:
    lines = as_lines(export_records())
    assert FORMAT == json.loads(lines[0])["format"] == "capactif-audit-export-v2"
    cut = verify_lines(lines[:-1], SIGNER.public_key)
    assert "export_incomplete" in _codes(cut.problems)
    uncovered = verify_lines(as_lines(export_records(count=23)), SIGNER.public_key)
    assert "uncovered_entries" in _codes(uncovered.problems)


def test_a_v2_file_relabelled_v1_is_refused_by_its_end_line() -> None:
    """Entries forged after the last head, the meta's format rewritten to v1 to make
    them a warning: the end line, which only v2 writes, gives the relabelling away."""
    lines = as_lines(export_records(count=23))
    meta = json.loads(lines[0]) | {"format": "capactif-audit-export-v1"}
    report = verify_lines([json.dumps(meta), *lines[1:]], SIGNER.public_key)
    assert not report.ok and "format_downgrade" in _codes(report.problems)


def test_a_v1_file_after_a_v2_file_in_a_chain_is_refused(tmp_path: Path) -> None:
    """The end line dropped as well: the chain gives it away, a v1 file never follows a
    v2 one (archives of the previous release come first)."""
    from hub.audit.chain import verify_chain

    archived = [str(FOLDER / name) for name in FILES if name.startswith("audit-")]
    last = archived[-1]
    v2 = tmp_path / "v2.jsonl"
    v1_lines = (FOLDER / Path(last).name).read_text(encoding="utf-8").splitlines()
    v2.write_text("\n".join([json.dumps(json.loads(v1_lines[0]) | {"format": FORMAT}),
                              *v1_lines[1:]]) + "\n", encoding="utf-8")
    honest = verify_chain(archived, KEY, {})
    assert "format_downgrade" not in _codes(honest.problems)
    downgraded = verify_chain([archived[0], str(v2), last], KEY, {})
    assert "format_downgrade" in _codes(downgraded.problems)


def _relabelled_with_forged_tail(signed_at_ms: int) -> list[str]:
    """A v2 export made to pass as v1: its last head, that head's consistency proof and
    the end line dropped, the meta relabelled, and an entry after the new last head (10)
    rewritten together with its recorded leaf hash."""
    records = [r for r in export_records(signed_at_ms=signed_at_ms)
               if not (r["type"] == "head" and r["size"] == 20)
               and not (r["type"] == "consistency" and r["new_size"] == 20)]
    lines = as_lines(records)[:-1]
    meta = json.loads(lines[0]) | {"format": "capactif-audit-export-v1"}
    forged = next(json.loads(line) for line in lines if '"seq":11,' in line)
    forged["event"]["actor_member"] = "membre-forge"
    forged["leaf_hash"] = leaf_hash(AccessEvent.from_dict(forged["event"]).canonical()).hex()
    return [json.dumps(meta), *(json.dumps(forged) if '"seq":11,' in line else line
                                for line in lines[1:])]


def test_a_v2_export_relabelled_v1_without_its_end_line_is_refused_by_its_heads_times() -> None:
    report = verify_lines(_relabelled_with_forged_tail(V2_SINCE_MS + 60_000),
                          SIGNER.public_key)
    assert not report.ok and "format_downgrade" in _codes(report.problems)


def test_a_v1_file_with_an_uncovered_tail_is_no_clean_pass() -> None:
    """Signed before v2 shipped, the same file passes, but as verified with reservations:
    its uncovered entries are named, never called a sound log."""
    lines = _relabelled_with_forged_tail(1_000)
    report = verify_lines(lines, SIGNER.public_key)
    assert report.ok and "uncovered_entries" in _codes(report.warnings)
    assert "journal intègre" not in report.render()
    assert "OK SOUS RÉSERVE" in report.render()
