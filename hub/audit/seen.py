"""Heads kept from earlier, checked against the files verified (`--seen-head FILE`).

A member that saved `GET /v1/audit/tree-head`, or a witness that kept the head it
countersigned, holds evidence the hub cannot take back. The files must agree with it:
the seen head verifies with a hub key given (else the key was replaced, or the file is
not a head), the root recomputed at its size from the files' entries is its root (else
the history was rewritten and re-signed: a fork), and a head of that size in the files
carries every countersignature the seen one carries (else one was removed). A seen
head outside the files' range cannot be checked: a warning.

Pure: standard library, `cryptography` and audit modules (the offline verifier imports it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hub.audit.heads import Cosignature, SignedTreeHead, head_from_dict, verify_head
from hub.audit.merkle import HASH_SIZE, CompactRange
from hub.audit.report import Problem, VerificationReport
from hub.audit.scan import ExportScan


def load_seen_head(data: bytes) -> SignedTreeHead:
    """A head as `GET /v1/audit/tree-head` answers it (`{"tete": {...}}`) or the head alone."""
    try:
        document = json.loads(data)
        head = document.get("tete", document) if isinstance(document, dict) else None
        if not isinstance(head, dict):
            raise ValueError
        return head_from_dict(head)
    except (ValueError, AttributeError, RecursionError) as exc:  # nested past the parser
        raise ValueError("--seen-head: not a signed tree head (JSON of GET /v1/audit/tree-head)") from exc


class SeenHeads:
    """Fed each file's scan in turn, then `finish` reports the countersignatures no file
    shows and the heads no file covered. A head's countersignatures are gathered over
    every file before any is called dropped: an archive segment closing at a head was
    written before witnesses countersigned it later, and a later file shows them."""

    def __init__(self, seen: Sequence[SignedTreeHead], hub_keys: Mapping[str, Ed25519PublicKey],
                 report: VerificationReport) -> None:
        self._pending: list[SignedTreeHead] = []
        self._compared: list[SignedTreeHead] = []
        self._cosigned: dict[int, set[Cosignature]] = {}  # by size, over every file
        self._signed: list[SignedTreeHead] = []  # every file's verified heads
        for head in seen:
            key = hub_keys.get(head.key_id)
            if key is not None and verify_head(head, key):
                self._pending.append(head)
            else:
                report.add_problem(Problem(
                    "seen_head_unsigned",
                    f"la tête de taille {head.size} conservée n'est signée par aucune clé du hub "
                    "fournie : clé remplacée depuis, ou fichier qui n'est pas une tête",
                    f"the kept head of size {head.size} is signed by no hub key given: key "
                    "replaced since, or a file that is not a head",
                ))

    def check_file(self, scan: ExportScan, report: VerificationReport) -> None:
        self._signed += scan.heads
        sizes = {h.size for h in self._pending} | {h.size for h in self._compared}
        for head in scan.heads:
            if head.size in sizes:
                self._cosigned.setdefault(head.size, set()).update(head.cosignatures)
        end = scan.start + scan.count
        covered = [h for h in self._pending if scan.start <= h.size <= end]
        for head in sorted(covered, key=lambda h: h.size):
            if _root_at(scan, head.size) != head.root_hash:
                report.add_problem(Problem(
                    "seen_head_forked",
                    f"la racine recalculée à la taille {head.size} n'est pas celle de la tête "
                    "conservée : l'historique a été réécrit puis signé à nouveau",
                    f"the root recomputed at size {head.size} is not the kept head's: the "
                    "history was rewritten, then signed again",
                ))
        self._compared += covered
        self._pending = [h for h in self._pending if h not in covered]

    def finish(self, report: VerificationReport) -> None:
        for seen in self._pending + self._compared:
            self._check_not_shrunk(seen, report)
        for seen in self._compared:
            if seen.size not in self._cosigned:
                continue  # no file holds a head of its size: its root was compared
            shown = self._cosigned[seen.size]
            dropped = sorted({c.witness for c in seen.cosignatures if c not in shown})
            if dropped:
                report.add_problem(Problem(
                    "cosignature_dropped",
                    f"la tête de taille {seen.size} n'a plus la contre-signature de "
                    f"{', '.join(dropped)} que porte la tête conservée",
                    f"the head of size {seen.size} lacks the countersignature of "
                    f"{', '.join(dropped)} that the kept head carries",
                ))
        for head in self._pending:
            report.add_warning(Problem(
                "seen_head_not_covered",
                f"tête conservée de taille {head.size} hors des fichiers vérifiés : non comparée",
                f"kept head of size {head.size} outside the files verified: not compared",
            ))

    def _check_not_shrunk(self, seen: SignedTreeHead, report: VerificationReport) -> None:
        """The hub signs heads in order of size and time: one signed after the kept head
        but smaller shows the log was cut back below it (entries and heads deleted), then
        signed again."""
        later = [h for h in self._signed if h.timestamp_ms > seen.timestamp_ms and h.size < seen.size]
        if later:
            shrunk = min(later, key=lambda h: h.size)
            report.add_problem(Problem(
                "seen_head_rolled_back",
                f"une tête de taille {shrunk.size} a été signée après la tête conservée de taille "
                f"{seen.size} : le journal a été ramené en arrière (entrées et têtes supprimées) "
                "puis signé à nouveau",
                f"a head of size {shrunk.size} was signed after the kept head of size {seen.size}: "
                "the log was rolled back (entries and heads deleted), then signed again",
            ))


def _root_at(scan: ExportScan, size: int) -> bytes:
    tree = CompactRange(scan.start, scan.frontier)
    for index in range(size - scan.start):
        tree.append(bytes(scan.leaves[index * HASH_SIZE:(index + 1) * HASH_SIZE]))
    return tree.root()

