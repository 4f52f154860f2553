"""A column of the last complete export gone from this one stops the run.

A heading renamed in the spreadsheet (« Courriel » → « E-mail ») leaves the mapping's
column unread: every row would then be sent without that field, erasing it from every
fiche at the hub. A column the mapping reads, present in the last complete export (the
checkpoint's `colonnes`) and absent from this one, therefore stops the run before
anything is sent or withdrawn (`ColumnsGone`, exit code 5 as for held deletions), naming
the column and the file's closest headings. The member fixes the mapping (or the
heading), or confirms that the column is really gone (`--confirmer-suppressions`).
Columns the mapping names and no complete export ever had are not concerned.

A column kept in the header but emptied on every row (a filter on the column, a formula
gone, a copy of the wrong range) would erase the field from every fiche just as well: a
column the mapping reads that held a value on one row at least of the last complete export
(the checkpoint's `remplies`) and holds none on any row now stops the run likewise
(`refuse_emptied_columns`), before anything is sent.
"""

from __future__ import annotations

import difflib
from typing import Any

from connectors.errors import ColumnsGone
from connectors.mapping import Mapping, normalize_label


def vanished(missing: list[str], previous: list[str]) -> list[str]:
    """The mapping's `missing` columns that the last complete export (`previous`) had."""
    had = {normalize_label(c) for c in previous}
    return [c for c in missing if normalize_label(c) in had]


def refuse_vanished_columns(missing: list[str], previous: list[str],
                            header: list[str]) -> None:
    """Raise `ColumnsGone` when a column the mapping reads left the export since the last
    complete one."""
    gone = vanished(missing, previous)
    if not gone:
        return
    labels = {normalize_label(h): h for h in header if h.strip()}
    had = {normalize_label(c) for c in previous}
    new = [n for n in labels if n not in had]  # headings this export brings: renamed ones
    parts = []
    for column in gone:
        close = difflib.get_close_matches(normalize_label(column), new, n=2, cutoff=0.3) \
            or new[:2]
        near = (" (renommée en " + " ou ".join(f"« {labels[c]} »" for c in close) + " ?)"
                if close else "")
        parts.append(f"« {column} »{near}")
    plural = len(gone) > 1
    raise ColumnsGone(
        f"Colonne{'s' if plural else ''} du dernier export complet absente"
        f"{'s' if plural else ''} de celui-ci : {', '.join(parts)}. Envoyé ainsi, "
        f"{'ces champs seraient effacés' if plural else 'ce champ serait effacé'} de chaque "
        "fiche. Si la colonne a été renommée, corrigez « source » dans le fichier de "
        "correspondance (ou redonnez-lui son nom dans le tableur) ; si elle a vraiment été "
        "retirée, relancez avec --confirmer-suppressions (ou « confirmer_suppressions »: "
        "true dans la configuration). Rien n'a été envoyé ni retiré.",
        f"Column(s) of the last complete export missing from this one: {', '.join(gone)}. "
        "Sent so, the field would be erased from every fiche: fix \"source\" in the mapping "
        "file, or run with --confirmer-suppressions if the column is really gone. Nothing "
        "was sent or withdrawn.")


class FilledColumns:
    """Which of the columns the mapping reads hold a value on one row at least."""

    def __init__(self, mapping: Mapping, header: list[str]) -> None:
        read = {normalize_label(r.column) for r in mapping.all_rules() if r.column}
        self._at = {i: h for i, h in enumerate(header) if h and normalize_label(h) in read}
        self._filled: set[int] = set()

    def see(self, cells: list[Any]) -> None:
        for index in self._at.keys() - self._filled:
            cell = cells[index] if index < len(cells) else None
            if cell is not None and (not isinstance(cell, str) or cell.strip()):
                self._filled.add(index)

    def filled(self) -> list[str]:
        return [h for i, h in self._at.items() if i in self._filled]

    def emptied(self, before: list[str]) -> list[str]:
        """The columns read that held a value in the last complete export (`before`) and
        are empty on every row of this one."""
        had = {normalize_label(c) for c in before}
        return [h for i, h in self._at.items()
                if i not in self._filled and normalize_label(h) in had]


def refuse_emptied_columns(emptied: list[str]) -> None:
    """Raise `ColumnsGone` when a column the mapping reads is empty on every row of the
    export while it held values in the last complete one."""
    if not emptied:
        return
    plural = len(emptied) > 1
    listed = ", ".join(f"« {c} »" for c in emptied)
    were = "elles étaient remplies" if plural else "elle était remplie"
    raise ColumnsGone(
        f"Colonne{'s' if plural else ''} {listed} vide{'s' if plural else ''} sur chaque "
        f"ligne de l'export, alors qu'{were} dans le dernier export complet (filtre, formule "
        "perdue, copie d'une autre plage ?). Envoyé ainsi, "
        f"{'ces champs seraient effacés' if plural else 'ce champ serait effacé'} de chaque "
        "fiche. Corrigez l'export ; si les valeurs ont vraiment été effacées, relancez avec "
        "--confirmer-suppressions (ou « confirmer_suppressions »: true dans la "
        "configuration). Rien n'a été envoyé ni retiré.",
        f"Column(s) {', '.join(emptied)} empty on every row of the export, while filled in "
        "the last complete one. Sent so, the field would be erased from every fiche: fix the "
        "export, or run with --confirmer-suppressions if the values are really gone. Nothing "
        "was sent or withdrawn.")
