"""Spreadsheet exports as French offices produce them.

`;` separator, UTF-8 with BOM, UTF-8 or Windows-1252 (detected), dates dd/mm/yyyy,
decimal commas, phone numbers in any French format, header names matched to the
mapping file without regard to case, accents or punctuation.

Incremental reading: with a `modification` rule in the mapping, rows modified
before the cursor are skipped (on the same day they are read again, and the runner
skips unchanged content); without it, every row is read and the content hash
decides (`mode: empreinte`). The file is always read whole, so rows gone from it
are known: `deleted_keys` reports them.

A bad row never stops the file: a line undecodable in the file's encoding, with
too few or too many cells, or with an unreadable date becomes a record with
`problems`, quoted in the rejects file by its line number.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from pathlib import Path

from connectors.base import Connector, SourceRecord
from connectors.errors import SourceError
from connectors.mapping import Mapping, MappingProblem

_UNDECODED = re.compile("[\udc80-\udcff]")
BOM = b"\xef\xbb\xbf"


def detect_encoding(raw: bytes) -> str:
    """"utf-8-sig" (BOM), "utf-8" or "cp1252", from the lines holding non-ASCII bytes.

    A file mostly in UTF-8 with a few broken lines stays UTF-8 (those lines are
    rejected); a file whose accented lines are not UTF-8 is Windows-1252.
    """
    if raw.startswith(BOM):
        return "utf-8-sig"
    good = bad = 0
    for line in raw.splitlines():
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            good += 1
        except UnicodeDecodeError:
            bad += 1
    return "utf-8" if good >= bad else "cp1252"


def _problem(code: str, fr: str, en: str) -> MappingProblem:
    return MappingProblem("$", code, fr, en, None)


_ENCODING = _problem("encodage_invalide",
                     "Ligne illisible dans l'encodage du fichier (caractères invalides).",
                     "Line unreadable in the file's encoding (invalid characters).")
_TOO_FEW = _problem("colonnes_manquantes", "Ligne avec moins de cellules que l'en-tête.",
                    "Line with fewer cells than the header.")
_TOO_MANY = _problem("colonnes_en_trop", "Ligne avec plus de cellules que l'en-tête.",
                     "Line with more cells than the header.")


class CsvSource(Connector):
    """A CSV export of a member's spreadsheet."""

    kind = "csv"

    def __init__(self, mapping: Mapping, path: str | Path, *, separator: str = ";",
                 encoding: str = "auto", mode: str = "auto") -> None:
        super().__init__(mapping)
        self.path = Path(path)
        self.separator = separator
        self.encoding = encoding
        self.use_dates = mode == "date_modification" or (
            mode == "auto" and mapping.modification is not None)
        self.detected_encoding: str | None = None
        self._missing: list[str] = []
        self._seen: set[str] = set()
        self._complete = False
        self._undecoded = False

    def _text(self) -> str:
        try:
            raw = self.path.read_bytes()
        except OSError as exc:
            raise SourceError(
                "Fichier CSV introuvable ou illisible : vérifiez le chemin dans la configuration.",
                "CSV file missing or unreadable: check the path in the configuration.",
            ) from exc
        encoding = detect_encoding(raw) if self.encoding == "auto" else self.encoding
        self.detected_encoding = encoding
        try:
            return raw.decode(encoding, errors="surrogateescape")
        except LookupError as exc:
            raise SourceError("Encodage inconnu dans la configuration.",
                              "Unknown encoding in the configuration.") from exc

    def _file_time(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(int(self.path.stat().st_mtime), dt.UTC)

    def changes(self, since: dt.datetime | None) -> Iterator[SourceRecord]:
        self._seen, self._complete = set(), False
        text = self._text()
        # cells are searched for undecodable bytes only when the file holds some
        self._undecoded = _UNDECODED.search(text) is not None
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=self.separator)
        header = next(reader, None)
        if header is None:
            self._complete = True
            return
        header = [h.strip().lstrip("\ufeff") for h in header]
        self._missing = self.mapping.bind(header)
        fallback_time = self._file_time()  # rows without their own date: the export's
        line = reader.line_num
        for cells in reader:
            start, line = line + 1, reader.line_num
            if not "".join(cells).strip():
                continue
            record = self._record(header, cells, start, fallback_time)
            if record.key:
                self._seen.add(record.key)
            if self._is_old(record, since):
                continue
            yield record
        self._complete = True

    def _record(self, header: list[str], cells: list[str], line: int,
                fallback_time: dt.datetime) -> SourceRecord:
        problems = []
        if len(cells) < len(header):
            problems.append(_TOO_FEW)
        elif len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
            problems.append(_TOO_MANY)
        if self._undecoded and any(_UNDECODED.search(c) for c in cells):
            problems.append(_ENCODING)
        return self.record(dict(zip(header, cells, strict=False)), line=line,
                           problems=problems, default_time=fallback_time)

    def _is_old(self, record: SourceRecord, since: dt.datetime | None) -> bool:
        if not (self.use_dates and since and record.modified_at) or record.problems:
            return False
        return record.modified_at.date() < since.date()

    def deleted_keys(self, known: set[str]) -> set[str]:
        """Keys sent before and absent from this export (only after a complete read)."""
        return known - self._seen if self._complete else set()

    def missing_columns(self) -> list[str]:
        return list(self._missing)
