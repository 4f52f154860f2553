"""A head kept from earlier (`GET /v1/audit/tree-head` saved by a member, or the head a
witness countersigned) is evidence the export must agree with: a history rewritten and
re-signed by whoever holds the hub's key, a countersignature removed from a head, or a
hub key replaced are shown by `capactif audit verify --seen-head FILE`."""

from __future__ import annotations

import dataclasses
import io
import itertools
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.audit import export as records
from hub.audit.chain import verify_chain
from hub.audit.heads import HeadSigner, SignedTreeHead, countersign, head_to_dict, public_key_pem
from hub.audit.merkle import MerkleTree, leaf_hash
from hub.audit.verify import main
from tests.unit.audit.test_audit_verify import SIGNER, events

WITNESS = Ed25519PrivateKey.generate()
SIZES = (5, 10, 20)


def _export(path: Path, log, signer: HeadSigner = SIGNER,  # type: ignore[no-untyped-def]
            witnessed: frozenset[int] = frozenset()) -> dict[int, SignedTreeHead]:
    """A whole-log export of `log` as the hub writes it; returns its heads by size."""
    tree = MerkleTree.from_leaf_hashes(leaf_hash(event.canonical()) for event in log)
    heads = {n: signer.sign(n, tree.root(n), 1_780_000_000_000 + n) for n in SIZES}
    heads = {n: h.with_cosignature(countersign(h, "dpo-pnr", WITNESS)) if n in witnessed else h
             for n, h in heads.items()}
    stream = io.StringIO()
    records.write_records([
        records.meta_record(0, len(log)), *(records.entry_record(e) for e in log),
        *(records.head_record(heads[n]) for n in SIZES),
        *(records.consistency_record(a, b, tree.consistency_proof(a, b))
          for a, b in itertools.pairwise(SIZES))], stream)
    path.write_text(stream.getvalue(), encoding="utf-8")
    return heads


def _codes(problems) -> set[str]:  # type: ignore[no-untyped-def]
    return {problem.code for problem in problems}


def _verify(path: Path, seen: list[SignedTreeHead], key=SIGNER.public_key):  # type: ignore[no-untyped-def]
    return verify_chain([path], key, {"dpo-pnr": WITNESS.public_key()}, seen_heads=seen)


def test_a_head_seen_earlier_agrees_with_the_untouched_export(tmp_path: Path) -> None:
    heads = _export(tmp_path / "e.jsonl", events(20), witnessed=frozenset({10}))
    report = _verify(tmp_path / "e.jsonl", [heads[10]])
    assert report.ok and not report.warnings, report.render()


def test_a_history_rewritten_and_re_signed_with_the_hub_s_key_is_shown_by_a_head_seen_before(
        tmp_path: Path) -> None:
    honest = _export(tmp_path / "honest.jsonl", events(20), witnessed=frozenset({10}))
    rewritten = events(20)
    rewritten[3] = dataclasses.replace(rewritten[3], actor_member="membre-efface")
    _export(tmp_path / "e.jsonl", rewritten, witnessed=frozenset())
    alone = verify_chain([tmp_path / "e.jsonl"], SIGNER.public_key, {})
    assert alone.ok  # consistent with itself: the operator holds the key
    report = _verify(tmp_path / "e.jsonl", [honest[10]])
    assert not report.ok and "seen_head_forked" in _codes(report.problems), report.render()


def test_a_countersignature_removed_from_the_export_s_head_is_shown_by_the_witness_s_copy(
        tmp_path: Path) -> None:
    witnessed = _export(tmp_path / "w.jsonl", events(20), witnessed=frozenset({10}))
    _export(tmp_path / "e.jsonl", events(20))  # the same log, its countersignature dropped
    report = _verify(tmp_path / "e.jsonl", [witnessed[10]])
    assert not report.ok and "cosignature_dropped" in _codes(report.problems), report.render()


def test_a_replaced_hub_key_is_shown_by_a_head_signed_with_the_former_one(tmp_path: Path) -> None:
    seen = _export(tmp_path / "before.jsonl", events(20))[10]
    other = HeadSigner(Ed25519PrivateKey.generate())
    _export(tmp_path / "e.jsonl", events(20), signer=other)  # everything re-signed
    report = _verify(tmp_path / "e.jsonl", [seen], key=other.public_key)
    assert not report.ok and "seen_head_unsigned" in _codes(report.problems), report.render()


