"""Whether contacts gone from a full export may be withdrawn from the network.

A row missing from the export is a deletion only when the export is plausibly the
member's whole file; otherwise the run holds the withdrawals and says why (French)."""

from __future__ import annotations

from connectors.base import Connector
from connectors.checkpoint import CheckpointState
from connectors.mapping import normalize_label

_CONFIRM = (" Si ces fiches ont vraiment été supprimées, relancez avec "
            "--confirmer-suppressions (ou « confirmer_suppressions »: true dans la "
            "configuration) ; sinon corrigez l'export : rien n'a été retiré.")


def swallowed(source: Connector, known: int, vanishing: int) -> str | None:
    """Rows read as a cell's text (a quote never closed), rows whose record number cannot
    be read and numbers on several rows are unread, not deleted: no confirmation
    withdraws them, only a corrected export (None: no such row)."""
    doubtful = source.doubtful_lines()
    if not doubtful:
        return (_sheet_lacking(source, known, vanishing)
                or _unread_numbers(source.unread_numbers(), known, vanishing)
                or _doubled_numbers(source.doubled_numbers(), known, vanishing))
    where = ", ".join(str(n) for n in doubtful[:5])
    return (f"Ligne{'s' if len(doubtful) > 1 else ''} {where} : un guillemet ouvert "
            "dans une cellule n'est pas refermé, les lignes suivantes ont été lues comme "
            f"son texte (fichier des rejets). {vanishing} fiches sur {known} "
            "seraient retirées : corrigez ce guillemet dans le tableur et exportez de "
            "nouveau ; rien n'a été retiré, même avec « confirmer_suppressions ».")


def _sheet_lacking(source: Connector, known: int, vanishing: int) -> str | None:
    """A workbook's sheet whose header lacks columns of the mapping may be another sheet
    than the table (a read-me, a pivot table): its absent rows are no deletions, whatever
    the confirmation (None: not a workbook, or its header has every column)."""
    sheet, missing = getattr(source, "sheet_read", None), source.missing_columns()
    if sheet is None or not missing:
        return None
    listed = ", ".join(f"« {c} »" for c in missing[:8])
    return (f"La feuille lue, « {sheet} », n'a pas toutes les colonnes de la "
            f"correspondance ({listed}{' …' if len(missing) > 8 else ''}) : {vanishing} "
            f"fiche{'s' if vanishing > 1 else ''} sur {known} "
            f"{'seraient retirées' if vanishing > 1 else 'serait retirée'}. Si ce n'est "
            "pas le tableau, indiquez la bonne feuille (« feuille » dans la source de la "
            "configuration) ; si ces colonnes n'existent plus, retirez-les de la "
            "correspondance. Rien n'a été retiré, même avec « confirmer_suppressions ».")


_UNREAD = ("numéro de dossier illisible ou absent (caractère d'un autre encodage, cellule "
           "en erreur, cellules décalées, cellule fusionnée, cellule vide ; fichier des "
           "rejets) : chacune peut être une fiche déjà envoyée.")
_DOUBLED = ("un même numéro de dossier figure sur plusieurs lignes, ou des numéros y donnent "
            "le même identifiant de fiche (fichier des rejets) : l'une peut être une fiche "
            "déjà envoyée dont le numéro a été mal recopié.")


def _unread_numbers(lines: list[int], known: int, vanishing: int) -> str | None:
    """Rows whose record number could not be read may be records sent before: nothing is
    withdrawn, whatever the confirmation, until they are fixed (None: no such row)."""
    return _numbers_to_fix(lines, _UNREAD, known, vanishing)


def _doubled_numbers(lines: list[int], known: int, vanishing: int) -> str | None:
    """A record number on several rows, or numbers giving one fiche_id: one may be a record
    sent before whose number was mistyped; nothing is withdrawn, whatever the confirmation,
    until it is fixed."""
    return _numbers_to_fix(lines, _DOUBLED, known, vanishing)


def _numbers_to_fix(lines: list[int], why: str, known: int, vanishing: int) -> str | None:
    if not lines:
        return None
    where = ", ".join(str(n) for n in lines[:5])
    return (f"Ligne{'s' if len(lines) > 1 else ''} {where} : {why} {vanishing} "
            f"fiche{'s' if vanishing > 1 else ''} sur {known} "
            f"{'seraient retirées' if vanishing > 1 else 'serait retirée'} : corrigez ces "
            "numéros dans le tableur et exportez de nouveau ; rien n'a été retiré, même avec "
            "« confirmer_suppressions ».")


def implausible_export(source: Connector, state: CheckpointState, read: int, vanishing: int,
                       share_max: float, refused_new: list[int]) -> str | None:
    """Why this export may not be the member's whole file (None: it plausibly is).
    `refused_new`: the lines refused on this run under a number never sent (one may be a
    record sent before whose number is misread: cells shifted)."""
    known = len(state.known)
    if read == 0:
        return (f"L'export ne contient aucune ligne : les {known} fiches déjà envoyées "
                "seraient retirées du réseau." + _CONFIRM)
    columns = {normalize_label(c) for c in getattr(source, "columns", [])}
    gone = [c for c in state.columns if normalize_label(c) not in columns]
    if gone:
        return (f"Colonnes absentes de l'export ({', '.join(gone)}) : en-tête renommé ou "
                f"export incomplet ? {vanishing} fiche{'s' if vanishing > 1 else ''} sur "
                f"{known} {'seraient retirées' if vanishing > 1 else 'serait retirée'}."
                + _CONFIRM)
    if refused_new:
        lines = ", ".join(str(n) for n in refused_new[:5])
        return (f"{vanishing} fiche{'s' if vanishing > 1 else ''} sur {known} "
                f"{'ont' if vanishing > 1 else 'a'} disparu de l'export, et des lignes "
                f"sont refusées sous un numéro de dossier jamais envoyé ({lines} ; fichier "
                "des rejets, refusées par le connecteur ou par le hub) : l'une peut être une "
                "fiche disparue dont le numéro est mal lu (cellules décalées) ou retapé "
                "autrement (« S-003 » devenu « s-003 »). Corrigez ces lignes, ou remettez "
                "le numéro sous lequel la fiche a été envoyée." + _CONFIRM)
    if vanishing > 2 and vanishing > share_max * known:
        return (f"{vanishing} fiches sur {known} ont disparu de l'export (plus de "
                f"{share_max:.0%}) : export partiel ou filtré ?" + _CONFIRM)
    return None
