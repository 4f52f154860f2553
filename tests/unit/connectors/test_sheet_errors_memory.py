"""Error cells are found in a sheet of any length without holding its cells in memory.

Measured with `tracemalloc` (allocations, not time): the peak while reading a sheet of
6,000 rows is compared with the peak for 1,000 rows of the same cells.
"""

import tracemalloc
import zipfile

from connectors.sheet_errors import error_cells

_X = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_COLUMNS = "ABCDEFGHIJ"


def _xlsx(path, rows):
    cells = "".join(
        f'<row r="{n}">' + "".join(f'<c r="{c}{n}"><v>{n}</v></c>' for c in _COLUMNS[:-1])
        + (f'<c r="J{n}" t="e"><v>#REF!</v></c>' if n == rows else f'<c r="J{n}"><v>1</v></c>')
        + "</row>" for n in range(1, rows + 1))
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/workbook.xml", f'<workbook xmlns="{_X}" xmlns:r="{_R}"><sheets>'
                         '<sheet name="Suivi" sheetId="1" r:id="rId1"/></sheets></workbook>')
        archive.writestr("xl/_rels/workbook.xml.rels",
                         '<Relationships><Relationship Id="rId1" Target="worksheets/s1.xml"/>'
                         "</Relationships>")
        archive.writestr("xl/worksheets/s1.xml",
                         f'<worksheet xmlns="{_X}"><sheetData>{cells}</sheetData></worksheet>')
    return path


_ODS = ('<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
        ' xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0">'
        "<office:body><office:spreadsheet>{}</office:spreadsheet></office:body>"
        "</office:document-content>")


def _ods(path, rows):
    cell = '<table:table-cell office:value-type="float"><text:p>1</text:p></table:table-cell>'
    big = "<table:table-row>" + cell * 10 + "</table:table-row>"
    error = ('<table:table-row><table:table-cell calcext:value-type="error"><text:p>#N/A'
             "</text:p></table:table-cell></table:table-row>")
    sheets = (f'<table:table table:name="Notes">{big * rows}</table:table>'
              f'<table:table table:name="Suivi">{big * rows}{error}</table:table>')
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("content.xml", _ODS.format(sheets))
    return path


def _peak(path):
    tracemalloc.start()
    try:
        found = error_cells(path, "Suivi")
        return found, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _growth_per_row(write, tmp_path, suffix):
    small, small_peak = _peak(write(tmp_path / f"petit{suffix}", 1_000))
    big, big_peak = _peak(write(tmp_path / f"grand{suffix}", 6_000))
    return small, big, (big_peak - small_peak) / 5_000


def test_the_error_cells_of_a_long_xlsx_sheet_are_found_without_keeping_its_rows(tmp_path):
    small, big, per_row = _growth_per_row(_xlsx, tmp_path, ".xlsx")
    assert small == {(999, 9): "#REF!"} and big == {(5_999, 9): "#REF!"}
    assert per_row < 200  # bytes; ten cells kept a row cost over 1,000


def test_the_rows_of_every_ods_sheet_are_let_go_not_only_the_read_ones(tmp_path):
    small, big, per_row = _growth_per_row(_ods, tmp_path, ".ods")
    assert small == {(1_000, 0): "#N/A"} and big == {(6_000, 0): "#N/A"}
    assert per_row < 400  # bytes, for a row in each of the two sheets
