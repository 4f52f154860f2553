"""The verifier refuses every change to an export that it used to let through: a key
added to or renamed in a record, a consistency proof moved to sizes no head signs, a
second or misplaced meta line, and entries after the last signed head (whose event and
recorded leaf hash can be rewritten together unnoticed). An honest export, reformatted
by another JSON tool, still verifies."""

from __future__ import annotations

import json

import pytest

from hub.audit.verify import verify_lines
from tests.unit.audit.test_audit_verify import SIGNER, as_lines, export_records


def covered() -> list[dict]:
    return export_records(count=20)


def _ok(lines: list[str]) -> bool:
    return verify_lines(lines, SIGNER.public_key).ok


def _refused(lines: list[str]) -> set[str]:
    """The codes of the problems the verifier finds (empty: the export verifies)."""
    return {p.code for p in verify_lines(lines, SIGNER.public_key).problems}


def _rewrite(lines: list[str], index: int, change) -> list[str]:  # type: ignore[no-untyped-def]
    record = json.loads(lines[index])
    change(record)
    return [*lines[:index], json.dumps(record, ensure_ascii=False), *lines[index + 1:]]


def test_an_honest_export_and_its_reformatting_verify() -> None:
    lines = as_lines(covered())
    assert _ok(lines)
    assert _ok([json.dumps(json.loads(line), separators=(", ", ": ")) for line in lines])


@pytest.mark.parametrize("kind", ["meta", "entry", "head", "consistency", "end"])
def test_a_key_added_to_any_record_is_refused(kind: str) -> None:
    lines = as_lines(covered())
    index = next(i for i, line in enumerate(lines) if json.loads(line)["type"] == kind)
    assert "malformed_line" in _refused(
        _rewrite(lines, index, lambda r: r.update(commentaire="accès autorisé")))



@pytest.mark.parametrize("kind", ["meta", "entry", "head", "consistency", "end"])
def test_a_key_given_twice_in_a_record_is_refused(kind: str) -> None:
    """JSON parsers disagree on a repeated key (the first or the last value wins): a line
    that reads one way to the verifier and another to the DPO's own tools is refused."""
    lines = as_lines(covered())
    index = next(i for i, line in enumerate(lines) if json.loads(line)["type"] == kind)
    first_key = next(key for key in json.loads(lines[index]) if key != "type")
    doubled = f'{{"{first_key}": 1, ' + lines[index].lstrip()[1:]
    assert json.loads(doubled) == json.loads(lines[index])  # the last value is the true one
    assert "malformed_line" in _refused([*lines[:index], doubled, *lines[index + 1:]])

@pytest.mark.parametrize(("kind", "key"), [("entry", "leaf_hash"), ("head", "cosignatures")])
def test_a_key_removed_from_a_record_is_refused(kind: str, key: str) -> None:
    lines = as_lines(covered())
    index = next(i for i, line in enumerate(lines) if json.loads(line)["type"] == kind)
    assert "malformed_line" in _refused(_rewrite(lines, index, lambda r: r.pop(key)))


def test_a_consistency_proof_moved_to_sizes_no_head_signs_is_refused() -> None:
    lines = as_lines(covered())
    index = next(i for i, line in enumerate(lines) if json.loads(line)["type"] == "consistency")
    assert {"proof_without_heads", "proofs_not_as_exported"} <= _refused(
        _rewrite(lines, index, lambda r: r.update(old_size=7)))


def test_a_meta_line_missing_changed_out_of_place_or_twice_is_refused() -> None:
    lines = as_lines(covered())
    assert "malformed_line" in _refused([lines[1], lines[0], *lines[2:]])
    twice = [lines[0], *lines[:-1], json.dumps({"type": "end", "lines": len(lines)})]
    assert "malformed_line" in _refused(twice)
    missing = [*lines[1:-1], json.dumps({"type": "end", "lines": len(lines) - 2})]
    assert "meta_mismatch" in _refused(missing)
    assert "meta_mismatch" in _refused(_rewrite(lines, 0, lambda r: r.update(size=19)))
    assert "meta_mismatch" in _refused(_rewrite(lines, 0, lambda r: r.update(format="autre")))


