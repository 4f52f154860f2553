"""Second stage of verification: roots at every head, head order, consistency proofs.

Pure: standard library and audit modules only (imported by the offline verifier).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

from hub.audit.export import FORMAT, FORMAT_V1, V2_SINCE_MS
from hub.audit.merkle import HASH_SIZE, CompactRange, verify_consistency
from hub.audit.report import Problem, VerificationReport
from hub.audit.scan import ExportScan, is_count


def finish_scan(scan: ExportScan) -> VerificationReport:
    if scan.is_search_export():
        return search_report(scan)
    report = scan.report
    report.entries, report.heads = scan.count, len(scan.heads)
    if scan.ended and _is_v1(scan):  # the previous release wrote no end line
        report.add_problem(Problem(
            "format_downgrade",
            f"fichier déclaré {FORMAT_V1} mais terminé par une ligne de fin, que seul "
            f"{FORMAT} écrit : format réécrit pour échapper aux règles de {FORMAT}",
            f"file declared {FORMAT_V1} but ending with an end line, which only {FORMAT} "
            f"writes: format rewritten to escape {FORMAT}'s rules",
        ))
    if _is_v1(scan) and any(head.timestamp_ms >= V2_SINCE_MS for head in scan.heads):
        report.add_problem(Problem(
            "format_downgrade",
            f"fichier déclaré {FORMAT_V1} mais portant une tête signée depuis que {FORMAT} "
            "est écrit (2026-12-05) : format réécrit pour échapper à ses règles",
            f"file declared {FORMAT_V1} but holding a head signed since {FORMAT} is written "
            "(2026-12-05): format rewritten to escape its rules",
        ))
    if scan.meta is not None and scan.meta.get("warning") is not None:
        _exporter_warning(scan.meta["warning"], report)
    if not scan.ended and _is_v1(scan):
        report.add_warning(Problem(
            "export_unended",
            f"fichier {FORMAT_V1} sans ligne de fin : rien n'y montre qu'il est entier ; "
            "comparez son SHA-256 à celui de la chaîne des archives (audit_archive_segments, "
            "previous_sha256 du fichier suivant) ou à celui noté à l'export",
            f"{FORMAT_V1} file without an end line: nothing in it shows it is whole; compare "
            "its SHA-256 with the archive chain's (audit_archive_segments, the next file's "
            "previous_sha256) or with the one noted at export time",
        ))
    elif not scan.ended:
        report.add_problem(Problem(
            "export_incomplete",
            "export incomplet : pas de ligne de fin (téléchargement interrompu ?)",
            "incomplete export: no end line (interrupted download?)",
        ))
    if not scan.heads:
        report.add_problem(Problem(
            "no_signed_head", "aucune tête signée valide : rien n'est vérifiable",
            "no valid signed head: nothing can be verified",
        ))
    _check_meta(scan, report)
    _check_head_order(scan, report)
    roots = _distinct_roots(scan, report)
    root_candidate = _check_roots(scan, roots, report)
    _check_proofs(scan, roots, report)
    _check_uncovered_tail(scan, roots, report)
    candidates = [c for c in (scan.first_anomaly, root_candidate) if c is not None]
    report.first_bad_seq = min(candidates) if candidates else None
    return report


def check_witnesses(named: Iterable[str], witnessed: set[str], report: VerificationReport) -> None:
    """A witness named to the verifier vouches for the files only through a countersignature
    found in them: none at all is what dropping every one of them leaves."""
    for witness in sorted(set(named) - witnessed):
        report.add_problem(Problem(
            "witness_absent",
            f"aucune contre-signature valide de {witness} dans les fichiers vérifiés : "
            "retirées, ou ce témoin n'a rien contre-signé de cette période",
            f"no valid countersignature by {witness} in the files verified: removed, or this "
            "witness countersigned nothing of this period",
        ))


def _check_meta(scan: ExportScan, report: VerificationReport) -> None:
    """The opening line names the format and the entries the export holds."""
    meta, end = scan.meta, scan.start + scan.count
    if meta is None or meta.get("format") not in (FORMAT, FORMAT_V1) or not all(
            is_count(meta.get(k)) for k in ("first_seq", "size")) or (
            meta.get("first_seq"), meta.get("size")) != (scan.start, end):
        report.add_problem(Problem(
            "meta_mismatch",
            f"la ligne d'ouverture manque ou ne décrit pas l'export ({FORMAT}, seq "
            f"{scan.start} à {end})",
            f"the opening line is missing or does not describe the export ({FORMAT}, seq "
            f"{scan.start} to {end})",
        ))


def _check_head_order(scan: ExportScan, report: VerificationReport) -> None:
    for earlier, later in itertools.pairwise(scan.heads):
        if later == earlier:
            report.add_problem(Problem(
                "duplicate_head", f"la tête de taille {later.size} figure deux fois",
                f"the head of size {later.size} is there twice",
            ))
        if later.size < earlier.size or later.timestamp_ms < earlier.timestamp_ms:
            report.add_problem(Problem(
                "heads_out_of_order",
                f"la tête de taille {later.size} suit une tête plus grande ou plus récente",
                f"the head of size {later.size} follows a larger or later head",
            ))


def _distinct_roots(scan: ExportScan, report: VerificationReport) -> dict[int, bytes]:
    roots: dict[int, bytes] = {}
    for head in scan.heads:
        known = roots.setdefault(head.size, head.root_hash)
        if known != head.root_hash:
            report.add_problem(Problem(
                "forked_heads",
                f"deux têtes signées de taille {head.size} ont des racines différentes",
                f"two signed heads of size {head.size} have different roots",
            ))
    return roots


def _check_roots(
    scan: ExportScan, roots: dict[int, bytes], report: VerificationReport
) -> int | None:
    """Recompute the root at each head size; return the seq a root mismatch points to."""
    total = scan.start + scan.count
    tree = CompactRange(scan.start, scan.frontier)
    last_good, candidate = scan.start, None
    leaves, offset = scan.leaves, -scan.start * HASH_SIZE
    for size in sorted(roots):
        if size < scan.start:
            continue
        if size > total:
            report.add_problem(Problem(
                "entries_missing",
                f"la tête de taille {size} couvre des entrées absentes à partir du seq {total}",
                f"the head of size {size} covers entries missing from seq {total} on",
                total,
            ))
            candidate = total if candidate is None else min(candidate, total)
            break
        while tree.size < size:
            start = offset + tree.size * HASH_SIZE
            tree.append(bytes(leaves[start : start + HASH_SIZE]))
        if tree.root() == roots[size]:
            report.verified_size = max(report.verified_size, size)
            last_good = size if candidate is None else last_good
            continue
        report.add_problem(Problem(
            "root_mismatch",
            f"la racine recalculée à la taille {size} diffère de la tête signée",
            f"the root recomputed at size {size} differs from the signed head",
        ))
        if candidate is None:
            explained = _explained(scan.first_anomaly, size)
            candidate = scan.first_anomaly if explained else last_good
    return candidate


def _explained(first_anomaly: int | None, size: int) -> bool:
    """A faulty entry below `size` already explains a root mismatch at `size`."""
    return first_anomaly is not None and first_anomaly < size


def _check_proofs(scan: ExportScan, roots: dict[int, bytes], report: VerificationReport) -> None:
    given = [(old, new) for old, new, _ in scan.proofs]
    expected = list(itertools.pairwise(sorted(roots)))
    if given != expected:
        report.add_problem(Problem(
            "proofs_not_as_exported",
            "les preuves de cohérence ne sont pas une par paire de têtes successives, dans l'ordre",
            "the consistency proofs are not one per pair of successive heads, in order",
        ))
    linked: set[int] = set()
    for old_size, new_size, proof in scan.proofs:
        if old_size not in roots or new_size not in roots:
            report.add_problem(Problem(
                "proof_without_heads",
                f"preuve de cohérence {old_size}→{new_size} sans têtes correspondantes",
                f"consistency proof {old_size}→{new_size} has no matching heads",
            ))
        elif verify_consistency(old_size, new_size, proof, roots[old_size], roots[new_size]):
            linked.update((old_size, new_size))
        else:
            report.add_problem(Problem(
                "bad_consistency_proof",
                f"la preuve de cohérence {old_size}→{new_size} ne se vérifie pas",
                f"the consistency proof {old_size}→{new_size} does not verify",
            ))
    for size in roots:
        if size < scan.start and size not in linked:
            report.add_warning(Problem(
                "archived_head_unchecked",
                f"tête de taille {size} antérieure à l'archive, sans preuve de cohérence",
                f"head of size {size} predates the archive and has no consistency proof",
            ))


def _check_uncovered_tail(
    scan: ExportScan, roots: dict[int, bytes], report: VerificationReport
) -> None:
    total = scan.start + scan.count
    covered = max(roots, default=0)
    if total > covered:  # the hub's exports end at a head: these could be rewritten unseen
        add = report.add_warning if _is_v1(scan) else report.add_problem  # v1 ran to the tail
        add(Problem(
            "uncovered_entries",
            f"{total - covered} entrée(s) après la dernière tête signée : leur contenu et "
            "leur hachage peuvent avoir été réécrits ensemble sans que rien ne le montre",
            f"{total - covered} entrie(s) after the last signed head: their content and "
            "hash may have been rewritten together with nothing to show it",
        ))


def _is_v1(scan: ExportScan) -> bool:
    return scan.meta is not None and scan.meta.get("format") == FORMAT_V1


def search_report(scan: ExportScan) -> VerificationReport:
    """The export of a search proves nothing alone (its entries are chosen, it carries no
    signed head): said as such, with what its lines show (an event edited without its
    leaf hash, a line cut or added)."""
    report = scan.report
    report.entries = scan.count
    report.problems.insert(0, Problem(
        "search_export",
        "export d'une recherche (les entrées choisies, sans ligne d'ouverture ni tête "
        "signée) : il ne se vérifie pas comme le journal entier. Vérifiez l'export complet "
        "(sans critère), ou chaque entrée par sa preuve d'inclusion "
        "(GET /v1/audit/proofs/inclusion/{seq}) contre une tête signée",
        "export of a search (the chosen entries, with no opening line nor signed head): it "
        "does not verify as the whole log. Verify the whole export (no criterion), or each "
        "entry by its inclusion proof (GET /v1/audit/proofs/inclusion/{seq}) against a "
        "signed head"))
    report.problem_count += 1
    return report


def _exporter_warning(warning: Any, report: VerificationReport) -> None:
    """What the hub said when exporting a store that no longer matched its last signed
    head (it exports up to that head without signing a new one); unsigned, informative."""
    signed = warning.get("signed_size") if isinstance(warning, dict) else None
    size = f"{signed}" if isinstance(signed, int) and not isinstance(signed, bool) else "?"
    report.add_warning(Problem(
        "export_store_mismatch",
        f"le hub a exporté un journal stocké qui ne correspond plus à sa dernière tête signée "
        f"(taille {size}) : aucune tête n'a été signée pour cet export, les entrées au-delà de "
        "cette tête n'y sont pas",
        f"the hub exported a stored log that no longer matches its last signed head (size "
        f"{size}): no head was signed for this export, the entries past that head are not in it",
    ))
