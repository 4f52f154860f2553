"""A row whose record number cannot be read is never taken for a deleted record.

A clean export is sent; in the next one, the first row's dossier number cannot be read:
a byte of another encoding in it, its cell left blank, a formula error in a workbook, the
row's cells shifted by a stray separator. The row is rejected; before, the record-number
pass saw the old number gone and, one fiche vanishing, erased it from the network.
"""

import json
from pathlib import Path

import openpyxl
import pytest

from capactif_demo.sim.workbook import write_ods
from connectors.cli import main
from connectors.rejects import read_rejects
from tests.integration.connectors.test_agent_exports import (
    HEADER,
    MEMBER,
    ROWS,
    configure,
    ods_error_cells,
)

EXIT_HELD = 5
LATIN_ROWS = [[c.replace("ằ", "a") for c in row] for row in ROWS]


def _csv(path: Path, rows: list[list[str]], *, after_first_number: bytes = b"") -> None:
    lines = [";".join(cells).encode() for cells in rows]
    if after_first_number:
        number, _, rest = lines[1].partition(b";")
        lines[1] = number + after_first_number + b";" + rest
    path.write_bytes(b"".join(line + b"\r\n" for line in lines))


def _workbook(path: Path, rows: list[list[str]]) -> None:
    if path.suffix == ".xlsx":
        book = openpyxl.Workbook()
        for row in rows:
            book.active.append(row)  # "#N/A" is stored as an error cell
        book.save(path)
        return
    write_ods(path, {"Porteurs": rows})
    ods_error_cells(path, ("#N/A",))


def _as_workbook(tmp_path: Path, credentials, name: str) -> str:
    config = configure(tmp_path, credentials, name)
    data = json.loads(Path(config).read_text())
    data["type"], data["source"] = "tableur", {"chemin": name}
    Path(config).write_text(json.dumps(data))
    return config


def _number_last(rows: list[list[str]]) -> list[list[str]]:
    """The dossier number moved after the name columns (read by its heading)."""
    return [[*row[1:3], row[0], *row[3:]] for row in rows]


def _assert_held(hub, capsys, code: int, line: int, said: str = "") -> None:
    err = capsys.readouterr().err
    assert code == EXIT_HELD, err
    said = said or f"Ligne {line} : numéro de dossier illisible"
    assert "Traceback" not in err and said in err
    assert (MEMBER, "COM-2026-001") in hub.fiches and not hub.erased


@pytest.mark.parametrize("stray", [b"\xa0", b"\xff", b"\xed\xa0\x80"],
                         ids=["nbsp-latin1", "byte-ff", "encoded-surrogate"])
def test_a_byte_of_another_encoding_in_a_record_number_withdraws_nothing(
        tmp_path, credentials, hub, capsys, stray):
    _csv(tmp_path / "export.csv", [HEADER, *ROWS])
    config = configure(tmp_path, credentials, "export.csv")
    assert main(["run", config]) == 0, capsys.readouterr().err
    _csv(tmp_path / "export.csv", [HEADER, *ROWS], after_first_number=stray)
    _assert_held(hub, capsys, main(["run", config]), 2)
    assert [(r["ligne"], r["code"]) for r in read_rejects(tmp_path / "etat" / "rejets.csv")] \
        == [("2", "encodage_invalide")]
    _assert_held(hub, capsys, main(["run", config]), 2)  # until the export is fixed
    _csv(tmp_path / "export.csv", [HEADER, *ROWS])
    assert main(["run", config]) == 0, capsys.readouterr().err
    assert not hub.erased and len(hub.accepted_versions(MEMBER)) == len(ROWS)


def test_a_record_number_left_blank_withdraws_nothing(tmp_path, credentials, hub, capsys):
    _csv(tmp_path / "export.csv", [HEADER, *ROWS])
    config = configure(tmp_path, credentials, "export.csv")
    assert main(["run", config]) == 0, capsys.readouterr().err
    _csv(tmp_path / "export.csv", [HEADER, ["", *ROWS[0][1:]], *ROWS[1:]])
    _assert_held(hub, capsys, main(["run", config]), 2)


def test_a_stray_separator_shifting_the_record_number_withdraws_nothing(
        tmp_path, credentials, hub, capsys):
    rows = _number_last([HEADER, *ROWS])
    _csv(tmp_path / "export.csv", rows)
    config = configure(tmp_path, credentials, "export.csv")
    assert main(["run", config]) == 0, capsys.readouterr().err
    rows[1][0] = "Béranger;Martin"  # the number is read from the first name's cell
    _csv(tmp_path / "export.csv", rows)
    # the row's cells shifted (its last one empty all the same): its number is unread, and
    # nothing is withdrawn even with the confirmation
    _assert_held(hub, capsys, main(["run", config]), 2)


@pytest.mark.parametrize("suffix", [".xlsx", ".ods"])
def test_a_record_number_showing_a_formula_error_withdraws_nothing(
        tmp_path, credentials, hub, capsys, suffix):
    name = f"suivi{suffix}"
    rows = [HEADER[:-1], *[row[:-1] for row in LATIN_ROWS]]
    _workbook(tmp_path / name, rows)
    config = _as_workbook(tmp_path, credentials, name)
    assert main(["run", config]) == 0, capsys.readouterr().err
    rows[1][0] = "#N/A"  # a formula building the number from a deleted column
    _workbook(tmp_path / name, rows)
    _assert_held(hub, capsys, main(["run", config]), 2)


def test_a_confirmation_does_not_withdraw_past_an_unreadable_record_number(
        tmp_path, credentials, hub, capsys):
    _csv(tmp_path / "export.csv", [HEADER, *ROWS])
    config = configure(tmp_path, credentials, "export.csv")
    assert main(["run", config]) == 0, capsys.readouterr().err
    _csv(tmp_path / "export.csv", [HEADER, *ROWS], after_first_number=b"\xff")
    _assert_held(hub, capsys, main(["run", config, "--confirmer-suppressions"]), 2)


def test_a_row_rejected_with_its_number_read_still_lets_a_deleted_record_go(
        tmp_path, credentials, hub, capsys):
    """Only an unreadable number holds withdrawals: a row refused for another cell keeps
    its number, and a record truly gone from the export is withdrawn."""
    _csv(tmp_path / "export.csv", [HEADER, *ROWS])
    config = configure(tmp_path, credentials, "export.csv")
    assert main(["run", config]) == 0, capsys.readouterr().err
    lines = [";".join(cells).encode() for cells in [HEADER, ROWS[0], *ROWS[2:]]]
    lines[1] = lines[1].replace("Béranger".encode(), b"B\xe9ranger")  # é in Latin-1
    (tmp_path / "export.csv").write_bytes(b"".join(line + b"\r\n" for line in lines))
    code = main(["run", config])
    err = capsys.readouterr().err
    assert code == 1, err
    assert hub.erased == {(MEMBER, "COM-2026-002")}
    assert (MEMBER, "COM-2026-001") in hub.fiches
