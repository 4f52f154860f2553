"""A full export read as a table (a CSV file or a spreadsheet's sheet): what both share.

The whole table is read on every run, so rows gone from it are known (`deleted_keys`),
and so are keys written on two rows: both rows are rejected, each naming the other
(the hub would otherwise get whichever row came last, and the fiche would flip between
the two on each run); so are two numbers giving one fiche_id (`connectors.fiche_ids`).
Each record's `line` is the row number the spreadsheet shows
(a cell holding line breaks is still one row).

The header is the row, among the first `HEADER_SEARCH`, naming the most mapped columns:
titles typed above the table are skipped, and a heading merged down from the row above
(a two-row header) is read from that row. A totals row (no key, a cell reading "Total")
is not a record, nor is one reading "Total" in the dossier number's column: the cell
must read "Total" (« Totaux », « Sous-total », « Total général ») whole, so a dossier
number « TOTAL-2026-001 » is read, and a keyless row whose project is « Totalement
bio » is rejected like any keyless row.

Tracking (`suivi`): by default (`empreinte`) every row is read and the content
fingerprint decides what changed, so an edit without a new modification date is never
missed; `date_modification` skips rows dated before the cursor's day, except the keys
the hub refused last time (`retry_keys`), which are read again until accepted.
"""

from __future__ import annotations

import abc
import collections
import dataclasses
import datetime as dt
import difflib
import re
from collections.abc import Iterable, Iterator
from typing import Any

from connectors.base import Connector, SourceRecord
from connectors.date_order import DateOrder
from connectors.errors import ConfigurationError
from connectors.fiche_ids import clashing_keys, same_fiche_id
from connectors.file_writing import FileStamp
from connectors.mapping import Mapping, MappingProblem, normalize_label
from connectors.shifted_cells import shifted
from connectors.vanished_columns import (
    FilledColumns,
    refuse_emptied_columns,
    refuse_vanished_columns,
)

HEADER_SEARCH = 30


@dataclasses.dataclass(frozen=True)
class Row:
    number: int
    cells: list[Any]
    problems: tuple[MappingProblem, ...] = ()


def _duplicate(rows: list[int], column: str | None) -> MappingProblem:
    others = ", ".join(str(r) for r in rows)
    return MappingProblem(
        "$.fiche_id", "identifiant_en_double",
        f"Ce numéro de dossier figure sur plusieurs lignes ({others}) : gardez-en une seule "
        "ou corrigez le numéro.",
        f"This record number is on several rows ({others}): keep one or fix the number.", column)


def header_scores(mapping: Mapping, rows: list[list[Any]]) -> list[int]:
    """How many mapped columns each of the first `HEADER_SEARCH` rows names once its blanks
    take the labels above them (`header_row`): in a two-row header the top row may name
    more columns (« N° dossier », « Projet » merged down beside « Porteur ») than the row
    under it (« Nom », « Prénom »), which names them all once filled. A row naming no
    mapped column itself scores 0 (a blank row under the header is no header)."""
    head = [[_heading(cell) for cell in cells] for cells in rows[:HEADER_SEARCH]]
    return [mapping.header_score(header_row(mapping, head, index))
            if mapping.header_score(cells) else 0 for index, cells in enumerate(head)]


def header_index(mapping: Mapping, rows: list[list[Any]]) -> int:
    """The index of the best scoring row (`header_scores`), the lower one on a tie (the
    row under a two-row header's top); 0 when none names any mapped column."""
    scores = header_scores(mapping, rows)
    best = max(scores, default=0)
    return len(scores) - 1 - scores[::-1].index(best) if best else 0


def header_row(mapping: Mapping, rows: list[list[Any]], at: int) -> list[str]:
    """The header `rows[at]`, each blank heading taking the nearest label above it when
    the mapping reads that label: a heading merged down over two header rows
    (« N° dossier » beside « Porteur » above « Nom », « Prénom ») is written in the top
    cell only, by the workbook and by its CSV export alike. Other labels above (a title,
    an export date) are left there, so that a new export date renames no column."""
    header = [_heading(cell) for cell in rows[at]]
    for index, heading in enumerate(header):
        if heading:
            continue
        above = [_heading(row[index]) for row in rows[:at] if index < len(row)]
        label = next((label for label in reversed(above) if label), "")
        if label and mapping.header_score([label]):
            header[index] = label
    return header


def _heading(cell: Any) -> str:
    return "" if cell is None else str(cell).strip().lstrip("\ufeff")


