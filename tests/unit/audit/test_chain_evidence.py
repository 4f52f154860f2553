"""A chain of archive segments keeps its evidence: a witness's countersignature that one
file shows and the next drops, a witness named to the verifier who countersigned nothing,
a segment whose bytes are not the ones the next segment's `previous_sha256` names, and a
chain given without its first segments are all reported."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.audit import export as records
from hub.audit.chain import verify_chain
from hub.audit.events import AccessEvent, pseudonymise
from hub.audit.heads import HeadSigner, countersign
from hub.audit.merkle import MerkleTree, leaf_hash
from hub.audit.verify import verify_lines
from tests.unit.audit.test_export_v1 import FOLDER as V1_FOLDER
from tests.unit.audit.test_export_v1 import KEY as V1_KEY

SIGNER = HeadSigner(Ed25519PrivateKey.generate())
WITNESS = Ed25519PrivateKey.generate()
WITNESSES = {"dpo-pnr": WITNESS.public_key()}
BOUNDS = ((0, 8), (8, 16), (16, 24))
LOG = [AccessEvent(at=datetime(2026, 6, 1, 9, tzinfo=UTC) + timedelta(seconds=seq),
                   actor_member=f"membre-{seq % 3}", action="porteur_view", outcome="allowed",
                   porteur_ref=pseudonymise(f"P-{seq}", b"k" * 32), fields=("projet.intitule",),
                   purpose="orientation", seq=seq) for seq in range(24)]
TREE = MerkleTree.from_leaf_hashes(leaf_hash(event.canonical()) for event in LOG)


def _heads(witnessed: bool) -> dict[int, Any]:
    heads = {size: SIGNER.sign(size, TREE.root(size), 1_780_000_000_000 + size) for size in (8, 16, 24)}
    if witnessed:
        heads = {size: h.with_cosignature(countersign(h, "dpo-pnr", WITNESS)) for size, h in heads.items()}
    return heads


def _segment(first: int, end: int, previous: str | None, heads: dict[int, Any]) -> Iterator[dict]:
    yield records.meta_record(first, end, previous_sha256=previous)
    if first:
        yield records.archive_record(first, TREE.frontier(first))
    yield from (records.entry_record(event) for event in LOG[first:end])
    yield from (records.head_record(heads[size]) for size in (first, end) if size in heads)
    if first:
        yield records.consistency_record(first, end, TREE.consistency_proof(first, end))


def _chain(folder: Path, *, witnessed: bool = True) -> list[Path]:
    """Three segments as retention writes them, each naming the previous file's SHA-256."""
    heads, previous, paths = _heads(witnessed), None, []
    for first, end in BOUNDS:
        stream = io.StringIO()
        records.write_records(list(_segment(first, end, previous, heads)), stream)
        path = folder / f"audit-{first:012d}-{end:012d}.jsonl"
        path.write_text(stream.getvalue(), encoding="utf-8")
        previous = hashlib.sha256(stream.getvalue().encode("utf-8")).hexdigest()
        paths.append(path)
    return paths