def test_a_head_beyond_the_files_is_said_unchecked(tmp_path: Path) -> None:
    heads = _export(tmp_path / "e.jsonl", events(20), witnessed=frozenset({20}))
    later = SIGNER.sign(30, heads[20].root_hash, 1_780_000_000_100)
    report = _verify(tmp_path / "e.jsonl", [later])
    assert report.ok and "seen_head_not_covered" in _codes(report.warnings), report.render()


def test_a_log_rolled_back_below_a_seen_head_then_signed_again_fails(tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The last head and the entries after the one before it deleted, then the export's own
    head signed: a head signed after the kept one is smaller (sizes never shrink)."""
    grown = MerkleTree.from_leaf_hashes(leaf_hash(event.canonical()) for event in events(25))
    kept = SIGNER.sign(25, grown.root(25), 1_780_000_000_015)  # before the export's head of 20
    _export(tmp_path / "e.jsonl", events(20))
    report = verify_chain([tmp_path / "e.jsonl"], SIGNER.public_key, {}, seen_heads=[kept])
    assert not report.ok and "seen_head_rolled_back" in _codes(report.problems), report.render()
    (tmp_path / "hub.pub").write_bytes(public_key_pem(SIGNER.public_key))
    (tmp_path / "seen.json").write_text(json.dumps({"tete": head_to_dict(kept)}))
    assert main([str(tmp_path / "e.jsonl"), "--public-key", str(tmp_path / "hub.pub"),
                 "--seen-head", str(tmp_path / "seen.json")]) == 1
    assert "seen_head_rolled_back" in capsys.readouterr().out


def test_verified_with_reservations_has_its_own_exit_code(tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    heads = _export(tmp_path / "e.jsonl", events(20))
    later = SIGNER.sign(30, heads[20].root_hash, 1_780_000_000_100)
    (tmp_path / "hub.pub").write_bytes(public_key_pem(SIGNER.public_key))
    (tmp_path / "seen.json").write_text(json.dumps({"tete": head_to_dict(later)}))
    args = [str(tmp_path / "e.jsonl"), "--public-key", str(tmp_path / "hub.pub")]
    assert main(args) == 0
    assert main([*args, "--seen-head", str(tmp_path / "seen.json")]) == 3
    assert "OK SOUS RÉSERVE" in capsys.readouterr().out


@pytest.mark.parametrize("wrapped", [True, False])
def test_the_command_reads_a_saved_tree_head_answer(tmp_path: Path, wrapped: bool,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    honest = _export(tmp_path / "honest.jsonl", events(20))
    rewritten = events(20)
    rewritten[7] = dataclasses.replace(rewritten[7], purpose="financement")
    _export(tmp_path / "e.jsonl", rewritten)
    (tmp_path / "hub.pub").write_bytes(public_key_pem(SIGNER.public_key))
    head = head_to_dict(honest[10])
    (tmp_path / "seen.json").write_text(json.dumps({"tete": head} if wrapped else head))
    args = [str(tmp_path / "e.jsonl"), "--public-key", str(tmp_path / "hub.pub")]
    assert main(args) == 0
    assert main([*args, "--seen-head", str(tmp_path / "seen.json")]) == 1
    assert "seen_head_forked" in capsys.readouterr().out
    (tmp_path / "bad.json").write_text("{}")
    assert main([*args, "--seen-head", str(tmp_path / "bad.json")]) == 2


@pytest.mark.parametrize("option", ["--seen-head", "--public-key"])
def test_a_head_or_key_file_nested_too_deep_to_parse_is_refused_as_unreadable(
        tmp_path: Path, option: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Exit 2 with the message saying which file is not what it should be, not a
    traceback of the JSON parser's recursion."""
    _export(tmp_path / "e.jsonl", events(20))
    (tmp_path / "hub.pub").write_bytes(public_key_pem(SIGNER.public_key))
    (tmp_path / "deep.json").write_text('{"tete": ' + "[" * 100_000 + "]" * 100_000 + "}")
    keys = str(tmp_path / ("deep.json" if option == "--public-key" else "hub.pub"))
    args = [str(tmp_path / "e.jsonl"), "--public-key", keys]
    if option == "--seen-head":
        args += ["--seen-head", str(tmp_path / "deep.json")]
    assert main(args) == 2
    assert "Error" in capsys.readouterr().err
