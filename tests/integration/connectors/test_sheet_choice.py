"""A workbook whose first sheet is a read-me (« Lisez-moi », « Notes ») naming a column or
two, before a hidden archive and the table: the table is read, the read-me's lines are
never fiches, and no fiche sent before is taken for deleted."""

import json

import openpyxl
import pytest

from capactif_demo.sim.workbook import write_ods
from connectors.cli import main
from tests.integration.connectors.test_agent_exports import HEADER, MEMBER, ROWS, rejects, tableur

READ_ME = [["Export du 05/12/2026"], ["N° dossier", "Nom", "Prénom"], ["voir l'onglet Porteurs"]]
ARCHIVE = [[*HEADER[:-1], "Extra"], ["2025-001", *["x"] * 9]]
SENT = {f"COM-{row[0]}" for row in ROWS}


def _workbook(path, sheets, hidden=()):
    if path.suffix == ".ods":
        return write_ods(path, sheets, hidden=set(hidden))
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append([cell or None for cell in row])
        sheet.sheet_state = "hidden" if name in hidden else "visible"
    book.save(path)
    return path


def _summary(out):
    return next(json.loads(line)["resume"] for line in out.splitlines() if '"resume"' in line)


def _sent_then_read_me_put_first(tmp_path, credentials, hub, suffix, **source):
    name = f"suivi{suffix}"
    _workbook(tmp_path / name, {"Porteurs": [HEADER, *ROWS]})
    assert main(["run", tableur(tmp_path, credentials, name)]) == 0, rejects(tmp_path)
    assert set(hub.accepted_versions(MEMBER)) == SENT
    _workbook(tmp_path / name, {"Lisez-moi": READ_ME, "Archive 2025": ARCHIVE,
                                "Porteurs": [HEADER, *ROWS]}, hidden={"Archive 2025"})
    return tableur(tmp_path, credentials, name, **source)


@pytest.mark.parametrize("suffix", [".xlsx", ".ods"])
def test_a_read_me_put_before_the_table_is_not_read_and_withdraws_nothing(
        tmp_path, credentials, hub, capsys, suffix):
    config = _sent_then_read_me_put_first(tmp_path, credentials, hub, suffix)
    capsys.readouterr()
    assert main(["run", config, "--confirmer-suppressions"]) == 0, rejects(tmp_path)
    summary = _summary(capsys.readouterr().out)
    assert summary["feuille"] == "Porteurs" and summary["withdrawals"] == []
    assert main(["check", config, "--sans-hub"]) == 0
    assert json.loads(capsys.readouterr().out)["feuille"] == "Porteurs"
    assert {fid for _, fid in hub.fiches} == SENT


@pytest.mark.parametrize("suffix", [".xlsx", ".ods"])
def test_a_read_me_named_in_the_configuration_stops_naming_the_table(
        tmp_path, credentials, hub, capsys, suffix):
    config = _sent_then_read_me_put_first(tmp_path, credentials, hub, suffix,
                                          feuille="Lisez-moi")
    capsys.readouterr()
    assert main(["run", config, "--confirmer-suppressions"]) == 2
    error = capsys.readouterr().err
    assert "« Lisez-moi »" in error and "« Né(e) le »" in error and "« Projet »" in error
    assert '"feuille": "Porteurs"' in error and "rien n'a été envoyé ni retiré" in error
    assert "explications" not in error and "voir l'onglet" not in error
    assert {fid for _, fid in hub.fiches} == SENT


@pytest.mark.parametrize("suffix", [".xlsx", ".ods"])
def test_a_sheet_lacking_mapped_columns_withdraws_nothing_even_confirmed(
        tmp_path, credentials, hub, capsys, suffix):
    name = f"suivi{suffix}"
    _workbook(tmp_path / name, {"Porteurs": [HEADER, *ROWS]})
    config = tableur(tmp_path, credentials, name)
    assert main(["run", config]) == 0, rejects(tmp_path)
    short = [[cell for i, cell in enumerate(row) if i not in (3, 4, 5)] for row in
             [HEADER, ROWS[0]]]  # born on, phone and postcode gone, and three rows
    _workbook(tmp_path / name, {"Porteurs": short})
    capsys.readouterr()
    assert main(["run", config, "--confirmer-suppressions"]) == 5
    error = capsys.readouterr().err
    assert "« Porteurs »" in error and "« Né(e) le »" in error and "même avec" in error
    assert {fid for _, fid in hub.fiches} == SENT


@pytest.mark.parametrize("suffix", [".xlsx", ".ods"])
def test_two_visible_tables_after_a_read_me_stop_asking_which_to_read(
        tmp_path, credentials, hub, capsys, suffix):
    _workbook(tmp_path / f"suivi{suffix}", {"Notes": READ_ME, "Porteurs": [HEADER, *ROWS],
                                            "Copie": [HEADER, *ROWS]})
    assert main(["run", tableur(tmp_path, credentials, f"suivi{suffix}")]) == 2
    error = capsys.readouterr().err
    assert "« Porteurs », « Copie »" in error and '"feuille": "Porteurs"' in error
    assert hub.accepted_versions(MEMBER) == {}


@pytest.mark.parametrize("suffix", [".xlsx", ".ods"])
def test_a_table_only_in_a_hidden_sheet_is_never_read_unnamed_but_named_in_the_stop(
        tmp_path, credentials, hub, capsys, suffix):
    _workbook(tmp_path / f"suivi{suffix}", {"Lisez-moi": READ_ME, "Porteurs": [HEADER, *ROWS]},
              hidden={"Porteurs"})
    assert main(["run", tableur(tmp_path, credentials, f"suivi{suffix}")]) == 2
    error = capsys.readouterr().err
    assert "« Lisez-moi »" in error and "« Porteurs » (masquée)" in error
    assert '"feuille": "Porteurs"' in error
    assert hub.accepted_versions(MEMBER) == {}