def closest_labels(wanted: str, labels: list[str], count: int = 3) -> list[str]:
    """The (normalized) headings nearest `wanted`: those holding all its words or all of
    whose words it holds (« Nom » and « Nom de famille ») first, then the most alike."""
    words = set(wanted.split())
    holding = [c for c in labels if words <= set(c.split()) or set(c.split()) <= words]
    alike = difflib.get_close_matches(wanted, labels, n=count, cutoff=0.5)
    return list(dict.fromkeys([*holding, *alike]))[:count]


def check_required_columns(mapping: Mapping, header: list[str], missing: list[str]) -> None:
    """Raise a ConfigurationError when a column every row needs (the identity's, those of
    the fields marked `obligatoire`) is not in the header, naming each one and the file's
    closest headings: every row would otherwise be rejected (or withdrawn as gone)."""
    absent = [c for c in mapping.required_columns() if c in missing]
    if not absent:
        return
    labels = {normalize_label(h): h for h in header if h.strip()}
    named = mapping.header_score(header)
    parts = []
    for column in absent:
        # a row naming no mapped column may be a row of values (an export saved without
        # its header): none of its cells is quoted, however much one resembles a heading
        close = closest_labels(normalize_label(column), list(labels)) if named else []
        near = " ; colonnes proches : " + ", ".join(f"« {labels[c]} »" for c in close) \
            if close else ""
        parts.append(f"« {column} » introuvable{near}")
    listed = ", ".join(f"« {h} »" for h in list(labels.values())[:12])
    found = f"Colonnes du fichier : {listed}." if named else (
        f"Aucune des {HEADER_SEARCH} premières lignes ne nomme une colonne de la "
        "correspondance : l'export a-t-il sa ligne d'en-tête (« Inclure les en-têtes ») ? "
        "Ses colonnes ont-elles été renommées ? Comparez-les aux « source » de la "
        "correspondance.")
    raise ConfigurationError(
        f"En-tête sans colonne attendue par la correspondance : {' ; '.join(parts)}. {found} "
        "Corrigez « source » dans le fichier de correspondance ou l'en-tête de l'export : "
        "rien n'a été envoyé ni retiré.",
        f"Header lacks columns the mapping needs: {', '.join(absent)}. Fix \"source\" in "
        "the mapping file or the export's header: nothing was sent or withdrawn.")


def column_letters(index: int) -> str:
    """The spreadsheet's name of the column at `index` (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _repeated(mapping: Mapping, header: list[str]) -> list[tuple[str, list[int]]]:
    """Each column the mapping reads that the header names more than once, with where."""
    positions: dict[str, list[int]] = collections.defaultdict(list)
    for index, heading in enumerate(header):
        positions[normalize_label(heading)].append(index)
    sources = dict.fromkeys(r.source for r in mapping.all_rules()
                            if r.source and not r.source.startswith("$"))
    return [(source, positions[normalize_label(source)]) for source in sources
            if len(positions[normalize_label(source)]) > 1]


def settle_repeated_columns(mapping: Mapping, header: list[str],
                            rows: Iterable[list[Any]]) -> list[str]:
    """The header with each column the mapping reads named once (the others' headings
    blanked): a column named twice (« Nom » under « Porteur » and again under
    « Référent ») is read from its first copy when no later copy holds, on any row, a
    value other than the first copy's. Raise a ConfigurationError naming the columns
    (never their values) otherwise: reading either could send another person's name
    under the porteur's."""
    repeated = _repeated(mapping, header)
    if not repeated:
        return header
    # only the first copy is ever read: a later one is usually another person's (« Nom »
    # under « Référent »), so a later copy may hold, on any row, nothing or the first
    # copy's value (an empty first copy beside a filled later one is a porteur's name not
    # typed yet, never the referent's to be read instead)
    differing: set[int] = set()
    for cells in rows:
        for index, (_, at) in enumerate(repeated):
            first = _cell_text(cells, at[0])
            if any((later := _cell_text(cells, i)) and later != first for i in at[1:]):
                differing.add(index)
    settled = list(header)
    for _, at in repeated:
        for i in at[1:]:
            settled[i] = ""
    disagreeing = [repeated[index] for index in sorted(differing)]
    if disagreeing:
        _refuse_repeated(disagreeing)
    return settled


def _cell_text(cells: list[Any], index: int) -> str:
    return _heading(cells[index]) if index < len(cells) else ""


def _refuse_repeated(repeated: list[tuple[str, list[int]]]) -> None:
    parts = [f"« {source} » (colonnes {', '.join(column_letters(i) for i in at[:-1])} et "
             f"{column_letters(at[-1])})" for source, at in repeated]
    raise ConfigurationError(
        f"Colonne nommée plusieurs fois dans l'en-tête, avec des valeurs différentes sur "
        f"une même ligne : {' ; '.join(parts)}. Le connecteur ne peut pas savoir laquelle "
        "lire : renommez les autres dans le tableur (par exemple « Nom référent ») ; rien "
        "n'a été envoyé ni retiré.",
        "Column named more than once in the header, with different values on one row: "
        f"{', '.join(source for source, _ in repeated)}. Rename the others in the "
        "spreadsheet: nothing was sent or withdrawn.")


