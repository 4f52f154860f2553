"""A record number on two rows is two people under one number: one of them is a record
sent before whose number was mistyped (« 2026-001 » typed over 2026-002's). The run sent
neither, and withdrew 2026-002 from the network as gone from the export. Both rows are
refused and every withdrawal waits until the number is corrected, whatever the
confirmation; so does a number cell merged over two rows of a workbook, whose value the
second row does not hold."""

import json
from pathlib import Path

import openpyxl

from connectors.cli import EXIT_HELD, main
from connectors.rejects import read_rejects
from tests.integration.connectors.test_agent_exports import (
    HEADER,
    MEMBER,
    ROWS,
    configure,
    rejects,
    write,
)


def _confirmed(config: str) -> str:
    settings = json.loads(Path(config).read_text())
    settings["confirmer_suppressions"] = True
    Path(config).write_text(json.dumps(settings))
    return config


def test_a_number_typed_over_another_rows_holds_the_withdrawal_of_the_other(
        tmp_path, credentials, hub, capsys):
    write(tmp_path / "export.csv", [HEADER, *ROWS])
    config = configure(tmp_path, credentials, "export.csv")
    assert main(["run", config]) == 0, capsys.readouterr().err
    rows = [list(r) for r in ROWS]
    rows[1][0] = rows[0][0]  # 2026-001 typed on 2026-002's row
    write(tmp_path / "export.csv", [HEADER, *rows])
    assert main(["run", _confirmed(config)]) == EXIT_HELD
    assert not hub.erased
    assert "plusieurs lignes" in capsys.readouterr().err
    assert ("2", "N° dossier", "identifiant_en_double") in rejects(tmp_path)
    write(tmp_path / "export.csv", [HEADER, *ROWS[:1], *ROWS[2:]])  # corrected: 2026-002 gone
    assert main(["run", config]) == 0
    assert hub.erased == {(MEMBER, "COM-2026-002")}


def _workbook(path: Path, rows: list[list[str]], merged: str | None = None) -> None:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append([c.replace("ằ", "a") for c in row[:-1]])
    if merged:
        book.active.merge_cells(merged)
    book.save(path)


def test_a_number_cell_merged_over_two_rows_is_unread_on_the_second_not_copied(
        tmp_path, credentials, hub, capsys):
    _workbook(tmp_path / "suivi.xlsx", [HEADER, *ROWS])
    config = json.loads(Path(configure(tmp_path, credentials, "suivi.xlsx")).read_text())
    config["type"], config["source"] = "tableur", {"chemin": "suivi.xlsx"}
    (tmp_path / "connecteur.json").write_text(json.dumps(config))
    path = str(tmp_path / "connecteur.json")
    assert main(["run", path]) == 0, rejects(tmp_path)
    rows = [list(r) for r in ROWS]
    rows[1][0] = ""  # the workbook keeps a merged value in its top cell only
    _workbook(tmp_path / "suivi.xlsx", [HEADER, *rows], merged="A2:A3")
    assert main(["run", _confirmed(path)]) == EXIT_HELD
    assert not hub.erased
    assert "numéro de dossier illisible" in capsys.readouterr().err
    third = [r for r in read_rejects(tmp_path / "etat" / "rejets.csv") if r["ligne"] == "3"]
    assert third[0]["code"] == "cellule_fusionnee" and third[0]["colonne"] == "N° dossier"
    assert not any(r["fiche_id"] for r in third)


def test_numbers_giving_one_fiche_id_hold_every_withdrawal(tmp_path, credentials, hub, capsys):
    """« 2026/001 » sent, then corrected to « 2026-001 » while another row is typed
    « 2026 001 »: both refused (one fiche_id). The number sent before was withdrawn as gone,
    with the confirmation, though its person is on one of the refused rows; and so would
    any other number gone from that export be."""
    rows = [list(r) for r in ROWS]
    rows[0][0] = "2026/001"
    write(tmp_path / "export.csv", [HEADER, *rows])
    config = configure(tmp_path, credentials, "export.csv")
    assert main(["run", config]) == 0, capsys.readouterr().err
    rows[0][0] = "2026-001"
    rows[3][0] = "2026 001"  # 2026-004's row, mistyped: 2026-004 seems gone
    write(tmp_path / "export.csv", [HEADER, *rows])
    assert main(["run", _confirmed(config)]) == EXIT_HELD
    assert not hub.erased
    assert "même identifiant de fiche" in capsys.readouterr().err
    assert [r[2] for r in rejects(tmp_path)] == ["identifiant_en_double"] * 2
