"""Which sheet of a workbook is the member's table.

A workbook often holds more than the table: a read-me sheet before it (« Lisez-moi »,
« Notes », whose few lines may name a column or two, « N° dossier » among them), last
year's table hidden out of sight. Reading the wrong one would send its lines as fiches
and, worse, take every fiche sent before for deleted. So the sheet is chosen
deliberately:

- named by `feuille` in the configuration, it is read, hidden or not;
- otherwise the first sheet the member sees is read when it is a table: its header
  names every column each row needs (`Mapping.required_columns`) and at least half as
  many of the mapping's columns as the sheet naming the most, hidden or not (last
  year's table, with one more column, does not take its place);
- otherwise the one visible sheet that is a table and names the most columns; hidden
  sheets never.

A sheet read that is no table (named by `feuille`, or the first with no other to take
its place), while another sheet is one, stops the run before anything is sent or
withdrawn: the message names the sheet read, the columns it lacks, the sheet(s) having
them, and how to name one (`"feuille": "…"`).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from connectors.errors import ConfigurationError
from connectors.mapping import Mapping, normalize_label
from connectors.table_source import header_index, header_row


@dataclasses.dataclass(frozen=True)
class SheetHeader:
    """What a sheet's best header names of the mapping."""

    name: str
    visible: bool
    named: int  # mapped columns the header names
    absent: tuple[str, ...]  # mapped columns it lacks, as the mapping writes them
    lacks_required: bool


def sheet_header(mapping: Mapping, name: str, visible: bool,
                 rows: list[list[Any]]) -> SheetHeader:
    """The header of a sheet's first rows (an empty sheet names nothing)."""
    columns = _mapped_columns(mapping)
    if not rows:
        return SheetHeader(name, visible, 0, tuple(columns), True)
    header = {normalize_label(h) for h in header_row(mapping, rows, header_index(mapping, rows))}
    absent = tuple(c for c in columns if normalize_label(c) not in header)
    required = {normalize_label(c) for c in mapping.required_columns()}
    return SheetHeader(name, visible, len(columns) - len(absent), absent,
                       any(normalize_label(c) in required for c in absent))


def choose(sheets: list[SheetHeader]) -> str:
    """The sheet to read when the configuration names none (`sheets`: the worksheets, in
    the workbook's order); raises a ConfigurationError when no visible sheet is the
    table, or when several could be."""
    shown = [s for s in sheets if s.visible] or sheets[:1]
    first = shown[0]
    if _is_table(first, sheets):
        return first.name
    tables = [s for s in shown if _is_table(s, sheets)]
    most = max((s.named for s in tables), default=0)
    best = [s for s in tables if s.named == most]
    if len(best) == 1:
        return best[0].name
    if best:
        listed = ", ".join(f"« {s.name} »" for s in best)
        raise ConfigurationError(
            f"La première feuille du classeur, « {first.name} », n'est pas le tableau "
            f"attendu, et plusieurs feuilles ont les colonnes de la correspondance ({listed}) : "
            f"indiquez laquelle lire, par exemple \"feuille\": \"{best[0].name}\" dans la "
            "source de la configuration. Rien n'a été envoyé ni retiré.",
            f"The workbook's first sheet '{first.name}' is not the table, and several sheets "
            f"have the mapping's columns ({', '.join(s.name for s in best)}): set "
            f"\"feuille\" in the configuration's source. Nothing was sent or withdrawn.")
    refuse_if_elsewhere(first, sheets, named=False)
    return first.name


def refuse_if_elsewhere(read: SheetHeader, sheets: list[SheetHeader], *, named: bool) -> None:
    """Stop the run when the sheet read is no table while another sheet of the workbook
    (hidden ones too) names the columns it lacks: its lines are not the member's fiches,
    and the fiches sent before are not gone."""
    if _is_table(read, sheets):
        return
    having = [s for s in sheets if s.name != read.name and _is_table(s, sheets)
              and s.named > read.named]
    if not having:
        return  # no sheet has them: the header is checked as any export's
    having.sort(key=lambda s: (-s.named, not s.visible))
    absent = ", ".join(f"« {c} »" for c in read.absent[:8]) + (
        f" (et {len(read.absent) - 8} autres)" if len(read.absent) > 8 else "")
    found = ", ".join(f"« {s.name} »" + ("" if s.visible else " (masquée)") for s in having)
    which = "nommée par « feuille »" if named else "la première que le classeur montre"
    raise ConfigurationError(
        f"La feuille lue, « {read.name} » ({which}), n'a pas les colonnes de la "
        f"correspondance : {absent} absentes. "
        f"{'Les feuilles' if len(having) > 1 else 'La feuille'} {found} "
        f"{'les ont' if len(having) > 1 else 'les a'} : indiquez "
        f"\"feuille\": \"{having[0].name}\" dans la source de la configuration. Ses lignes "
        "ne sont pas des fiches : rien n'a été envoyé ni retiré.",
        f"The sheet read, '{read.name}', lacks the mapping's columns "
        f"({', '.join(read.absent)}); sheet '{having[0].name}' has them: set "
        f"\"feuille\": \"{having[0].name}\" in the configuration's source. Nothing was sent "
        "or withdrawn.")


def _is_table(sheet: SheetHeader, among: list[SheetHeader]) -> bool:
    """Its header names every column each row needs and at least half as many mapped
    columns as the sheet naming the most, hidden or not (a read-me naming two columns of
    fifteen is not the table, even beside a hidden one only; this year's beside last
    year's, one column short, is)."""
    most = max((s.named for s in among), default=0)
    return not sheet.lacks_required and sheet.named > 0 and 2 * sheet.named >= most


def _mapped_columns(mapping: Mapping) -> list[str]:
    """The columns the mapping reads, each once (as first written)."""
    columns: dict[str, str] = {}
    for rule in mapping.all_rules():
        if rule.source and not rule.source.startswith("$"):
            columns.setdefault(normalize_label(rule.source), rule.source)
    return list(columns.values())
