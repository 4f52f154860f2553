"""A workbook read directly (.xlsx, .xlsm, .xls, .ods), without a CSV export.

Read with python-calamine (one reader for Excel and LibreOffice formats). The sheet is
the one named in the configuration (`feuille`), or the table the member sees
(`connectors.sheet_choice`: never a read-me sheet before it, never a hidden one); its
name is in the run's summary. Cells keep their type:
a date cell is a date (no dd/mm/yy guessing), a whole number typed in a cell (a postal
code, a dossier number) is its digits without `.0`, text is text. Rows are numbered as
the spreadsheet shows them. A value merged over several rows of the table reads on
each (.xlsx, .xls; .ods by `connectors.ods_merges`, with its error cells), but a record
number only on its top row (the rows below are unread); a read cell
showing a formula error rejects its row (`connectors.sheet_errors`). Tracking, deleted
rows and duplicated keys: see `connectors.table_source`.
"""

from __future__ import annotations

import collections
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import python_calamine

from connectors.base import SourceRecord
from connectors.errors import ConfigurationError, SourceError
from connectors.file_writing import read_settled, refuse_truncated_workbook
from connectors.mapping import Mapping, MappingProblem, normalize_label
from connectors.ods_merges import ods_marks
from connectors.sheet_choice import SheetHeader, choose, refuse_if_elsewhere, sheet_header
from connectors.sheet_errors import NO_RESULT, Cell, error_cells
from connectors.table_source import (
    HEADER_SEARCH,
    Row,
    TableSource,
    column_letters,
    header_index,
    header_row,
)

SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")


class SheetSource(TableSource):
    """One sheet of a member's workbook."""

    kind = "tableur"

    def __init__(self, mapping: Mapping, path: str | Path, *, sheet: str | None = None,
                 mode: str = "auto") -> None:
        super().__init__(mapping, mode=mode)
        self.path = Path(path)
        self.sheet = sheet
        self.sheet_read: str | None = None  # the sheet the last read took
        self._errors: dict[Cell, str] = {}
        self._merged: list[tuple[Cell, Cell]] = []
        self._unmerged: dict[int, int] = {}  # row index: its number cell's column, left blank

    def changes(self, since: dt.datetime | None) -> Iterator[SourceRecord]:
        """As any table's, a header error naming the sheet read."""
        try:
            yield from super().changes(since)
        except ConfigurationError as exc:
            if self.sheet_read is None:  # the choice of the sheet, which names it
                raise
            raise ConfigurationError(
                f"Feuille « {self.sheet_read} » : {exc.message_fr}",
                f"Sheet '{self.sheet_read}': {exc.message_en}") from exc

    def _fallback_time(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(int(self.path.stat().st_mtime), dt.UTC)

    def _table(self) -> tuple[list[str] | None, Iterator[Row]]:
        rows = self._read()
        if not rows:
            return None, iter(())
        at = header_index(self.mapping, rows)
        header = header_row(self.mapping, [[_text(c) for c in row] for row in rows[:at + 1]], at)
        while header and not header[-1]:
            header.pop()
        number = normalize_label(self.mapping.identity.source or "")
        numbers = {i for i, name in enumerate(header) if normalize_label(name) == number}
        self._unmerged = _spread_merged(rows, [m for m in self._merged if m[0][0] > at],
                                        numbers)
        return header, self._rows(rows, at, header)

    def _read(self) -> list[list[Any]]:
        self.sheet_read = None
        try:
            raw, self.read_stamp = read_settled(self.path)
        except OSError as exc:
            raise SourceError(
                "Classeur introuvable ou illisible : vérifiez le chemin dans la configuration.",
                "Workbook missing or unreadable: check the path in the configuration.") from exc
        refuse_truncated_workbook(raw)
        try:
            book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(raw))
        except python_calamine.CalamineError as exc:
            raise SourceError(
                "Fichier illisible comme classeur (.xlsx, .ods, .xls) : est-ce un export CSV ? "
                "Indiquez alors \"type\": \"csv\".",
                "File unreadable as a workbook: is it a CSV export? Then set \"type\": \"csv\".",
            ) from exc
        try:
            names = book.sheet_names
            if self.sheet is not None and self.sheet not in names:
                raise ConfigurationError(
                    f"Feuille « {self.sheet} » absente du classeur (feuilles : "
                    f"{', '.join(names)}) : corrigez « feuille » dans la configuration.",
                    f"Sheet '{self.sheet}' not in the workbook ({', '.join(names)}).")
            shown = _shown(book)
            first = self.sheet or next((n for n in _worksheets(book) if n in shown),
                                       _worksheets(book)[0])
            sheet = book.get_sheet_by_name(first)  # each sheet is parsed once, a long one too
            rows = sheet.to_python(skip_empty_area=False)
            read = sheet_header(self.mapping, first, first in shown, rows[:HEADER_SEARCH])
            if read.absent:  # not every mapped column: is another sheet the table?
                headers = self._headers(book, read, shown)
                if self.sheet is not None:
                    refuse_if_elsewhere(read, headers, named=True)
                elif (name := choose(headers)) != first:
                    sheet = book.get_sheet_by_name(name)
                    rows = sheet.to_python(skip_empty_area=False)
            self.sheet_read = sheet.name
            self._marks(sheet)
            return rows
        finally:
            book.close()

    def _headers(self, book: python_calamine.CalamineWorkbook, read: SheetHeader,
                 shown: set[str]) -> list[SheetHeader]:
        """What the header of each worksheet names of the mapping, in the workbook's order
        (`read`, the sheet already read, is one even when it is not a worksheet)."""
        names = _worksheets(book)
        if read.name not in names:
            names.append(read.name)
        return [read if name == read.name else sheet_header(
            self.mapping, name, name in shown, book.get_sheet_by_name(name).to_python(
                skip_empty_area=False, nrows=HEADER_SEARCH)) for name in names]

    def _marks(self, sheet: Any) -> None:
        """The sheet's error cells and merges (an .ods: both from one walk of its XML)."""
        marks = ods_marks(self.path, sheet.name)
        if marks is None:
            self._errors = error_cells(self.path, sheet.name)
            self._merged = sheet.merged_cell_ranges or []
        else:
            self._errors, self._merged = marks

    def _rows(self, rows: list[list[Any]], header_at: int, header: list[str]) -> Iterator[Row]:
        read = {normalize_label(r.source) for r in self.mapping.all_rules() if r.source}
        mapped = {i: name for i, name in enumerate(header) if normalize_label(name) in read}
        errors: dict[int, list[MappingProblem]] = collections.defaultdict(list)
        for (row, column), shown in sorted(self._errors.items()):
            if column in mapped:
                errors[row + 1].append(_no_result_cell(mapped[column]) if shown == NO_RESULT
                                       else _error_cell(mapped[column], shown))
        for number, cells in enumerate(rows[header_at + 1:], start=header_at + 2):
            values = [_cell(cell) for cell in cells]
            problems = tuple(errors.get(number, ()))
            if number - 1 in self._unmerged:
                column = self._unmerged[number - 1]
                problems += (_merged_number(header[column], column),)
            if problems or any(v != "" for v in values):
                yield Row(number, values, problems)


