"""The offline verifier: a clean export verifies; every kind of tampering is caught and the
first bad sequence number is named."""

from __future__ import annotations

import io
import itertools
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.audit.csv_export import CsvLabels, csv_chunks
from hub.audit.events import AccessEvent, canonical_json, pseudonymise
from hub.audit.export import (
    archive_record,
    consistency_record,
    entry_record,
    head_record,
    meta_record,
    write_records,
)
from hub.audit.heads import HeadSigner, countersign, head_from_dict, public_key_pem
from hub.audit.merkle import CompactRange, MerkleTree, leaf_hash
from hub.audit.verify import main, verify_lines

KEY = b"p" * 32
START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
SIGNER = HeadSigner(Ed25519PrivateKey.generate())
HEAD_SIZES = (5, 10, 20)


def events(count: int) -> list[AccessEvent]:
    return [
        AccessEvent(
            at=START + timedelta(seconds=seq), actor_member=f"membre-{seq % 3}",
            action="porteur_view", outcome="allowed", porteur_ref=pseudonymise(f"P-{seq}", KEY),
            fields=("projet.intitule", "besoins"), purpose="orientation", seq=seq,
        )
        for seq in range(count)
    ]


def export_records(count: int = 20, head_sizes: tuple[int, ...] = HEAD_SIZES,
                   signed_at_ms: int = 1_000, salted_from: int | None = None) -> list[dict]:
    """An export of `count` events; those from `salted_from` on carry a salt, as every
    entry appended since the salt exists does (the older ones none)."""
    log = [e.salted() if salted_from is not None and seq >= salted_from else e
           for seq, e in enumerate(events(count))]
    tree = MerkleTree.from_leaf_hashes(leaf_hash(event.canonical()) for event in log)
    heads = [SIGNER.sign(size, tree.root(size), signed_at_ms + size) for size in head_sizes]
    records = [entry_record(event) for event in log]
    records += [head_record(head) for head in heads]
    records += [
        consistency_record(old, new, tree.consistency_proof(old, new))
        for old, new in itertools.pairwise(head_sizes)
    ]
    return records


def as_lines(records: list[dict]) -> list[str]:
    """The export's lines as the hub writes them: the opening meta line first (made from
    the records when they have none), the end line last."""
    if not any(r["type"] == "meta" for r in records):
        start = next((r["size"] for r in records if r["type"] == "archive"), 0)
        records = [meta_record(start, start + sum(r["type"] == "entry" for r in records)),
                   *records]
    stream = io.StringIO()
    write_records(records, stream)
    return stream.getvalue().splitlines()


def verify(records: list[dict]):  # type: ignore[no-untyped-def]
    return verify_lines(as_lines(records), SIGNER.public_key)


def test_an_untouched_export_verifies() -> None:
    report = verify(export_records())
    assert report.ok, report.render()
    assert report.verified_size == 20 and report.entries == 20 and report.heads == 3
    assert not report.warnings


def test_an_export_of_unsalted_then_salted_entries_verifies() -> None:
    records = export_records(salted_from=8)
    assert [("salt" in r["event"]) for r in records[:20]] == [False] * 8 + [True] * 12
    report = verify(records)
    assert report.ok, report.render()
    assert report.verified_size == 20 and report.entries == 20


def test_an_entry_whose_salt_is_changed_or_removed_is_named() -> None:
    for change in ({"salt": "0" * 32}, {}):
        records = export_records(salted_from=0)
        del records[7]["event"]["salt"]
        records[7]["event"].update(change)
        report = verify(records)
        assert not report.ok and report.first_bad_seq == 7


def test_a_modified_entry_is_named() -> None:
    records = export_records()
    records[7]["event"]["action"] = "search"
    report = verify(records)
    assert not report.ok and report.first_bad_seq == 7


def test_a_modified_entry_with_a_recomputed_leaf_hash_is_still_caught() -> None:
    records = export_records()
    records[7]["event"]["action"] = "search"
    records[7]["leaf_hash"] = leaf_hash(canonical_json(records[7]["event"])).hex()
    report = verify(records)
    assert not report.ok and report.first_bad_seq == 5
    assert any(p.code == "root_mismatch" for p in report.problems)


def test_a_deleted_entry_is_named() -> None:
    records = export_records()
    del records[12]
    assert verify(records).first_bad_seq == 12


def test_two_swapped_entries_are_named() -> None:
    records = export_records()
    records[3], records[4] = records[4], records[3]
    report = verify(records)
    assert not report.ok and report.first_bad_seq == 3


def test_an_inserted_entry_is_named() -> None:
    records = export_records()
    forged = json.loads(json.dumps(records[8]))
    forged["event"]["actor_member"] = "intrus"
    forged.pop("leaf_hash")
    records.insert(8, forged)
    report = verify(records)
    assert not report.ok and report.first_bad_seq == 8


def test_truncated_entries_under_a_head_are_named() -> None:
    records = [r for r in export_records() if r.get("seq", 0) < 17]
    report = verify(records)
    assert not report.ok and report.first_bad_seq == 17


