"""Verification of a chain of exports: archive segments, oldest first, then a live export.

Each file is verified on its own (`hub.audit.checks`); the chain also requires that each
file starts where the previous one ended and that both sign the same root at that
boundary, so no segment can be dropped, replaced or reordered unnoticed.

Pure: standard library, `cryptography` and audit modules (the offline verifier imports it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hub.audit.checks import finish_scan
from hub.audit.export import FORMAT, FORMAT_V1
from hub.audit.heads import HubPublicKeys
from hub.audit.report import Problem, VerificationReport
from hub.audit.scan import ExportScan, scan_lines


def verify_chain(
    paths: Sequence[str | Path],
    public_key: HubPublicKeys,
    witness_keys: Mapping[str, Ed25519PublicKey],
) -> VerificationReport:
    combined = VerificationReport()
    previous: ExportScan | None = None
    for path in paths:
        with open(path, "rb") as export:
            scan = scan_lines(export, public_key, witness_keys)
        _merge(combined, finish_scan(scan))
        if previous is not None:
            _check_link(previous, scan, combined)
            _check_format_order(previous, scan, combined)
        previous = scan
    return combined


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
