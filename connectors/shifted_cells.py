"""A row whose cells are not in their columns: a separator written in a value without
quotes, or a cell lost, shifts every cell after it. Such a row is refused alone, naming
its row and both counts (« cellules décalées »), and nothing of it is read into the
columns it does not match: no field, no deletion flag, no error of a shifted column
(`Connector.record`, `Connector.to_fiche`)."""

from __future__ import annotations

from collections.abc import Iterable

from connectors.mapping import MappingProblem

SHIFTED_CELLS = "cellules_decalees"
# Told beside it: what the raw line shows, whatever its columns.
_RAW_LINE = frozenset((SHIFTED_CELLS, "guillemet_non_ferme"))


def shifted_cells(row: int, found: int, expected: int, separator: str) -> MappingProblem:
    """The row `row` holds `found` cells where its header has `expected` (values never
    named: the row number is how the agent finds it)."""
    shown = "tabulation" if separator == "\t" else separator
    return MappingProblem(
        "$", SHIFTED_CELLS,
        f"Cellules décalées à la ligne {row} : {found} cellules pour {expected} colonnes "
        f"d'en-tête. Un « {shown} » écrit dans une valeur sans guillemets (ou une cellule "
        "perdue) décale toutes les suivantes : la ligne n'est pas lue. Mettez cette valeur "
        f"entre guillemets (ou retirez le « {shown} ») dans le tableur et exportez de nouveau.",
        f"Shifted cells on row {row}: {found} cells for {expected} header columns. A "
        f"'{shown}' written in a value without quotes (or a lost cell) shifts every cell "
        f"after it: the row is not read. Quote that value (or remove the '{shown}') in the "
        "spreadsheet and export again.")


def shifted(problems: Iterable[MappingProblem]) -> bool:
    """Whether a record's source problems say that its cells are shifted."""
    return any(p.code == SHIFTED_CELLS for p in problems)


def raw_line_problems(problems: Iterable[MappingProblem]) -> list[MappingProblem]:
    """Of a shifted record's problems, those about its raw line: the others were read
    from cells out of their columns (a date, an encoding named under the wrong column)."""
    return [p for p in problems if p.code in _RAW_LINE]
