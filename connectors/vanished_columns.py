"""A column of the last complete export gone from this one stops the run.

A heading renamed in the spreadsheet (« Courriel » → « E-mail ») leaves the mapping's
column unread: every row would then be sent without that field, erasing it from every
fiche at the hub. A column the mapping reads, present in the last complete export (the
checkpoint's `colonnes`) and absent from this one, therefore stops the run before
anything is sent or withdrawn (`ColumnsGone`, exit code 5 as for held deletions), naming
the column and the file's closest headings. The member fixes the mapping (or the
heading), or confirms that the column is really gone (`--confirmer-suppressions`).
Columns the mapping names and no complete export ever had are not concerned.
"""

from __future__ import annotations

import difflib

from connectors.errors import ColumnsGone
from connectors.mapping import normalize_label


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