TOTALS_LABELS = frozenset({"total", "totaux", "sous total", "sous totaux", "total general"})
_TOTALS_WORDS = re.compile(r"(?:sous )?tota(?:l|ux)(?: |$)")


def _refuse_unreadable_heading(header: list[str]) -> None:
    """A header cell holding a byte no character reads (a stray byte of another encoding):
    its column cannot be told, nor saved with the checkpoint; nothing is sent."""
    unreadable = [column_letters(i) for i, name in enumerate(header) if _UNREADABLE.search(name)]
    if unreadable:
        where = ", ".join(unreadable)
        raise ConfigurationError(
            f"En-tête illisible en colonne {where} : un caractère d'un autre encodage y est "
            "écrit (cellule collée d'un ancien fichier ?). Récrivez ce titre de colonne dans "
            "le tableur et exportez de nouveau : rien n'a été envoyé ni retiré.",
            f"Unreadable header in column {where}: a character of another encoding is "
            "written there. Retype this column title and export again: nothing was sent "
            "or withdrawn.")


def is_totals(cells: list[Any]) -> bool:
    """A row summing the table: one of its cells reads, whole, "Total", "Totaux",
    "Sous-total(aux)" or "Total général" (case, accents and punctuation aside). A dossier
    number « TOTAL-2026-001 » or a project « Totalement bio » is no such cell."""
    return any(isinstance(c, str) and normalize_label(c) in TOTALS_LABELS for c in cells)


def is_totals_row(cells: list[Any], key: str | None) -> bool:
    """A row summing the table. Either a cell reads a totals label whole and the dossier
    number is blank or that cell, or the first filled cell begins with the word "Total",
    "Totaux" or "Sous-total" (« Total des besoins », « TOTAL 2026 », « Sous-total
    Ambert ») and no other cell holds a word, only figures. A dossier « TOTAL-2026-001 »
    or « Total 2026 » beside a name, or a keyless row beginning with a name or with
    « Totalement bio », is a record."""
    if (not key or is_totals([key])) and is_totals(cells):
        return True
    filled = [c for c in cells if not isinstance(c, str) or c.strip()]
    if not filled or not isinstance(filled[0], str):
        return False
    return bool(_TOTALS_WORDS.match(normalize_label(filled[0]))) and not any(
        isinstance(c, str) and any(ch.isalpha() for ch in c) for c in filled[1:])


_UNREADABLE = re.compile("[\ufffd\ud800-\udfff]")
_CELL_UNREAD = frozenset(("encodage_invalide", "cellule_en_erreur", "formule_non_calculee",
                          "format"))


def number_unread(record: SourceRecord, key_column: str | None) -> bool:
    """The row's record number cannot be told: blank, holding a byte no character reads
    (shown as U+FFFD) or half a character, its cell unreadable or showing an error, or
    the row's cells shifted (more or fewer than the header's)."""
    if record.key is None or _UNREADABLE.search(record.key):
        return True
    return shifted(record.problems) or any(
        p.code in _CELL_UNREAD and p.colonne == key_column for p in record.problems)


