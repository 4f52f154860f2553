"""A quote opened in a CSV cell and never closed, told from a genuine multi-line note.

A spreadsheet quotes a cell holding a line break (its quotes doubled inside), so a
multi-line note is read whole. A cell typed with a lone opening quote and exported
unquoted runs on to the next quote, lines and rows included. A record read over several
lines is such a swallow when:

- it leaves cells beyond the header's width (the quote closed further left);
- read strictly (`csv.reader(..., strict=True)`), it breaks: the quote that ended the
  cell is followed by text, not a separator (« Boulangerie "Au bon pain" »);
- or a line inside the cell, split by the separator, puts in the key column a key on no
  row of the file that the checkpoint knows, or that is shaped like the file's keys
  (`2025-00017`, `COM-0042`) on a line cut as a row is (`width` cells, the record's
  cells after the swallowing one completing the last line): the row was read as text.

Prose with separators (a note in a comma-separated export) passes all three.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Collection
from typing import Any

_LINE_END = re.compile(r"\r\n|\r|\n")  # the line ends of io.StringIO(newline="")
_DIGIT, _LETTER = re.compile(r"\d"), re.compile(r"[^\W\d_]")


def key_shape(key: str) -> str:
    """The key with each digit written 9 and each letter a (`COM-2025-7` -> `aaa-9999-9`)."""
    return _LETTER.sub("a", _DIGIT.sub("9", key))


def breaks_strictly(raw: str, separator: str) -> bool:
    """True when the record's text is not valid CSV read strictly."""
    try:
        for _ in csv.reader(io.StringIO(raw, newline=""), delimiter=separator, strict=True):
            pass
    except csv.Error:
        return True
    return False


class RawLines:
    """The physical lines of a CSV text, by the numbers `csv.reader.line_num` gives."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._starts: list[int] | None = None

    def between(self, start: int, end: int) -> str:
        """The text of lines start+1 to end (as `line_num` counts them, from 1)."""
        if self._starts is None:  # only once a record spans several lines
            self._starts = [0, *(m.end() for m in _LINE_END.finditer(self._text))]
        starts = self._starts
        return self._text[starts[start]:starts[end] if end < len(starts) else len(self._text)]


class QuoteCheck:
    """Finds the swallowing cell of records read over several lines."""

    def __init__(self, separator: str, key_of: Callable[[list[Any]], str | None],
                 file_keys: Collection[str], known_keys: Collection[str]) -> None:
        self.separator = separator
        self._key_of = key_of
        self._file_keys = file_keys
        self._known = known_keys
        self._shapes: set[str] | None = None

    def swallowing_cell(self, cells: list[str], width: int, raw: str) -> int | None:
        """The index of the cell that swallowed rows (None: a genuine record)."""
        broken = [i for i, c in enumerate(cells) if "\n" in c or "\r" in c]
        if not broken:
            return None
        if (len(cells) > width and any(c.strip() for c in cells[width:])) \
                or breaks_strictly(raw, self.separator):
            return broken[0]
        return next((i for i in broken
                     if self.swallowed_keys(cells[i], width, len(cells) - i - 1)), None)

    def swallowed_keys(self, cell: str, width: int, after: int) -> list[str]:
        """The keys of rows of the file a cell holds as lines of its text. A key the
        checkpoint knows is enough; one merely shaped like the file's keys also needs its
        line cut as a row of the file is: a whole row (`width` cells), or, for the last
        line, the start of one that the record's `after` cells end."""
        found = []
        lines = _LINE_END.split(cell)[1:]
        for number, line in enumerate(lines, start=1):
            parts = [p.strip().strip('"') for p in line.split(self.separator)]
            key = self._key_of(parts) if len(parts) > 1 else None
            if not key or key in self._file_keys:
                continue
            row_cut = len(parts) + (after if number == len(lines) else 0) == width
            if key in self._known or (row_cut and key_shape(key) in self._file_shapes()):
                found.append(key)
        return found

    def _file_shapes(self) -> set[str]:
        if self._shapes is None:
            self._shapes = {key_shape(k) for k in self._file_keys}
        return self._shapes
