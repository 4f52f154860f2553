"""A LibreOffice Calc workbook (.ods) written with the standard library only.

Enough of OpenDocument for a commune's tracking sheet: one or more sheets, text cells
(line breaks kept), date and date-time cells typed as dates, numbers. Used by the demo
(the commune's connector reads its workbook directly) and by the connector tests.

    write_ods(path, {"Suivi": [["N° dossier", "Né(e) le"], ["2025-00001", date(1984, 3, 5)]]})
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" \
manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/" manifest:version="1.2" \
manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>"""
_HEAD = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
         'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
         'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
         'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
         'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
         '<office:automatic-styles><style:style style:name="hidden" style:family="table">'
         '<style:table-properties table:display="false"/></style:style></office:automatic-styles>'
         '<office:body><office:spreadsheet>')
_TAIL = "</office:spreadsheet></office:body></office:document-content>"


def write_ods(path: str | Path, sheets: Mapping[str, Sequence[Sequence[Any]]], *,
              merged: Mapping[str, Sequence[tuple[int, int, int]]] | None = None,
              hidden: Collection[str] = ()) -> Path:
    """Write the sheets (name -> rows of cells) in order; answers the path. `merged`: per
    sheet, (row, column, rows) cells merged down over `rows` rows (from 0), written as
    LibreOffice does: the value in the top cell, covered cells below it. `hidden`: the
    sheets hidden (Format > Sheet > Hide), by their table style."""
    path = Path(path)
    parts = [_HEAD]
    for name, rows in sheets.items():
        spans = {(r, c): n for r, c, n in (merged or {}).get(name, ())}
        covered = {(r + k, c) for (r, c), n in spans.items() for k in range(1, n)}
        style = ' table:style-name="hidden"' if name in hidden else ""
        parts.append(f"<table:table table:name={quoteattr(name)}{style}>")
        parts.extend("<table:table-row>" + "".join(
            "<table:covered-table-cell/>" if (r, c) in covered else _cell(value, spans.get((r, c)))
            for c, value in enumerate(row)) + "</table:table-row>" for r, row in enumerate(rows))
        parts.append("</table:table>")
    parts.append(_TAIL)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet",
                         compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", _MANIFEST, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", "".join(parts), compress_type=zipfile.ZIP_DEFLATED)
    return path


def _cell(value: Any, rows_spanned: int | None = None) -> str:
    if rows_spanned:
        return _cell(value).replace("<table:table-cell", "<table:table-cell "
                                    f'table:number-rows-spanned="{rows_spanned}"', 1)
    if value is None or value == "":
        return "<table:table-cell/>"
    if isinstance(value, dt.datetime):
        return (f'<table:table-cell office:value-type="date" '
                f'office:date-value="{value:%Y-%m-%dT%H:%M:%S}"/>')
    if isinstance(value, dt.date):
        return f'<table:table-cell office:value-type="date" office:date-value="{value:%Y-%m-%d}"/>'
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f'<table:table-cell office:value-type="float" office:value="{value}"/>'
    lines = "".join(f"<text:p>{escape(line)}</text:p>" for line in str(value).split("\n"))
    return f'<table:table-cell office:value-type="string">{lines}</table:table-cell>'