def test_a_forged_head_signature_fails() -> None:
    records = export_records()
    forger = HeadSigner(Ed25519PrivateKey.generate())
    records.append(head_record(forger.sign(22, bytes(32), 9_999)))
    report = verify(records)
    assert not report.ok and any(p.code == "bad_head_signature" for p in report.problems)


def test_an_altered_consistency_proof_fails() -> None:
    records = export_records()
    proof = next(r for r in records if r["type"] == "consistency")
    proof["proof"][0] = "00" * 32
    assert not verify(records).ok


def test_an_export_without_heads_verifies_nothing() -> None:
    records = [r for r in export_records() if r["type"] == "entry"]
    assert not verify(records).ok


def test_witness_countersignatures_are_checked_when_their_key_is_given() -> None:
    witness = Ed25519PrivateKey.generate()
    records = export_records()
    head = next(r for r in records if r["type"] == "head")
    signed = head_from_dict(head)
    cosigned = signed.with_cosignature(countersign(signed, "dpo-pnr", witness))
    records[records.index(head)] = head_record(cosigned)
    lines = as_lines(records)
    assert verify_lines(lines, SIGNER.public_key, {"dpo-pnr": witness.public_key()}).ok
    other = Ed25519PrivateKey.generate().public_key()
    assert not verify_lines(lines, SIGNER.public_key, {"dpo-pnr": other}).ok


def test_an_archived_prefix_still_lets_later_heads_verify() -> None:
    records = export_records()
    log_leaves = [leaf_hash(event.canonical()) for event in events(22)]
    compact = CompactRange()
    for leaf in log_leaves[:8]:
        compact.append(leaf)
    kept = [r for r in records if r["type"] != "entry" or r["seq"] >= 8]
    report = verify([archive_record(8, compact.frontier()), *kept])
    assert report.ok, report.render()
    assert report.verified_size == 20


def test_the_command_prints_the_result_and_returns_its_status(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    key_file = tmp_path / "hub.pub"
    key_file.write_bytes(public_key_pem(SIGNER.public_key))
    good, bad = tmp_path / "good.jsonl", tmp_path / "bad.jsonl"
    good.write_text("\n".join(as_lines(export_records())) + "\n", encoding="utf-8")
    tampered = export_records()
    tampered[2]["event"]["purpose"] = "financement"
    bad.write_text("\n".join(as_lines(tampered)) + "\n", encoding="utf-8")
    assert main([str(good), "--public-key", str(key_file)]) == 0
    assert "OK" in capsys.readouterr().out
    assert main([str(bad), "--public-key", str(key_file)]) == 1
    assert "seq 2" in capsys.readouterr().out
    assert main([str(tmp_path / "missing.jsonl"), "--public-key", str(key_file)]) == 2


def test_the_verifier_imports_neither_the_store_nor_the_config() -> None:
    code = (
        "import sys, hub.audit.verify\n"
        "bad = [m for m in sys.modules if m.split('.')[0] == 'sqlalchemy'\n"
        "       or m.startswith(('hub.store', 'hub.config', 'hub.services'))]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_an_export_reformatted_by_another_json_tool_still_verifies() -> None:
    lines = [json.dumps(json.loads(line), indent=None, sort_keys=False, separators=(", ", ": "))
             for line in as_lines(export_records())]
    report = verify_lines(lines, SIGNER.public_key)
    assert report.ok, report.render()


def test_a_reformatted_export_with_a_modified_entry_names_it() -> None:
    records = export_records()
    records[9]["event"]["fields"] = ["porteur.courriel"]
    lines = [json.dumps(json.loads(line), separators=(", ", ": ")) for line in as_lines(records)]
    assert verify_lines(lines, SIGNER.public_key).first_bad_seq == 9


def test_a_head_signed_by_a_key_not_given_hints_at_the_key_history() -> None:
    """After a rotation the heads signed with the former key fail with the current
    .pub.pem alone: the message says to give the key history."""
    records = export_records()
    report = verify_lines(as_lines(records), HeadSigner(Ed25519PrivateKey.generate()).public_key)
    failed = [p for p in report.problems if p.code == "bad_head_signature"]
    assert failed and all("hub-keys" in p.message_fr and "hub-keys" in p.message_en
                          for p in failed), report.render()


def test_a_csv_export_given_to_the_verifier_is_named_once(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """Not a `malformed_line` per line, exit 1: the DPO took the wrong file (exit 2)."""
    key_file = tmp_path / "hub.pub.pem"
    key_file.write_bytes(public_key_pem(SIGNER.public_key))
    for labels in (None, CsvLabels(UTC)):
        export = tmp_path / "export0.csv"
        export.write_text("".join(csv_chunks(events(20), labels)), encoding="utf-8")
        capsys.readouterr()
        assert main([str(export), "--public-key", str(key_file)]) == 2
        said = capsys.readouterr()
        assert said.out == "" and said.err.count("\n") == 1
        assert "this is the CSV export; verify the JSONL export (capactif audit export" in said.err
        assert "malformed_line" not in said.err
