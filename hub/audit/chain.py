"""Verification of a chain of exports: archive segments, oldest first, then a live export.

Each file is verified on its own (`hub.audit.checks`); the chain also requires that each
file starts where the previous one ended and that both sign the same root at that
boundary, so no segment can be dropped, replaced or reordered unnoticed. Where two files
meet, the later one holds every countersignature the earlier one shows of the head they
share (witnesses only add theirs over time); a file named by the next one's
`previous_sha256` has exactly those bytes; a first file naming a predecessor is a chain
given without its start; a witness named to the verifier has countersigned in the files;
heads kept from earlier agree with the files (`hub.audit.seen`).

Pure: standard library, `cryptography` and audit modules (the offline verifier imports it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hub.audit.checks import check_witnesses, finish_scan
from hub.audit.export import FORMAT, FORMAT_V1
from hub.audit.heads import HubPublicKeys, SignedTreeHead, key_history
from hub.audit.report import Problem, VerificationReport
from hub.audit.scan import ExportScan, scan_lines
from hub.audit.seen import SeenHeads


def verify_chain(
    paths: Sequence[str | Path],
    public_key: HubPublicKeys,
    witness_keys: Mapping[str, Ed25519PublicKey],
    seen_heads: Sequence[SignedTreeHead] = (),
) -> VerificationReport:
    combined = VerificationReport()
    previous: tuple[ExportScan, str] | None = None
    witnessed: set[str] = set()
    seen = SeenHeads(seen_heads, key_history(public_key), combined)
    for path in paths:
        digest = hashlib.sha256()
        with open(path, "rb") as export:
            scan = scan_lines(_hashing(export, digest), public_key, witness_keys)
        _merge(combined, finish_scan(scan))
        seen.check_file(scan, combined)
        witnessed |= scan.witnessed
        if previous is None:
            _check_start(scan, combined)
        else:
            _check_link(previous[0], scan, combined)
            _check_countersignatures(previous[0], scan, combined)
            _check_digest(*previous, scan, combined)
            _check_format_order(previous[0], scan, combined)
        previous = (scan, digest.hexdigest())
    seen.finish(combined)
    check_witnesses(witness_keys, witnessed, combined)
    return combined


def _hashing(lines: Iterable[bytes], digest: hashlib._Hash) -> Iterator[bytes]:
    for line in lines:
        digest.update(line)
        yield line


def _merge(combined: VerificationReport, report: VerificationReport) -> None:
    combined.entries += report.entries
    combined.heads += report.heads
    combined.verified_size = max(combined.verified_size, report.verified_size)
    for problem in report.problems:
        combined.add_problem(problem)
    combined.problem_count += report.problem_count - len(report.problems)
    for warning in report.warnings:
        combined.add_warning(warning)
    if report.first_bad_seq is not None:
        known = combined.first_bad_seq
        combined.first_bad_seq = report.first_bad_seq if known is None else min(known, report.first_bad_seq)


def _check_link(earlier: ExportScan, later: ExportScan, combined: VerificationReport) -> None:
    boundary = earlier.start + earlier.count
    closing = {h.root_hash for h in earlier.heads if h.size == boundary}
    opening = {h.root_hash for h in later.heads if h.size == boundary}
    if later.start != boundary:
        combined.add_problem(Problem(
            "archive_gap",
            f"un fichier commence au seq {later.start}, le précédent finit au seq {boundary}",
            f"a file starts at seq {later.start} but the previous one ends at seq {boundary}",
            min(later.start, boundary),
        ))
    elif not closing or not opening or closing != opening:
        combined.add_problem(Problem(
            "archive_chain_broken",
            f"pas de même tête signée à la jonction des fichiers (taille {boundary})",
            f"no common signed head where the files meet (size {boundary})",
            boundary,
        ))
    else:
        return
    if combined.first_bad_seq is None or boundary < combined.first_bad_seq:
        combined.first_bad_seq = boundary


def _check_countersignatures(earlier: ExportScan, later: ExportScan,
                             combined: VerificationReport) -> None:
    boundary = earlier.start + earlier.count
    kept = {c for h in later.heads if h.size == boundary for c in h.cosignatures}
    dropped = sorted({c.witness for h in earlier.heads if h.size == boundary
                      for c in h.cosignatures if c not in kept})
    if dropped:
        combined.add_located_problem(Problem(
            "cosignature_dropped",
            f"la tête de taille {boundary} a perdu la contre-signature de {', '.join(dropped)} "
            "entre deux fichiers (un témoin ajoute la sienne, jamais ne la retire)",
            f"the head of size {boundary} lost the countersignature of {', '.join(dropped)} "
            "between two files (a witness adds theirs, never takes it back)",
            boundary,
        ))


def _check_digest(earlier: ExportScan, earlier_sha256: str, later: ExportScan,
                  combined: VerificationReport) -> None:
    named = later.meta.get("previous_sha256") if later.meta is not None else None
    if named is None or named == earlier_sha256:
        return
    if _format(earlier) == FORMAT_V1:  # no end line: the digest is all that shows it whole
        combined.add_located_problem(Problem(
            "archive_digest_mismatch",
            f"le fichier des seq {earlier.start} à {later.start} n'a pas le SHA-256 que le "
            f"suivant lui donne ({FORMAT_V1} : rien d'autre ne montre qu'il est entier)",
            f"the file of seq {earlier.start} to {later.start} does not have the SHA-256 the "
            f"next one names ({FORMAT_V1}: nothing else shows it is whole)",
            earlier.start,
        ))
    else:
        combined.add_warning(Problem(
            "archive_digest_changed",
            f"le fichier des seq {earlier.start} à {later.start} n'a plus les octets archivés "
            "(SHA-256 différent de celui que nomme le suivant) ; son contenu se vérifie",
            f"the file of seq {earlier.start} to {later.start} no longer has the archived bytes "
            "(SHA-256 other than the one the next names); its content verifies",
        ))


def _check_start(first: ExportScan, combined: VerificationReport) -> None:
    """A first file that starts after seq 0 (an archive segment, or the live export once
    retention archived the start) has a history before it that nothing here verifies."""
    follows = first.meta is not None and first.meta.get("previous_sha256") is not None
    if follows or first.start > 0:
        combined.add_warning(Problem(
            "chain_start_missing",
            f"le premier fichier suit une archive non fournie (seq 0 à {first.start}) : "
            "l'historique avant lui n'est pas vérifié",
            f"the first file follows an archive not given (seq 0 to {first.start}): the "
            "history before it is not verified",
        ))


def _check_format_order(earlier: ExportScan, later: ExportScan,
                        combined: VerificationReport) -> None:
    """Files of the previous format come before files of this one, never after: a v1
    file following a v2 file was relabelled to escape the end line and the rule that
    no entry follows the last signed head."""
    if _format(earlier) == FORMAT and _format(later) == FORMAT_V1:
        combined.add_problem(Problem(
            "format_downgrade",
            f"un fichier {FORMAT_V1} suit un fichier {FORMAT} : format réécrit",
            f"a {FORMAT_V1} file follows a {FORMAT} file: format rewritten",
            later.start,
        ))


def _format(scan: ExportScan) -> object:
    return scan.meta.get("format") if scan.meta is not None else None
