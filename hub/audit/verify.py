"""Offline verifier of an audit-log export: `capactif audit verify EXPORT... --public-key FILE`.

Several files are verified as a chain: archive segments oldest first, then a live
export (see `hub.audit.chain`).

A DPO runs it on their own machine with nothing but the export and the hub's public
key, or its key history after a rotation (`GET /v1/hub-keys`). It recomputes every
leaf from the events, every root at every signed head's size, checks each head's
signature (with the key of the head's `key_id`), the consistency proofs between successive heads,
and the witnesses' countersignatures it has keys for (each witness named must have one
that verifies), compares the heads kept from earlier (`--seen-head`, `hub.audit.seen`),
then names the FIRST bad sequence number: modified, deleted, reordered or inserted entry.

Export format (JSONL, one object per line):

    {"type": "meta", "format": "capactif-audit-export-v2", "first_seq": k, "size": n}
    {"type": "archive", "size": k, "frontier": [hex, ...]}   optional: entries [0, k) archived
    {"type": "entry", "seq": n, "leaf_hash": hex, "event": {...}}
    {"type": "head", "size": ..., "root_hash": ..., "timestamp_ms": ..., "key_id": ...,
     "signature": ..., "cosignatures": [...]}
    {"type": "consistency", "old_size": a, "new_size": b, "proof": [hex, ...]}
    {"type": "end", "lines": n}        required, last: counts the n lines before it, so
                                       that an export cut short is never taken as whole

Each record has exactly these keys (the meta line, first and required, may also carry
`previous_sha256`, and `warning`: the hub exported a store that no longer matched its last
signed head), in this order of lines: meta, archive, entries, heads by size,
one consistency proof per pair of successive head sizes, end. Entries after the last
head, and anything after the end line, are refused as well.

Files of the previous format, `capactif-audit-export-v1` (exports and archive segments
written before the end line existed; segments are immutable, their SHA-256 chained), are
still verified: a missing end line and entries after the last head are warnings
(`export_unended`, `uncovered_entries`); such a file is shown whole only by its SHA-256.

How precisely a fault is located: an entry whose event no longer hashes to the leaf
recorded at append time, or whose seq is out of place (gap, duplicate, swap), is named
exactly. If someone also rewrote the recorded leaf hashes, only the signed roots
remain: the verifier then names the first seq after the last head that still verifies.

Imports: the standard library, `cryptography` and the pure audit modules only (an
import-linter contract forbids the store, the config, the services and SQLAlchemy).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hub.audit.chain import verify_chain
from hub.audit.checks import check_witnesses, finish_scan
from hub.audit.csv_export import BOM, COLUMNS, FRENCH_COLUMNS
from hub.audit.heads import HubPublicKeys, load_key_history, load_public_key
from hub.audit.report import Problem, VerificationReport
from hub.audit.scan import scan_lines
from hub.audit.seen import load_seen_head


def verify_lines(
    lines: Iterable[str | bytes],
    public_key: HubPublicKeys,
    witness_keys: Mapping[str, Ed25519PublicKey] | None = None,
) -> VerificationReport:
    """Verify an export given as lines of JSON; never raises on bad content."""
    scan = scan_lines(lines, public_key, witness_keys or {})
    report = finish_scan(scan)
    check_witnesses(witness_keys or {}, scan.witnessed, report)
    return report


def verify_file(
    path: str | Path,
    public_key: HubPublicKeys,
    witness_keys: Mapping[str, Ed25519PublicKey] | None = None,
) -> VerificationReport:
    with open(path, "rb") as export:
        return verify_lines(export, public_key, witness_keys)


def main(argv: list[str] | None = None) -> int:
    """CLI entry: 0 the export verifies, 1 it does not, 2 the inputs cannot be read, 3 it
    verifies with reservations (warnings: what they name is not vouched for)."""
    args = _parser().parse_args(argv)
    try:
        hub_keys: dict[str, Ed25519PublicKey] = {}
        for path in args.public_key:
            hub_keys.update(load_key_history(Path(path).read_bytes()))
        witness_keys = _witness_keys(args.witness_key)
        seen = [load_seen_head(Path(path).read_bytes()) for path in args.seen_head]
        for path in args.export:
            _refuse_csv(Path(path))
        report = verify_chain(args.export, hub_keys, witness_keys, seen)
    except (OSError, ValueError) as exc:
        print(f"Erreur / Error: {exc}", file=sys.stderr)
        return 2
    print(report.render())
    if not report.ok:
        return 1
    return VERIFIED_WITH_RESERVATIONS if report.warnings else 0


VERIFIED_WITH_RESERVATIONS = 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="capactif audit verify",
        description="Vérifie hors ligne un export du journal d'accès / "
        "verify an access-log export offline.",
    )
    parser.add_argument(
        "export", nargs="+",
        help="export JSONL; plusieurs fichiers : archives puis export courant / several files: "
        "archive segments oldest first, then the live export",
    )
    parser.add_argument(
        "--public-key",
        required=True,
        action="append",
        help="clé publique du hub (PEM ou base64url) ou son historique de clés (JSON de "
        "GET /v1/hub-keys), répétable / hub public key (PEM or base64url) or its key "
        "history (JSON of GET /v1/hub-keys); repeatable",
    )
    parser.add_argument(
        "--witness-key",
        action="append",
        default=[],
        metavar="NAME=FILE",
        help="clé publique d'un témoin (DPO membre) / a witness public key; repeatable",
    )
    parser.add_argument(
        "--seen-head",
        action="append",
        default=[],
        metavar="FILE",
        help="une tête signée conservée plus tôt (réponse de GET /v1/audit/tree-head, ou "
        "la tête qu'un témoin a contre-signée), répétable : les fichiers doivent "
        "l'attester / a signed head kept earlier (the answer of GET /v1/audit/tree-head, "
        "or the head a witness countersigned), repeatable: the files must agree with it",
    )
    return parser


_CSV_HEADERS = {COLUMNS[0], FRENCH_COLUMNS[0]}


def _refuse_csv(path: Path) -> None:
    """A CSV export of the log (for spreadsheets) holds no leaf hashes nor signed heads:
    said once, rather than a malformed line for each of its lines."""
    with path.open("rb") as export:
        first = export.readline(4096).decode("utf-8", "replace").removeprefix(BOM)
    if first.split(";", 1)[0].strip() in _CSV_HEADERS:
        raise ValueError(
            f"{path} est l'export CSV du journal ; vérifiez l'export JSONL (capactif audit "
            "export --output FICHIER.jsonl, ou GET /v1/audit/export) / this is the CSV "
            "export; verify the JSONL export (capactif audit export --output FILE.jsonl, or "
            "GET /v1/audit/export)")


def _witness_keys(specs: list[str]) -> dict[str, Ed25519PublicKey]:
    keys: dict[str, Ed25519PublicKey] = {}
    for spec in specs:
        name, sep, path = spec.partition("=")
        if not sep or not name or not path:
            raise ValueError("--witness-key takes NAME=FILE")
        keys[name] = load_public_key(Path(path).read_bytes())
    return keys


__all__ = ["Problem", "VerificationReport", "main", "verify_chain", "verify_file", "verify_lines"]
