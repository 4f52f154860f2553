"""One pass over an export's lines, then the checks that need every head (see verify.py).

Only the leaf hashes are kept (32 bytes per entry), so an export of 10^6 entries is
verified in about 32 MB. Pure: standard library, `cryptography`, audit modules.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hub.audit.events import canonical_json
from hub.audit.heads import (
    HubPublicKeys,
    SignedTreeHead,
    head_from_dict,
    key_history,
    verify_cosignature,
    verify_head,
)
from hub.audit.merkle import HASH_SIZE, CompactRange
from hub.audit.report import Problem, VerificationReport

_sha256 = hashlib.sha256
_NO_LEAF = bytes(HASH_SIZE)
_LEAF_HEX = re.compile(f"[0-9a-f]{{{2 * HASH_SIZE}}}")  # as the exporter writes it


def is_count(value: Any) -> bool:
    """A size, seq or count as the exporter writes it: a JSON integer, never a float, a
    string or a boolean (which Python would take for the same number)."""
    return type(value) is int and value >= 0


def count(value: Any) -> int:
    if not is_count(value):
        raise ValueError("not a count")
    return int(value)


def scan_lines(
    lines: Iterable[str | bytes],
    public_key: HubPublicKeys,
    witness_keys: Mapping[str, Ed25519PublicKey],
) -> ExportScan:
    scan = ExportScan(public_key, witness_keys)
    for line in lines:
        scan.feed(line)
    return scan


class ExportScan:
    """Reads records one by one; `hub.audit.checks.finish_scan` then checks roots and proofs."""

    def __init__(
        self, public_key: HubPublicKeys, witness_keys: Mapping[str, Ed25519PublicKey]
    ) -> None:
        self.report = VerificationReport()
        self._hub_keys = key_history(public_key)
        self._witness_keys = witness_keys
        self.start = 0
        self.frontier: list[bytes] = []
        self.leaves = bytearray()
        self.count = 0
        self.heads: list[SignedTreeHead] = []
        self.proofs: list[tuple[int, int, list[bytes]]] = []
        self.first_anomaly: int | None = None
        self.ended = False
        self.meta: dict[str, Any] | None = None
        # A file opening on an entry may be the export of a search (its entries only, no
        # meta line nor head): entries out of place are held until the file shows which
        self.searched = False
        self._held: list[tuple[int, int]] = []
        self._last_seq = -1
        self.witnessed: set[str] = set()  # witnesses with a countersignature that verifies
        self._rank = -1
        self._line_number = 0
        self._lines = 0

    def feed(self, line: str | bytes) -> None:
        self._line_number += 1
        data = line.encode("utf-8") if isinstance(line, str) else line
        if not data.strip():
            return
        if self.ended:
            self._incomplete(f"ligne {self._line_number} après la ligne de fin",
                             f"line {self._line_number} after the end line")
        fast = _split_entry(data.rstrip(b"\r\n"))
        if fast is not None:
            self._lines += 1
            self._in_order("entry")
            self._raw_entry(*fast)
            return
        self._record(data)

    def _in_order(self, kind: str) -> None:
        """Lines come in the exporter's order: meta, archive, entries, heads, proofs, end."""
        rank = _ORDER.get(kind, self._rank)
        if rank < self._rank:
            self._malformed_line()
        self._rank = max(self._rank, rank)

    def _end(self, record: dict[str, Any]) -> None:
        """The end line must count every line before it (hub.audit.export.end_record)."""
        self.ended = True
        if not is_count(record.get("lines")) or record.get("lines") != self._lines:
            self._incomplete(
                f"la ligne de fin ne compte pas les {self._lines} ligne(s) qui la précèdent",
                f"the end line does not count the {self._lines} line(s) before it")

    def _incomplete(self, message_fr: str, message_en: str) -> None:
        self.report.add_problem(Problem(
            "export_incomplete", f"export incomplet ou modifié : {message_fr}",
            f"incomplete or altered export: {message_en}"))

    def _raw_entry(self, seq: int, recorded: bytes, event: bytes) -> None:
        """The exporter's own layout: hash the event bytes as they stand. If they hash to
        a leaf under a signed root they are the bytes the hub committed, canonical or not."""
        position = self.start + self.count
        leaf = _sha256(b"\x00" + event).digest()
        self._in_place(seq, position)
        if leaf.hex().encode("ascii") != recorded:
            self._modified(position)
        self.leaves += leaf
        self.count += 1

    def _record(self, line: bytes) -> None:
        try:
            record = json.loads(line, object_pairs_hook=_once_each)
            kind = record["type"]
            keys = set(record)
        except (ValueError, KeyError, TypeError, RecursionError):  # nested past the parser
            self._malformed_line()
            return
        if not isinstance(kind, str):  # a list or an object is no record type (nor a dict key)
            self._malformed_line()
            return
        required, optional = _KEYS.get(kind, (frozenset(), frozenset()))
        if not required <= keys <= required | optional:
            self._malformed_line()  # a key added, renamed or removed: not the hub's record
        if kind == "end":
            self._end(record)
            return
        self._lines += 1
        self._in_order(kind)
        if kind == "meta":
            self._meta(record)
        elif kind == "entry":
            self._entry(record)
        elif kind == "head":
            self._head(record)
        elif kind == "consistency":
            self._consistency(record)
        elif kind == "archive":
            self._archive(record)
        elif kind != "meta":
            self._malformed_line()

    def _meta(self, record: dict[str, Any]) -> None:
        if self._lines != 1 or self.meta is not None:
            self._malformed_line()  # the opening line, once
        self.meta = self.meta or record

    def _entry(self, record: dict[str, Any]) -> None:
        position = self.start + self.count
        seq, event = record.get("seq"), record.get("event")
        leaf = _NO_LEAF
        if type(seq) is not int or not isinstance(event, dict):
            self._unreadable(position)
        else:
            try:
                leaf = _sha256(b"\x00" + canonical_json(event)).digest()
            except ValueError:
                self._unreadable(position)
            placed = self._in_place(seq, position)
            if (placed or self.searched) and event.get("seq") != seq:
                self._entry_fault(
                    position, "seq_mismatch", "le seq de l'événement diffère de celui de l'entrée",
                    "the event's seq differs from the entry's",
                )
            recorded = record.get("leaf_hash")
            if not isinstance(recorded, str) or not _LEAF_HEX.fullmatch(recorded):
                # the exporter writes the appended column's 64 hex digits, never null
                self._entry_fault(
                    position, "malformed_entry",
                    "hachage de feuille absent (null) ou qui n'est pas 64 chiffres hexadécimaux",
                    "leaf hash missing (null) or not 64 hex digits",
                )
            elif recorded != leaf.hex():
                self._modified(position)
        self.leaves += leaf
        self.count += 1

    def _in_place(self, seq: int, position: int) -> bool:
        """Whether the entry is at its seq; out of place, said (or held, in a file that
        opens on an entry: `is_search_export` judges)."""
        if self._lines == 1 and self.count == 0 and self.meta is None:
            self.searched = True
        if seq == position:
            return True
        if not self.searched:
            self._out_of_place(seq, position)
            return False
        if seq <= self._last_seq:  # a search's entries are in order all the same
            self._out_of_place(seq, position)  # said now, so not held to be said again
        else:
            self._held.append((seq, position))
        self._last_seq = seq
        return False

    def is_search_export(self) -> bool:
        """Entries alone (no meta line, head, proof or archive line): the export of a
        search, which a whole-log check would call deleted or reordered entries. Otherwise
        the entries held out of place are told as such."""
        if self.searched and not (self.heads or self.proofs or self.frontier):
            return True
        for seq, position in self._held:
            self._out_of_place(seq, position)
        self._held = []
        return False

    def _out_of_place(self, seq: int, position: int) -> None:
        self._entry_fault(
            min(seq, position), "seq_out_of_place",
            f"seq {seq} trouvé à la place de {position} (suppression, insertion ou "
            "réordonnancement)",
            f"seq {seq} found where {position} belongs (deleted, inserted or reordered)",
        )

    def _modified(self, position: int) -> None:
        self._entry_fault(
            position, "entry_modified",
            "le contenu ne correspond plus au hachage enregistré à l'ajout",
            "the content no longer matches the hash recorded when it was appended",
        )

    def _unreadable(self, position: int) -> None:
        self._entry_fault(position, "malformed_entry", "entrée illisible", "unreadable entry")

    def _entry_fault(self, seq: int, code: str, message_fr: str, message_en: str) -> None:
        if self.first_anomaly is None or seq < self.first_anomaly:
            self.first_anomaly = seq
        self.report.add_problem(
            Problem(code, f"entrée seq {seq} : {message_fr}", f"entry seq {seq}: {message_en}", seq)
        )

    def _head(self, record: dict[str, Any]) -> None:
        try:
            head = head_from_dict(record)
        except ValueError:
            self._malformed_line()
            return
        signer = self._hub_keys.get(head.key_id)
        if signer is None or not verify_head(head, signer):
            hint_fr, hint_en = ((" (clé non fournie : après un changement de clé, passez "
                                 "l'historique des clés, --public-key hub-keys.json de "
                                 "GET /v1/hub-keys)"),
                                (" (key not given: after a key rotation, pass the key history, "
                                 "--public-key hub-keys.json from GET /v1/hub-keys)")
                                ) if signer is None else ("", "")
            self.report.add_problem(Problem(
                "bad_head_signature",
                f"la tête de taille {head.size} n'est pas signée par la clé du hub{hint_fr}",
                f"the head of size {head.size} is not signed by the hub's key{hint_en}",
            ))
            return
        self.heads.append(head)
        self._check_cosignatures(head)

    def _check_cosignatures(self, head: SignedTreeHead) -> None:
        for cosignature in head.cosignatures:
            key = self._witness_keys.get(cosignature.witness)
            if key is None:
                self.report.add_warning(Problem(
                    "cosignature_unchecked",
                    f"contre-signature de {cosignature.witness} non vérifiée (clé non fournie)",
                    f"countersignature by {cosignature.witness} not checked (no key given)",
                ))
            elif not verify_cosignature(head, cosignature, key):
                self.report.add_problem(Problem(
                    "bad_cosignature",
                    f"contre-signature invalide de {cosignature.witness} (taille {head.size})",
                    f"invalid countersignature by {cosignature.witness} (size {head.size})",
                ))
            else:
                self.witnessed.add(cosignature.witness)

    def _consistency(self, record: dict[str, Any]) -> None:
        try:
            proof = [bytes.fromhex(node) for node in record["proof"]]
            self.proofs.append((count(record["old_size"]), count(record["new_size"]), proof))
        except (KeyError, TypeError, ValueError):
            self._malformed_line()

    def _archive(self, record: dict[str, Any]) -> None:
        try:
            frontier = [bytes.fromhex(node) for node in record["frontier"]]
            CompactRange(count(record["size"]), frontier)
        except (KeyError, TypeError, ValueError):
            self._malformed_line()
            return
        if self.count:
            self._malformed_line()
            return
        self.start, self.frontier = count(record["size"]), frontier

    def _malformed_line(self) -> None:
        number = self._line_number
        self.report.add_problem(Problem(
            "malformed_line", f"ligne {number} illisible ou inattendue",
            f"line {number} is unreadable or unexpected",
        ))


