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
from pathlib import Path

from connectors.sheet_errors import Cell, count, ods_cells, ods_error

_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"


Merge = tuple[Cell, Cell]


def ods_marks(path: Path, sheet: str) -> tuple[dict[Cell, str], list[Merge]] | None:
    """The error cells (`connectors.sheet_errors`) and the merges, as ((top, left),
    (bottom, right)), of `sheet`, from one walk of content.xml. None when the file is no
    OpenDocument workbook; none of either when it cannot be read (what calamine read is
    all there is)."""
    errors: dict[Cell, str] = {}
    merges: list[Merge] = []
    try:
        with zipfile.ZipFile(path) as archive:
            if "content.xml" not in archive.namelist():
                return None
            with archive.open("content.xml") as content:
                for cell, element in ods_cells(content, sheet):
                    if (shown := ods_error(element)) is not None:
                        errors[cell] = shown
                    if (merge := _merge(cell, element)) is not None:
                        merges.append(merge)
    except zipfile.BadZipFile:
        return None
    except (OSError, ET.ParseError, KeyError):
        return {}, []
    return errors, merges


def _merge(cell: Cell, element: ET.Element) -> Merge | None:
    rows = count(element.get(_TABLE + "number-rows-spanned"))
    columns = count(element.get(_TABLE + "number-columns-spanned"))
    if rows == columns == 1:
        return None
    row, column = cell
    return cell, (row + rows - 1, column + columns - 1)
