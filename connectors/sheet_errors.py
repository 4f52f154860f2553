"""The cells of a workbook sheet that show an error (`#REF!`, `#N/A`, `#DIV/0!`…) or hold a
formula saved without its result.

Excel and LibreOffice save a formula's result with it, an error too; python-calamine
gives an error cell as an empty one, so a formula gone wrong (a column deleted under a
`RECHERCHEV`) would send the fiche without that field, and its next version would
erase the field at the hub. They are read here from the file itself: the sheet's XML
in an .xlsx/.xlsm (`t="e"`), `calcext:value-type="error"` in an .ods (read with its merges,
in one walk: `connectors.ods_merges.ods_marks`). Other formats (.xls, .xlsb) give none.
Export libraries (openpyxl…) write a formula with no result at all (`<f>` and an empty
`<v/>`; `table:formula` with no value in an .ods), read as empty too: such a cell is
marked `NO_RESULT`. A formula whose saved result is an empty text (`t="str"`, an .ods
string) is an empty cell, as the sheet shows it."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

Cell = tuple[int, int]  # (row, column) from 0, as the sheet's rows are read

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELATION = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_CALC = "{urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0}value-type"
_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}p"
_SHOWN = re.compile(r"#[A-Z0-9/!?.]{1,12}")
_REFERENCE = re.compile(r"([A-Z]+)([0-9]+)")
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
# The attribute holding an .ods cell's value, by its value type (a string's is its text).
_ODS_VALUE = {"float": "value", "percentage": "value", "currency": "value",
              "date": "date-value", "time": "time-value", "boolean": "boolean-value"}
NO_RESULT = ""  # what `error_cells` gives for a formula saved without its result


def error_cells(path: Path, sheet: str) -> dict[Cell, str]:
    """Each error cell of `sheet` and the error it shows (`#?` when not one of the usual
    forms: the text is never a value from the sheet), and each formula saved without its
    result (`NO_RESULT`)."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "content.xml" in names:
                with archive.open("content.xml") as content:
                    return dict(_ods(content, sheet))
            if "xl/workbook.xml" in names:
                part = _xlsx_part(archive, sheet)
                if part in names:
                    with archive.open(part) as content:
                        return dict(_xlsx(content))
    except (zipfile.BadZipFile, OSError, ET.ParseError, KeyError, StopIteration):
        pass  # what calamine read is all there is
    return {}


def _shown(text: str | None) -> str:
    return text if text and _SHOWN.fullmatch(text) else "#?"


def _xlsx_part(archive: zipfile.ZipFile, sheet: str) -> str:
    book = ET.fromstring(archive.read("xl/workbook.xml"))
    relation = next(s.get(_RELATION) for s in book.iter(_MAIN + "sheet") if s.get("name") == sheet)
    links = ET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    target = next(str(r.get("Target")) for r in links if r.get("Id") == relation)
    return target.lstrip("/") if target.startswith("/") else "xl/" + target


def _xlsx(content: IO[bytes]) -> Iterator[tuple[Cell, str]]:
    """Each row is let go at its end, its cells with it (a long sheet is read in the
    memory of one row)."""
    for _, element in ET.iterparse(content):
        if element.tag == _MAIN + "row":
            element.clear()
        if element.tag != _MAIN + "c":
            continue
        found = _REFERENCE.fullmatch(element.get("r") or "")
        shown = _xlsx_mark(element)
        if shown is not None and found:
            letters, digits = found.groups()
            column = 0
            for letter in letters:
                column = column * 26 + ord(letter) - 64
            yield (int(digits) - 1, column - 1), shown
        element.clear()


def _xlsx_mark(element: ET.Element) -> str | None:
    """The error an .xlsx cell shows, `NO_RESULT` for a formula saved without its result
    (a text result may be empty), None otherwise."""
    kind = element.get("t")
    if kind == "e":
        return _shown(element.findtext(_MAIN + "v"))
    if element.find(_MAIN + "f") is None or kind in ("str", "inlineStr", "s"):
        return None
    return NO_RESULT if not (element.findtext(_MAIN + "v") or "").strip() else None


def _ods(content: IO[bytes], sheet: str) -> Iterator[tuple[Cell, str]]:
    for cell, element in ods_cells(content, sheet):
        if (shown := ods_error(element)) is not None:
            yield cell, shown


def ods_error(element: ET.Element) -> str | None:
    """The error an .ods cell shows, `NO_RESULT` for a formula saved without its result
    (None: neither)."""
    if element.get(_CALC) == "error":
        return _shown(element.findtext(_TEXT))
    if element.get(_TABLE + "formula") is None:
        return None
    kind = element.get(_OFFICE + "value-type")
    if kind is None:
        return NO_RESULT
    value = _ODS_VALUE.get(kind)
    return NO_RESULT if value is not None and not element.get(_OFFICE + value) else None


def count(text: str | None) -> int:
    """A repeat or span count as written (1 when absent or not a whole number)."""
    return int(text) if text and text.isascii() and text.isdigit() and int(text) > 0 else 1


def ods_cells(content: IO[bytes], sheet: str) -> Iterator[tuple[Cell, ET.Element]]:
    """Each cell of `sheet` (covered ones too) at its position, repeated rows and cells
    counted as the sheet shows them. The rows of every sheet are let go at their end, not
    only those of `sheet`."""
    inside, row, column = False, 0, 0
    for event, element in ET.iterparse(content, events=("start", "end")):
        tag = element.tag
        if tag == _TABLE + "table":
            inside = event == "start" and element.get(_TABLE + "name") == sheet
        elif event == "start":
            continue
        elif tag == _TABLE + "table-row":
            if inside:
                row += count(element.get(_TABLE + "number-rows-repeated"))
                column = 0
            element.clear()
        elif inside and tag in (_TABLE + "table-cell", _TABLE + "covered-table-cell"):
            yield (row, column), element
            column += count(element.get(_TABLE + "number-columns-repeated"))
