"""The JSONL records of an audit export (read back by `hub.audit.verify`).

Pure standard library and audit modules: the hub writes these records, and tests
build exports with them without a database.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, Any

from hub.audit.events import AccessEvent, canonical_json
from hub.audit.heads import SignedTreeHead, head_to_dict
from hub.audit.merkle import leaf_hash

FORMAT = "capactif-audit-export-v2"
# Written before the end line existed (exports and archive segments, still verified):
# such a file cannot show it is whole, and entries after its last head were the norm.
FORMAT_V1 = "capactif-audit-export-v1"
# The release writing v2 shipped on 2026-12-05 (00:00 UTC): a head signed since then was
# exported as v2, so a v1 file holding one was relabelled (head times are signed).
V2_SINCE_MS = 1_796_428_800_000


def meta_record(first_seq: int, size: int, **extra: Any) -> dict[str, Any]:
    """The opening line; `extra` (e.g. an archive's previous_sha256) is informative only."""
    return {"type": "meta", "format": FORMAT, "first_seq": first_seq, "size": size, **extra}


def entry_record(event: AccessEvent) -> dict[str, Any]:
    """An entry line for an event that has its seq."""
    return stored_entry_record(event.seq or 0, leaf_hash(event.canonical()), event.to_dict())


def stored_entry_record(seq: int, stored_leaf: bytes, document: dict[str, Any]) -> dict[str, Any]:
    """An entry line; `stored_leaf` is the leaf hash recorded when the entry was appended."""
    return {"type": "entry", "seq": seq, "leaf_hash": stored_leaf.hex(), "event": document}


def head_record(head: SignedTreeHead) -> dict[str, Any]:
    return {"type": "head", **head_to_dict(head)}


def consistency_record(old_size: int, new_size: int, proof: Sequence[bytes]) -> dict[str, Any]:
    return {
        "type": "consistency",
        "old_size": old_size,
        "new_size": new_size,
        "proof": [node.hex() for node in proof],
    }


def archive_record(size: int, frontier: Sequence[bytes]) -> dict[str, Any]:
    """Entries [0, size) were archived; `frontier` lets later roots be recomputed."""
    return {"type": "archive", "size": size, "frontier": [node.hex() for node in frontier]}


def encode_record(record: dict[str, Any]) -> str:
    """One line of JSON. Entries are laid out as `{"type":"entry","seq":N,"leaf_hash":"…",
    "event":<canonical event>}` so that the verifier can hash the event bytes as they stand."""
    if record.get("type") == "entry" and set(record) == _ENTRY_KEYS:
        event = canonical_json(record["event"]).decode("utf-8")
        seq, leaf = int(record["seq"]), str(record["leaf_hash"])
        return f'{{"type":"entry","seq":{seq},"leaf_hash":"{leaf}","event":{event}}}'
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def end_record(lines: int) -> dict[str, Any]:
    """The last line of every export: how many lines came before it. Without it, or with
    another count, the verifier refuses the export: a cut one (an interrupted download
    still answered 200) is never taken as complete. A count, not a digest of the bytes:
    an export reformatted by another JSON tool still verifies (the signed heads, not
    this line, prove the content)."""
    return {"type": "end", "lines": lines}


def ending_lines(lines: Iterable[str]) -> Iterator[str]:
    """`lines` (each ending with a newline) as they come, then the end line counting them."""
    count = 0
    for line in lines:
        count += 1
        yield line
    yield encode_record(end_record(count)) + "\n"


def write_records(records: Iterable[dict[str, Any]], stream: IO[str]) -> int:
    """Write one record per line, then the end line; returns the number of lines."""
    count = 0
    for line in ending_lines(encode_record(record) + "\n" for record in records):
        stream.write(line)
        count += 1
    return count


_ENTRY_KEYS = frozenset({"type", "seq", "leaf_hash", "event"})