def test_lines_moved_or_repeated_among_heads_and_proofs_are_refused() -> None:
    lines = as_lines(covered())
    kinds = [json.loads(line)["type"] for line in lines]
    first_head, first_proof = kinds.index("head"), kinds.index("consistency")
    end = json.dumps({"type": "end", "lines": len(lines)})
    swapped = [*lines[:first_head - 1], lines[first_head], lines[first_head - 1],
               *lines[first_head + 1:]]
    assert "malformed_line" in _refused(swapped)  # a head before the last entry
    head_among_proofs = [*lines[:first_proof], lines[first_head], *lines[first_proof:-1], end]
    assert "heads_out_of_order" in _refused(head_among_proofs)
    proof_twice = [*lines[:-1], lines[first_proof], end]
    assert "proofs_not_as_exported" in _refused(proof_twice)
    proofs_swapped = [*lines[:first_proof], lines[first_proof + 1], lines[first_proof],
                      *lines[first_proof + 2:]]
    assert "proofs_not_as_exported" in _refused(proofs_swapped)
    proof_gone = [*lines[:first_proof], *lines[first_proof + 1:-1],
                  json.dumps({"type": "end", "lines": len(lines) - 2})]
    assert "proofs_not_as_exported" in _refused(proof_gone)


def test_entries_after_the_last_signed_head_are_refused() -> None:
    """Past the last head, an event rewritten with its recorded leaf hash verified."""
    lines = as_lines(export_records(count=22))  # heads at 5, 10 and 20
    report = verify_lines(lines, SIGNER.public_key)
    assert not report.ok and any(p.code == "uncovered_entries" for p in report.problems)


def _with_end(lines: list[str]) -> list[str]:
    """`lines` with a fresh end line counting them: what a careful forger would write."""
    body = [line for line in lines if json.loads(line)["type"] != "end"]
    return [*body, json.dumps({"type": "end", "lines": len(body)})]


def test_no_line_can_be_dropped_repeated_swapped_or_given_a_key_even_with_the_end_fixed() -> None:
    lines = as_lines(covered())
    body = len(lines) - 1
    changed = []
    for i in range(body):
        changed.append(_with_end([*lines[:i], *lines[i + 1:]]))
        changed.append(_with_end([*lines[:i + 1], *lines[i:]]))
        changed.append(_rewrite(lines, i, lambda r: r.update(note="x")))
        if i + 1 < body:
            changed.append([*lines[:i], lines[i + 1], lines[i], *lines[i + 2:]])
    assert [k for k, mutated in enumerate(changed) if _ok(mutated)] == []


@pytest.mark.parametrize("kind", [["x"], {"x": 1}, 3, None])
def test_a_record_type_that_is_not_a_name_is_a_malformed_line(kind: object) -> None:
    lines = as_lines(covered())
    report = verify_lines([lines[0], json.dumps({"type": kind}), *lines[1:]], SIGNER.public_key)
    assert "malformed_line" in {p.code for p in report.problems}
    alone = verify_lines([json.dumps({"type": kind})], SIGNER.public_key)
    assert "malformed_line" in {p.code for p in alone.problems}


@pytest.mark.parametrize(("kind", "key"), [
    ("meta", "first_seq"), ("meta", "size"), ("end", "lines"),
    ("consistency", "old_size"), ("consistency", "new_size")])
@pytest.mark.parametrize("retyped", [
    lambda n: float(n),  # 20.0: another number to a JSON tool that keeps it as written
    lambda n: n + 0.5,  # cut back to n by int()
    lambda n: str(n),  # "20"
    lambda n: bool(n),  # false for 0, true for 1
])
def test_a_count_or_size_written_as_another_json_type_is_refused(kind, key, retyped) -> None:
    """Key order, spacing and escapes may change; a number turned into a float, a string or
    a boolean is a change the verifier names (Python's 0 == False and int("20") hid it)."""
    lines = as_lines(covered())
    index = next(i for i, line in enumerate(lines) if json.loads(line)["type"] == kind)
    value = json.loads(lines[index])[key]
    assert _refused(_rewrite(lines, index, lambda r: r.update({key: retyped(value)})))