# Each record's keys (required, optional), as hub.audit.export writes them: any other set
# is a changed record, even where the verifier would not read the key.
_KEYS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "meta": (frozenset({"type", "format", "first_seq", "size"}), frozenset({"previous_sha256",
                                                                            "warning"})),
    "archive": (frozenset({"type", "size", "frontier"}), frozenset()),
    "entry": (frozenset({"type", "seq", "leaf_hash", "event"}), frozenset()),
    "head": (frozenset({"type", "size", "root_hash", "timestamp_ms", "key_id", "signature",
                        "cosignatures"}), frozenset()),
    "consistency": (frozenset({"type", "old_size", "new_size", "proof"}), frozenset()),
    "end": (frozenset({"type", "lines"}), frozenset()),
}
_ORDER = {"meta": 0, "archive": 1, "entry": 2, "head": 3, "consistency": 4}
_ENTRY_PREFIX = b'{"type":"entry","seq":'
_LEAF_KEY = b',"leaf_hash":"'
_EVENT_KEY = b'","event":{'


def _once_each(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object whose keys are all different: parsers disagree on which of a repeated
    key's values wins, so such a line could read one way here and another way to the
    DPO's own tools."""
    record = dict(pairs)
    if len(record) != len(pairs):
        raise ValueError("a key given twice")
    return record


def _split_entry(line: bytes) -> tuple[int, bytes, bytes] | None:
    """(seq, recorded leaf hex, event bytes) of a line in the exporter's layout, else None."""
    if not line.startswith(_ENTRY_PREFIX) or not line.endswith(b"}}"):
        return None
    start = len(_ENTRY_PREFIX)
    cut = line.find(_LEAF_KEY, start)
    digits = line[start:cut]
    if cut < 0 or not digits.isdigit() or len(digits) > 18:
        return None
    hex_start = cut + len(_LEAF_KEY)
    hex_end = hex_start + 2 * HASH_SIZE
    if line[hex_end : hex_end + len(_EVENT_KEY)] != _EVENT_KEY:
        return None
    return int(digits), line[hex_start:hex_end], line[hex_end + len(_EVENT_KEY) - 1 : -1]
