"""A workbook whose first sheet is hidden (last year's, kept out of sight): without
« feuille », the connector reads the first sheet the member sees, as the spreadsheet opens."""

import openpyxl
import pytest

from capactif_demo.sim.workbook import write_ods
from connectors.cli import main
from tests.integration.connectors.test_agent_exports import MEMBER, rejects, tableur

HEADER = ["N° dossier", "Nom", "Prénom", "Projet"]
ARCHIVE = [HEADER, ["2025-099", "Martin", "Luc", "Garage"]]
CURRENT = [HEADER, ["2026-001", "Béranger", "Zoé", "Boulangerie"]]


def _xlsx(path, sheets, hidden):
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
        sheet.sheet_state = hidden.get(name, "visible")
    book.active = next(i for i, name in enumerate(sheets) if name not in hidden)
    book.save(path)


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_a_hidden_first_sheet_of_an_excel_workbook_is_not_read(tmp_path, credentials, hub,
                                                                 state):
    _xlsx(tmp_path / "suivi.xlsx", {"2025": ARCHIVE, "2026": CURRENT}, {"2025": state})
    assert main(["run", tableur(tmp_path, credentials, "suivi.xlsx")]) == 0, rejects(tmp_path)
    assert set(hub.accepted_versions(MEMBER)) == {"COM-2026-001"}


def test_a_hidden_first_sheet_of_a_libreoffice_workbook_is_not_read(tmp_path, credentials,
                                                                     hub):
    write_ods(tmp_path / "suivi.ods", {"2025": ARCHIVE, "2026": CURRENT}, hidden={"2025"})
    assert main(["run", tableur(tmp_path, credentials, "suivi.ods")]) == 0, rejects(tmp_path)
    assert set(hub.accepted_versions(MEMBER)) == {"COM-2026-001"}


def test_a_hidden_sheet_named_in_the_configuration_is_read(tmp_path, credentials, hub):
    _xlsx(tmp_path / "suivi.xlsx", {"2026": CURRENT, "2025": ARCHIVE}, {"2025": "hidden"})
    config = tableur(tmp_path, credentials, "suivi.xlsx", feuille="2025")
    assert main(["run", config]) == 0, rejects(tmp_path)
    assert set(hub.accepted_versions(MEMBER)) == {"COM-2025-099"}


def test_a_visible_read_me_before_the_table_behind_a_hidden_sheet_is_passed_for_the_table(
        tmp_path, credentials, hub, capsys):
    read_me = [["Colonnes du tableau"], ["N° dossier", "le numéro donné à l'accueil"],
               ["Nom", "Prénom", "du porteur"]]
    _xlsx(tmp_path / "suivi.xlsx", {"2025": ARCHIVE, "Lisez-moi": read_me, "2026": CURRENT},
          {"2025": "hidden"})
    assert main(["run", tableur(tmp_path, credentials, "suivi.xlsx")]) == 0, rejects(tmp_path)
    assert '"feuille": "2026"' in capsys.readouterr().out
    assert set(hub.accepted_versions(MEMBER)) == {"COM-2026-001"}