def _search_export(lines: list[str], seqs: tuple[int, ...]) -> list[str]:
    """What `GET /v1/audit/export?membre=…` (or the console's export of a search) writes:
    the matching entry lines as in the whole export, no meta line, no head, an end line."""
    chosen = [line for line in lines if json.loads(line)["type"] == "entry"
              and json.loads(line)["seq"] in seqs]
    return [*chosen, json.dumps({"type": "end", "lines": len(chosen)})]


def test_a_search_export_is_told_apart_not_reported_as_entries_deleted_or_reordered() -> None:
    """A DPO who gives the verifier the export of a search (a member's accesses) was told
    its entries had been deleted, inserted or reordered, one line each: a genuine file
    reported as tampered with. It is named for what it is, with how to check it."""
    report = verify_lines(_search_export(as_lines(covered()), (2, 5, 7, 11)), SIGNER.public_key)
    assert not report.ok
    assert [p.code for p in report.problems] == ["search_export"]
    assert "inclusion" in report.problems[0].message_fr


def test_an_event_edited_in_a_search_export_is_still_named() -> None:
    lines = _search_export(as_lines(covered()), (2, 5, 7))
    edited = _rewrite(lines, 1, lambda r: r["event"].update(actor_member="autre-membre"))
    assert {"search_export", "entry_modified"} <= _refused(edited)


def test_a_whole_export_without_its_meta_line_still_names_an_entry_deleted() -> None:
    lines = as_lines(covered())
    assert json.loads(lines[0])["type"] == "meta" and json.loads(lines[4])["type"] == "entry"
    refused = _refused([*lines[1:4], *lines[5:]])
    assert {"seq_out_of_place", "meta_mismatch"} <= refused and "search_export" not in refused


def _out_of_place(lines: list[str]) -> list[int | None]:
    report = verify_lines(lines, SIGNER.public_key)
    return [p.seq for p in report.problems if p.code == "seq_out_of_place"]


def test_two_entries_swapped_are_named_once_each_with_or_without_the_meta_line() -> None:
    lines = as_lines(covered())
    kinds = [json.loads(line)["type"] for line in lines]
    at = kinds.index("entry") + 3
    swapped = [*lines[:at], lines[at + 1], lines[at], *lines[at + 2:]]
    assert len(_out_of_place(swapped)) == 2
    assert _out_of_place(swapped[1:]) == _out_of_place(swapped)


_TOO_DEEP = "[" * 100_000 + "]" * 100_000  # past Python's recursion limit in any JSON parser


@pytest.mark.parametrize("place", ["meta", "entry", "head", "end"])
def test_a_line_nested_too_deep_to_parse_is_a_malformed_line_not_a_crash(place: str) -> None:
    """A tampered line of nested arrays made the parser exceed Python's recursion limit:
    the verifier ("never raises on bad content") stopped with a traceback, where the DPO
    expects a report naming the problem."""
    lines = as_lines(covered())
    index = next(i for i, line in enumerate(lines) if json.loads(line)["type"] == place)
    assert "malformed_line" in _refused([*lines[:index], _TOO_DEEP, *lines[index + 1:]])


@pytest.mark.parametrize("recorded", [None, 0, "", ["00"], {"hex": "00"}, "g" * 64,
                                      "0" * 63 + "\n", "A" * 64, " " + "0" * 63])
def test_an_entry_whose_leaf_hash_is_null_or_not_a_hash_is_refused(recorded: object) -> None:
    """The exporter writes every entry's leaf hash as 64 hex digits (from the column the
    log appends, which is never null): a null or another JSON type is a changed record,
    not an entry with nothing to check, even where the event still hashes under a root."""
    lines = as_lines(covered())
    index = next(i for i, line in enumerate(lines) if json.loads(line)["type"] == "entry")
    refused = _refused(_rewrite(lines, index, lambda r: r.update(leaf_hash=recorded)))
    assert "malformed_entry" in refused