def _worksheets(book: python_calamine.CalamineWorkbook) -> list[str]:
    """The names of the sheets holding cells (not a chart sheet), in the workbook's order."""
    return [m.name for m in book.sheets_metadata
            if m.typ == python_calamine.SheetTypeEnum.WorkSheet] or book.sheet_names


def _shown(book: python_calamine.CalamineWorkbook) -> set[str]:
    """The names of the sheets the member sees (not hidden, nor very hidden)."""
    return {m.name for m in book.sheets_metadata
            if m.visible == python_calamine.SheetVisibleEnum.Visible}


def _spread_merged(rows: list[list[Any]], merged: list[tuple[Cell, Cell]],
                   numbers: set[int]) -> dict[int, int]:
    """A value merged over several cells of the table (a project's title over the rows of
    its two associates) is kept by the workbook in the top-left one only: each cell of
    the merge reads it, as the sheet shows it (merges in the header are the header's).
    A record number is one person's: merged over rows below its own (in a column of
    `numbers`), it is not copied, and each of those rows' number is unread. Answers those
    rows' indexes, each with the column left blank."""
    unread: dict[int, int] = {}
    for (top, left), (bottom, right) in merged:
        if top >= len(rows) or left >= len(rows[top]):
            continue
        value = rows[top][left]
        for at in range(top, min(bottom, len(rows) - 1) + 1):
            row = rows[at]
            row[left:right + 1] = [value] * len(row[left:right + 1])
            for column in numbers & set(range(left, right + 1)):
                if at > top and column < len(row):
                    row[column] = ""
                    unread[at] = column
    return unread


def _merged_number(name: str, column: int) -> MappingProblem:
    return MappingProblem(
        "$.fiche_id", "cellule_fusionnee",
        f"Numéro de dossier illisible : sa cellule (colonne {column_letters(column)}) est fusionnée avec "
        "celle de la ligne au-dessus, dont le numéro n'est pas celui de cette ligne. "
        "Défusionnez-la et écrivez le numéro de cette ligne ; elle n'est pas envoyée.",
        f"Record number unreadable: its cell (column {column_letters(column)}) is merged with the one of the "
        "row above, whose number is not this row's. Unmerge it and write this row's number; "
        "the row is not sent.", name)


def _error_cell(column: str, shown: str) -> MappingProblem:
    return MappingProblem(
        "$", "cellule_en_erreur",
        f"Cellule en erreur ({shown}) dans le classeur, lue vide : corrigez sa formule ; la "
        "ligne n'est pas envoyée.",
        f"Cell showing an error ({shown}) in the workbook, read as empty: fix its formula; "
        "the row is not sent.", column)


def _no_result_cell(column: str) -> MappingProblem:
    return MappingProblem(
        "$", "formule_non_calculee",
        "Formule enregistrée sans son résultat (fichier écrit par un logiciel d'export, "
        "ou classeur en recalcul manuel), lue vide : ouvrez le classeur dans un tableur en "
        "recalcul automatique et enregistrez-le, ou exportez les valeurs plutôt que les "
        "formules ; la ligne n'est pas envoyée.",
        "Formula saved without its result (file written by an export library, or "
        "workbook in manual recalculation), read as empty: open the workbook in a "
        "spreadsheet with automatic recalculation and save it, or export values rather "
        "than formulas; the row is not sent.", column)


def _cell(value: Any) -> Any:
    """Dates stay dates; whole floats lose their `.0`; the rest is text."""
    if isinstance(value, dt.datetime | dt.date):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return _text(value)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    return str(value)