class TableSource(Connector):
    """Rows under a header, read whole on every run."""

    def __init__(self, mapping: Mapping, *, mode: str = "auto") -> None:
        super().__init__(mapping)
        self.use_dates = mode == "date_modification"
        self.retry_keys: set[str] = set()
        self.known_keys: set[str] = set()  # sent before (the checkpoint's), for checks
        self.previous_columns: list[str] = []  # the last complete export's (the checkpoint's)
        self.previous_filled: list[str] = []  # its mapped columns holding a value
        self.filled_columns: list[str] = []  # this export's mapped columns holding a value
        self.columns_confirmed = False  # columns gone since then may be (--confirmer-…)
        self.columns: list[str] = []
        self.rows_read = 0
        self._missing: list[str] = []
        self._seen: set[str] = set()
        self._unread: list[int] = []
        self._doubled: list[int] = []
        self._widths: collections.Counter[int] = collections.Counter()
        self._complete = False
        self.read_stamp: FileStamp | None = None  # the file read (by `changes`)

    def changed_since_read(self, *, content: bool = False) -> bool:
        return self.read_stamp is not None and self.read_stamp.changed_since(content=content)

    @abc.abstractmethod
    def _table(self) -> tuple[list[str] | None, Iterator[Row]]:
        """The header (None: nothing at all) and the rows, blank rows left out."""

    @abc.abstractmethod
    def _fallback_time(self) -> dt.datetime:
        """The modification time of rows that give none (the export's)."""

    def changes(self, since: dt.datetime | None) -> Iterator[SourceRecord]:
        self._seen, self._complete, self.rows_read = set(), False, 0
        self._unread, self._doubled = [], []
        header, rows = self._table()
        if header is None:
            self.columns, self._missing = [], []
            self._complete = True
            return
        _refuse_unreadable_heading(header)
        self.columns = header
        kept: list[Row] = []
        if self._key_cells() is None:  # the rows are kept from `_table` and read again
            rows = iter(kept := list(rows))
        if _repeated(self.mapping, header):  # rare: one more pass, for the copies only
            header = settle_repeated_columns(
                self.mapping, header, (cells for _, cells in self._cells(kept)))
        self._missing = self.mapping.bind(header)
        check_required_columns(self.mapping, header, self._missing)
        if not self.columns_confirmed:
            refuse_vanished_columns(self._missing, self.previous_columns, header)
        fallback = self._fallback_time()
        # Every row's key first (keys on two rows are rejected on both), from the cells
        # alone; each record is then read as it is yielded, so the first batch leaves
        # without waiting for the whole table to be mapped.
        key_of = self.mapping.key_reader(header)
        key_column = self.mapping.identity.column or self.mapping.identity.source
        lines: dict[str, list[int]] = collections.defaultdict(list)
        order = DateOrder(self.mapping, header)
        self._widths = collections.Counter()
        filling = FilledColumns(self.mapping, header)
        for number, cells in self._cells(kept):
            key = key_of(cells)
            if key:
                lines[key].append(number)
            order.see(number, cells)
            filling.see(cells)
            if any(cells):
                self._widths[len(cells)] += 1
        order.check()
        self.filled_columns = filling.filled()
        if lines and not self.columns_confirmed:
            refuse_emptied_columns(filling.emptied(self.previous_filled))
        self._seen = set(lines)
        clashes = clashing_keys(self.mapping, lines, self.known_keys)
        self._seen.update(k for others in clashes.values() for k in others)  # refused, not gone
        for row in rows:
            key = key_of(row.cells)
            if is_totals_row(row.cells, key):
                continue
            self.rows_read += 1
            record = self.record(dict(zip(header, row.cells, strict=False)), line=row.number,
                                 problems=row.problems, default_time=fallback)
            if number_unread(record, key_column) and record.key not in self.known_keys:
                self._unread.append(row.number)
            if record.key and len(lines[record.key]) > 1:
                others = [n for n in lines[record.key] if n != record.line]
                self._doubled.append(row.number)
                record = dataclasses.replace(record, deleted=False,
                                             problems=(*record.problems, _duplicate(others, key_column)))
            elif record.key in clashes:
                rivals = clashes[record.key]
                on = sorted(n for k in rivals for n in lines.get(k, []))
                problem = same_fiche_id(on, any(k not in lines for k in rivals), key_column)
                self._doubled.append(row.number)  # holds every withdrawal, as a doubled number
                record = dataclasses.replace(record, deleted=False,
                                             problems=(*record.problems, problem))
            elif self._is_old(record, since):
                continue
            yield record
        self._complete = True

    def usual_width(self) -> int:
        """How many cells most rows hold, counted by the key pass (before any row is read
        into a record): more than the header's when an export ends every row but the
        header with a separator."""
        return self._widths.most_common(1)[0][0] if self._widths else 0

    def _key_cells(self) -> Iterator[tuple[int, list[Any]]] | None:
        """(row number, cells) of every row of the table `_table` just read, cheaply, for
        the key pass; None: the rows are kept from `_table` and read twice."""
        return None

    def _cells(self, kept: list[Row]) -> Iterator[tuple[int, list[Any]]]:
        again = self._key_cells()
        return again if again is not None else ((row.number, row.cells) for row in kept)

    def _is_old(self, record: SourceRecord, since: dt.datetime | None) -> bool:
        if not (self.use_dates and since and record.modified_at) or record.problems:
            return False
        if record.key in self.retry_keys:
            return False
        return record.modified_at.date() < since.date()

    def deleted_keys(self, known: set[str]) -> set[str]:
        """Keys sent before and absent from this export (only after a complete read)."""
        return known - self._seen if self._complete else set()

    def unread_numbers(self) -> list[int]:
        return list(self._unread)

    def doubled_numbers(self) -> list[int]:
        return list(self._doubled)

    def missing_columns(self) -> list[str]:
        return list(self._missing)