def _rewrite(path: Path, change: Any) -> None:
    """Re-serialise a file's records after `change(record)` (another JSON tool's spacing)."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        change(record)
        lines.append(json.dumps(record, ensure_ascii=False))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _codes(problems: list[Any]) -> set[str]:
    return {problem.code for problem in problems}


def test_an_untouched_witnessed_chain_verifies_without_warning(tmp_path: Path) -> None:
    report = verify_chain(_chain(tmp_path), SIGNER.public_key, WITNESSES)
    assert report.ok and not report.warnings, report.render()


def test_a_countersignature_an_earlier_file_shows_and_the_next_drops_is_refused(
        tmp_path: Path) -> None:
    paths = _chain(tmp_path)

    def drop(record: dict) -> None:
        if record["type"] == "head" and record["size"] == 16:
            record["cosignatures"] = []
    _rewrite(paths[2], drop)  # the head at 16 closes segment 8-16 and opens 16-24
    report = verify_chain(paths, SIGNER.public_key, WITNESSES)
    assert not report.ok and "cosignature_dropped" in _codes(report.problems), report.render()
    assert report.first_bad_seq == 16


def test_a_named_witness_who_countersigned_nothing_in_the_files_fails_the_check(
        tmp_path: Path) -> None:
    paths = _chain(tmp_path, witnessed=False)
    assert verify_chain(paths, SIGNER.public_key, {}).ok
    report = verify_chain(paths, SIGNER.public_key, WITNESSES)
    assert not report.ok and "witness_absent" in _codes(report.problems), report.render()
    single = verify_lines(paths[0].read_text("utf-8").splitlines(), SIGNER.public_key, WITNESSES)
    assert not single.ok and "witness_absent" in _codes(single.problems)


def test_a_countersignature_added_after_a_segment_was_archived_is_no_fault(tmp_path: Path) -> None:
    paths = _chain(tmp_path)

    def unwitnessed(record: dict) -> None:  # the witness signed head 16 after 8-16 was archived
        if record["type"] == "head" and record["size"] == 16:
            record["cosignatures"] = []
    _rewrite(paths[1], unwitnessed)
    report = verify_chain(paths, SIGNER.public_key, WITNESSES)
    assert "cosignature_dropped" not in _codes(report.problems), report.render()


def test_a_witness_known_from_one_file_is_enough_for_the_whole_chain(tmp_path: Path) -> None:
    paths = _chain(tmp_path, witnessed=False)
    heads = _heads(True)

    def witnessed(record: dict) -> None:
        if record["type"] == "head" and record["size"] == 24:
            record["cosignatures"] = records.head_record(heads[24])["cosignatures"]
    _rewrite(paths[2], witnessed)  # the last file: no other names its digest
    report = verify_chain(paths, SIGNER.public_key, WITNESSES)
    assert "witness_absent" not in _codes(report.problems), report.render()


def test_a_segment_re_serialised_after_archival_is_named_by_the_next_file_s_digest(
        tmp_path: Path) -> None:
    paths = _chain(tmp_path)
    _rewrite(paths[0], lambda record: None)  # same records, other bytes: not the archived file
    report = verify_chain(paths, SIGNER.public_key, WITNESSES)
    assert "archive_digest_changed" in _codes(report.warnings), report.render()
    assert report.ok  # a v2 file's content is proven by its signed heads and end line


def test_a_previous_release_segment_whose_digest_differs_is_refused(tmp_path: Path) -> None:
    names = ["audit-000000000000-000000000008.jsonl", "audit-000000000008-000000000016.jsonl"]
    for name in names:
        (tmp_path / name).write_bytes((V1_FOLDER / name).read_bytes())
    paths = [tmp_path / name for name in names]
    assert verify_chain(paths, V1_KEY, {}).ok
    _rewrite(paths[0], lambda record: None)  # v1 has no end line: its digest is its only seal
    report = verify_chain(paths, V1_KEY, {})
    assert not report.ok and "archive_digest_mismatch" in _codes(report.problems), report.render()


@pytest.mark.parametrize("dropped", [1, 2])
def test_a_chain_given_without_its_first_segments_says_so(tmp_path: Path, dropped: int) -> None:
    paths = _chain(tmp_path)[dropped:]
    report = verify_chain(paths, SIGNER.public_key, WITNESSES)
    assert "chain_start_missing" in _codes(report.warnings), report.render()


def test_a_live_export_starting_after_archived_entries_says_its_start_is_missing(
        tmp_path: Path) -> None:
    """The live export after retention starts where the archives end and names no
    previous file: given alone, the history before it is not verified either."""
    path = tmp_path / "export.jsonl"
    stream = io.StringIO()
    records.write_records(_segment(8, 24, None, _heads(False)), stream)
    path.write_text(stream.getvalue(), encoding="utf-8")
    report = verify_chain([path], SIGNER.public_key, {})
    assert report.ok and "chain_start_missing" in _codes(report.warnings), report.render()
