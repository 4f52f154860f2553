"""Spreadsheet exports as French offices produce them.

`;` separator, UTF-8 with BOM, UTF-8, UTF-16 with BOM, Windows-1252 or Mac Roman (detected), dates dd/mm/yyyy,
decimal commas, phone numbers in any French format, header names matched to the
mapping file without regard to case, accents or punctuation.

Tracking, deleted rows, keys on two rows and row numbers: see `connectors.table_source`.

A bad row never stops the file: a line undecodable in the file's encoding, with
too few or too many cells, or with an unreadable date becomes a record with
`problems`, quoted in the rejects file by its row number. A workbook (.xlsx, .ods)
given as a CSV file is refused with a hint (its sources read it: `SheetSource`). A cell
a CRM wrote as an Excel text formula (`="01000"`) is its text, and so is a cell marked
as text by a leading apostrophe (`'01000`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from connectors.csv_quotes import QuoteCheck, RawLines
from connectors.errors import ConfigurationError, SourceError
from connectors.file_writing import read_settled, refuse_unended
from connectors.mapping import Mapping, MappingProblem
from connectors.shifted_cells import shifted_cells
from connectors.single_byte import single_byte
from connectors.table_source import HEADER_SEARCH, Row, TableSource, header_index, header_row

_UNDECODED = re.compile("[\udc80-\udcff]")
BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def detect_encoding(raw: bytes) -> str:
    """"utf-8-sig" (BOM), "utf-16" (its BOM: Excel's « Texte Unicode »; or without it,
    "utf-16-le" / "utf-16-be"), "utf-8",
    "cp1252" or "mac_roman", from the lines holding non-ASCII bytes.

    A file mostly in UTF-8 with a few broken lines stays UTF-8 (those lines are
    rejected); a file whose accented lines are not UTF-8 is Windows-1252, or Mac Roman
    when that reading is the more plausible French (`connectors.single_byte`).
    """
    if raw.startswith(BOM):
        return "utf-8-sig"
    if raw.startswith(UTF16_BOMS):
        return "utf-16"
    without_bom = _utf16_without_bom(raw)
    if without_bom:
        return without_bom
    good = bad = 0
    for line in raw.splitlines():
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            good += 1
        except UnicodeDecodeError:
            bad += 1
    return "utf-8" if good >= bad else single_byte(raw)


def _utf16_without_bom(raw: bytes) -> str | None:
    """"utf-16-le" or "utf-16-be" when most of the first bytes' odd (or even) positions
    are NUL, as in UTF-16 text mostly of Latin letters written without a BOM (SQL
    Server's bcp -w, some exports); a text in a single-byte encoding or UTF-8 holds no NUL
    but by mistake."""
    head = raw[:4096]
    head = head[:len(head) - len(head) % 2]  # a stray last byte: the pairs before it
    if len(head) < 4:
        return None
    half = len(head) // 2
    odd, even = head[1::2].count(0), head[0::2].count(0)
    if odd > 0.4 * half and even < 0.05 * half:
        return "utf-16-le"
    if even > 0.4 * half and odd < 0.05 * half:
        return "utf-16-be"
    return None


def _unreadable(encoding: str, column: str | None) -> MappingProblem:
    shown = encoding.upper().replace("_", " ")
    return MappingProblem(
        "$", "encodage_invalide",
        f"Cellule illisible en {shown} (octet sans caractère dans cet encodage) : corrigez-la "
        "ou enregistrez l'export en « CSV UTF-8 ».",
        f"Cell unreadable as {shown} (a byte with no character in this encoding): fix it or "
        "save the export as « CSV UTF-8 ».", column)


_SEPARATORS = (";", ",", "\t", "|")


def _unclosed_quote(fr: str, en: str, column: str | None) -> MappingProblem:
    return MappingProblem("$", "guillemet_non_ferme", fr, en, column)


def formula_text(cell: str) -> str:
    """A cell a CRM wrote as an Excel text formula so that a spreadsheet keeps its leading
    zeros (`="01000"`, quotes doubled inside) read as its text; other cells as they are."""
    if len(cell) >= 3 and cell.startswith('="') and cell.endswith('"'):
        inner = cell[2:-1]
        if '"' not in inner.replace('""', ""):
            return inner.replace('""', '"')
    return cell


def marked_text(cell: str) -> str:
    """A cell marked as text by a leading apostrophe (`'01000`, `'0612345678`,
    `'12/03/1985`, `'=Gîte`: a spreadsheet's mark to keep a value from being read as a
    number, a date or a formula, which a CRM's export or a copied sheet leaves in the
    file) read without it; an apostrophe before a letter (`'t Hart`) is the text's."""
    if len(cell) >= 2 and cell[0] == "'" and cell[1] in _MARKED:
        return cell[1:]
    return cell


def text_of(cell: str) -> str:
    """The text a spreadsheet shows for a cell written as a text formula or marked as text."""
    return marked_text(formula_text(cell))


_MARKED = frozenset("0123456789+-=@.,")
_MARK = re.compile(r"'[-0-9+=@.,]")


def _misplaced(cells: list[str], width: int) -> bool:
    """Cells out of their columns for sure: fewer than the header's, or more with one
    filled past it. More left empty are out of their columns too when most rows hold
    fewer (a separator in a value of a row whose last cell is empty: `_rows`); an export
    ending every row but the header with a separator is read."""
    return len(cells) < width or any(c.strip() for c in cells[width:])


def _ending(reader: Any) -> Iterator[tuple[list[str], int]]:
    """Each record with the number of the line it ends on."""
    for cells in reader:
        yield cells, reader.line_num


def _cells_up_to(length: int) -> None:
    """No cell of a text is longer than the text: `csv`'s default field limit (131,072
    characters, process-wide) raised a traceback on a note pasted whole into a cell, or a
    quote never closed swallowing the rest of a large export (then named on its row)."""
    csv.field_size_limit(max(csv.field_size_limit(), length + 1))


def _refuse_tie(tied: list[str]) -> None:
    """Two separators find a header naming as many mapped columns (a header line pasted in
    a cell of a multi-line note, split by the other): reading either may reject every row."""
    shown = " et ".join(f"« {'tabulation' if s == chr(9) else s} »" for s in tied)
    raise ConfigurationError(
        f"Séparateur incertain : {shown} découpent chacun un en-tête aussi complet (une "
        "cellule du fichier contient peut-être une ligne d'en-tête écrite avec l'autre). "
        "Indiquez « separateur » dans la configuration : rien n'a été envoyé ni retiré.",
        "Separator unclear: each of " + ", ".join(repr(s) for s in tied) + " splits an "
        "equally complete header. Set \"separateur\" in the configuration: nothing was "
        "sent or withdrawn.")


_WORKBOOKS = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")  # zip (.xlsx, .ods), OLE (.xls)


class CsvSource(TableSource):
    """A CSV export of a member's spreadsheet."""

    kind = "csv"

    def __init__(self, mapping: Mapping, path: str | Path, *, separator: str | None = None,
                 encoding: str = "auto", mode: str = "auto") -> None:
        """`separator` None (« separateur » left out): the one that finds the header."""
        super().__init__(mapping, mode=mode)
        self.path = Path(path)
        self.configured_separator = separator
        self.separator = separator or ";"
        self.encoding = encoding
        self.detected_encoding: str | None = None
        self._undecoded = False
        self._text_marks = False
        self._read_text = ""
        self._header_at = 0
        self._swallowing: list[int] = []

    def _text(self) -> str:
        try:
            raw, self.read_stamp = read_settled(self.path)
        except OSError as exc:
            raise SourceError(
                "Fichier CSV introuvable ou illisible : vérifiez le chemin dans la configuration.",
                "CSV file missing or unreadable: check the path in the configuration.",
            ) from exc
        if raw.startswith(_WORKBOOKS):
            raise SourceError(
                "Ce fichier est un classeur (.xlsx, .ods, .xls), pas un export CSV : indiquez "
                "\"type\": \"tableur\" dans la configuration (lu directement, sans export).",
                "This file is a workbook (.xlsx, .ods, .xls), not a CSV export: set "
                "\"type\": \"tableur\" in the configuration (read directly, no export).")
        encoding = detect_encoding(raw) if self.encoding == "auto" else self.encoding
        self.detected_encoding = encoding
        try:
            text = raw.decode(encoding, errors="surrogateescape")
        except LookupError as exc:
            raise SourceError("Encodage inconnu dans la configuration.",
                              "Unknown encoding in the configuration.") from exc
        except UnicodeDecodeError as exc:  # UTF-16 cut short: bytes escape no line alone
            shown = encoding.upper()
            raise SourceError(
                f"Fichier endommagé : illisible en {shown} (fichier tronqué ou caractère "
                "invalide). Exportez-le de nouveau depuis le tableur (« Enregistrer sous », "
                "même format) ; rien n'a été envoyé ni retiré.",
                f"Damaged file: unreadable as {shown} (truncated file or invalid "
                "character). Export it again from the spreadsheet: nothing was sent or "
                "withdrawn.") from exc
        refuse_unended(text)
        return text

    def _fallback_time(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(int(self.path.stat().st_mtime), dt.UTC)

    def _table(self) -> tuple[list[str] | None, Iterator[Row]]:
        text = self._read_text = self._text()
        _cells_up_to(len(text))
        self._swallowing = []
        # cells are searched for undecodable bytes only when the file holds some
        self._undecoded = _UNDECODED.search(text) is not None
        # cells are rewritten only when the file holds a formula or a mark that may be one
        self._text_marks = '="' in text or _MARK.search(text) is not None
        if self.configured_separator is None:
            self.separator = self._separator_finding_the_header(text)
        records = _ending(csv.reader(io.StringIO(text, newline=""), delimiter=self.separator))
        ended = list(itertools.islice(records, HEADER_SEARCH))
        head = [cells for cells, _ in ended]
        if not head:
            return None, iter(())
        self._header_at = header_index(self.mapping, head)
        if not self.mapping.header_score(head[self._header_at]):
            self._check_separator(text)
        header = header_row(self.mapping, head, self._header_at)
        rest = itertools.chain(ended[self._header_at + 1:], records)
        return header, self._rows(rest, header, self._header_at + 2, ended[self._header_at][1])

    def doubtful_lines(self) -> list[int]:
        return list(self._swallowing)

    def _separator_finding_the_header(self, text: str) -> str:
        """Of `;`, `,`, tab and `|`, the one whose split of the first rows names the most
        mapped columns (`;` when none names any: the header's own error follows)."""
        def named(separator: str) -> int:
            rows = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
            return max(map(self.mapping.header_score, itertools.islice(rows, HEADER_SEARCH)),
                       default=0)
        scores = {separator: named(separator) for separator in _SEPARATORS}
        best = max(scores.values())
        tied = [separator for separator, score in scores.items() if score == best]
        if best and len(tied) > 1:
            _refuse_tie(tied)
        return tied[0]  # `;` when none names any column

    def _check_separator(self, text: str) -> None:
        """No row names a mapped column: when another separator would find the header,
        the configuration's `separateur` is wrong (every row would be rejected)."""
        for other in _SEPARATORS:
            if other == self.separator:
                continue
            lines = csv.reader(io.StringIO(text, newline=""), delimiter=other)
            if any(self.mapping.header_score(c) for c in itertools.islice(lines, HEADER_SEARCH)):
                shown = "tabulation" if other == "\t" else other
                raise ConfigurationError(
                    f"Le séparateur « {self.separator} » ne découpe pas l'en-tête : ce fichier "
                    f"utilise « {shown} ». Corrigez « separateur » dans la configuration.",
                    f"Separator '{self.separator}' does not split the header: this file uses "
                    f"'{other}'. Fix \"separateur\" in the configuration.")

    def _key_cells(self) -> Iterator[tuple[int, list[Any]]]:
        """The file parsed again (C speed) for the key pass: cheaper than keeping rows."""
        reader: Iterator[list[str]] = csv.reader(io.StringIO(self._read_text, newline=""),
                                                 delimiter=self.separator)
        for _ in range(self._header_at + 1):
            next(reader, None)
        if self._text_marks:
            reader = ([text_of(c) for c in cells] for cells in reader)
        return enumerate(reader, start=self._header_at + 2)

    def _rows(self, reader: Iterator[tuple[list[str], int]], header: list[str], first: int,
              start: int) -> Iterator[Row]:
        width, usual = len(header), self.usual_width()  # read on the first row: keys read
        quotes = QuoteCheck(self.separator, self.mapping.key_reader(header), self._seen,
                            self.known_keys)
        raw = RawLines(self._read_text)
        for number, (cells, end) in enumerate(reader, start=first):  # the row shown
            start, lines = end, (start, end)
            if not "".join(cells).strip():
                continue
            if self._text_marks:
                cells = [text_of(c) for c in cells]
            problems = []
            swallowing = quotes.swallowing_cell(cells, width, raw.between(*lines)) \
                if lines[1] - lines[0] > 1 else None
            if _misplaced(cells, width) or (  # one more empty cell: a quote's doing, if any
                    swallowing is None and width < len(cells) != usual):
                problems.append(shifted_cells(number, len(cells), max(width, usual),
                                              self.separator))
            if swallowing is not None:
                self._swallowing.append(number)
                problems.append(_unclosed_quote(
                    "Guillemet ouvert dans cette cellule et jamais refermé à sa fin : les "
                    "lignes suivantes de l'export ont été lues comme son texte. Retirez ce "
                    "guillemet (ou écrivez-le deux fois) dans le tableur et exportez de "
                    "nouveau ; aucune fiche n'est retirée du réseau d'ici là.",
                    "A quote opened in this cell is never closed at its end: the following "
                    "lines of the export were read as its text. Remove the quote (or type it "
                    "twice) and export again; no fiche is withdrawn until then.",
                    header[swallowing] if swallowing < width and header[swallowing] else None))
            if self._undecoded and any(_UNDECODED.search(c) for c in cells):
                where = next(i for i, c in enumerate(cells) if _UNDECODED.search(c))
                column = header[where] if where < width and header[where] else None
                problems.append(_unreadable(self.detected_encoding or self.encoding, column))
                # the bytes are named by the problem; the mapping reads the rest of the row
                cells = [_UNDECODED.sub("\ufffd", c) for c in cells]
            yield Row(number, cells, tuple(problems))
