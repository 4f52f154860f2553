"""A formula saved without its result is a row problem, never an empty cell.

openpyxl and other export libraries write a formula with no value (`<f>` and an empty
`<v/>` in an .xlsx; `table:formula` with no value type in an .ods): the workbook reader
gives such a cell as empty, so the fiche went without that field (and its next version
would have erased the field at the hub). The row is rejected naming the column; a formula
in a column the mapping does not read, or one whose saved result is an empty text, stops
nothing; a record number in such a cell is unread, never taken for a deleted record.
"""

import json
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import openpyxl
import pytest

from capactif_demo.sim.workbook import write_ods
from connectors.cli import main
from connectors.rejects import read_rejects
from tests.integration.connectors.test_agent_exports import HEADER, MEMBER, ROWS, rejects, tableur

EXIT_HELD = 5
BIRTH, AMOUNT, EXTRA = HEADER.index("Né(e) le"), HEADER.index("Besoin (€)"), len(HEADER) - 1


def _rows() -> list[list[str]]:
    """Line 3: birth date and amount as formulas; line 4: a formula in a column the
    mapping does not read."""
    rows = [[*HEADER[:-1], "Calcul"], *[[*row[:-1], ""] for row in ROWS[:3]]]
    rows = [[c.replace("ằ", "a") for c in row] for row in rows]
    rows[2][BIRTH], rows[2][AMOUNT] = "=DATE(1979,3,5)", "=1000*8"
    rows[3][EXTRA] = "=1+1"
    return rows


def _write(path: Path, rows: list[list[str]]) -> None:
    """As an export library saves them: the formula, no result."""
    if path.suffix == ".xlsx":
        book = openpyxl.Workbook()
        for row in rows:
            book.active.append(row)  # "=…" is stored as a formula, `<v/>` for its value
        book.save(path)
        return
    write_ods(path, {"Porteurs": rows})
    with zipfile.ZipFile(path) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    content = files["content.xml"].decode()
    for formula in {c for row in rows for c in row if c.startswith("=")}:
        content = content.replace(
            f'<table:table-cell office:value-type="string"><text:p>{escape(formula)}</text:p>'
            "</table:table-cell>",
            f'<table:table-cell table:formula={quoteattr("of:" + formula.replace(",", ";"))}/>')
    assert "office:value-type=\"string\"><text:p>=" not in content
    files["content.xml"] = content.encode()
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", files.pop("mimetype"), compress_type=zipfile.ZIP_STORED)
        for name, data in files.items():
            archive.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)


@pytest.mark.parametrize("suffix", [".xlsx", ".ods"])
def test_a_mapped_formula_saved_without_its_result_rejects_its_row_naming_the_column(
        tmp_path, credentials, hub, suffix):
    _write(tmp_path / f"suivi{suffix}", _rows())
    config = tableur(tmp_path, credentials, f"suivi{suffix}")
    assert main(["run", config]) == 1
    assert sorted(rejects(tmp_path)) == [("3", "Besoin (€)", "formule_non_calculee"),
                                         ("3", "Né(e) le", "formule_non_calculee")]
    message = read_rejects(tmp_path / "etat" / "rejets.csv")[0]["message_fr"]
    assert "recalcul" in message and "=DATE" not in message and "1979" not in message
    assert sorted(fid for _, fid in hub.fiches) == ["COM-2026-001", "COM-2026-003"]


def test_a_formula_whose_saved_result_is_an_empty_text_is_read_empty(tmp_path, credentials, hub):
    """Excel saves a formula answering "" as a text result (`t="str"`) with an empty value:
    the cell is empty, as the sheet shows it."""
    rows = _rows()
    rows[2][BIRTH], rows[2][AMOUNT], rows[3][EXTRA] = ROWS[1][BIRTH], '=""', ""
    path = tmp_path / "suivi.xlsx"
    _write(path, rows)
    with zipfile.ZipFile(path) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    files[sheet] = files[sheet].replace(b'<c r="H3"><f>""</f><v />', b'<c r="H3" t="str"><f>""</f><v />')
    assert b't="str"' in files[sheet]
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    assert main(["run", tableur(tmp_path, credentials, "suivi.xlsx")]) == 0
    assert rejects(tmp_path) == []
    assert "besoin_total" not in json.dumps(hub.fiches[(MEMBER, "COM-2026-002")].get("financement", {}))


@pytest.mark.parametrize("suffix", [".xlsx", ".ods"])
def test_a_record_number_saved_as_a_formula_without_its_result_is_not_a_deletion(
        tmp_path, credentials, hub, suffix):
    rows = [[c.replace("ằ", "a") for c in row] for row in [HEADER, *ROWS[:3]]]
    _write(tmp_path / f"suivi{suffix}", rows)
    config = tableur(tmp_path, credentials, f"suivi{suffix}")
    assert main(["run", config]) == 0
    rows[1][0] = '="2026-"&"001"'
    _write(tmp_path / f"suivi{suffix}", rows)
    assert main(["run", config]) != 0
    assert (MEMBER, "COM-2026-001") in hub.fiches
    assert ("2", "N° dossier", "formule_non_calculee") in rejects(tmp_path)
