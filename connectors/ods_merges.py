"""The merged cells of an OpenDocument sheet (.ods), which python-calamine does not give.

LibreOffice Calc writes a merge as its top-left cell carrying
`table:number-rows-spanned` / `table:number-columns-spanned`, the cells under it as
`table:covered-table-cell`; the value is in the top-left cell only. Positions count
repeated rows and cells (`number-rows-repeated`, `number-columns-repeated`) as the sheet
shows them, from 0, as `python_calamine`'s rows are read (`connectors.sheet_errors.Cell`).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from connectors.sheet_errors import Cell, ods_cells

_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"


def ods_merges(path: Path, sheet: str) -> list[tuple[Cell, Cell]]:
    """Each merge of `sheet` as ((top, left), (bottom, right)); none when the file is no
    OpenDocument workbook or cannot be read (what calamine read is all there is)."""
    try:
        with zipfile.ZipFile(path) as archive, archive.open("content.xml") as content:
            return list(_merges(content, sheet))
    except (zipfile.BadZipFile, OSError, ET.ParseError, KeyError):
        return []


def _merges(content: IO[bytes], sheet: str) -> Iterator[tuple[Cell, Cell]]:
    for (row, column), element in ods_cells(content, sheet):
        rows = _count(element.get(_TABLE + "number-rows-spanned"))
        columns = _count(element.get(_TABLE + "number-columns-spanned"))
        if rows > 1 or columns > 1:
            yield (row, column), (row + rows - 1, column + columns - 1)


def _count(text: str | None) -> int:
    """A repeat or span count as written (1 when absent or not a whole number)."""
    return int(text) if text and text.isascii() and text.isdigit() and int(text) > 0 else 1
