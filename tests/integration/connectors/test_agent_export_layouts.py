"""More exports as agents' office tools save them: a header whose top row names more
columns than the row below, an export without its header, totals rows and dossier numbers
that only begin like « Total », a damaged « Texte Unicode » file, a read-me sheet listing
the column names, columns repeated with the same content."""


import openpyxl
import pytest

from connectors.cli import main
from tests.integration.connectors.test_agent_exports import (
    MEMBER,
    configure,
    rejects,
    tableur,
    write,
)

TOP = ["N° dossier", "Porteur", "", "Né(e) le", "Téléphone", "CP", "Projet"]
UNDER = ["", "Nom", "Prénom", "", "", "", ""]
ROW = ["2026-001", "Béranger", "Zoé", "12/03/1985", "0612345678", "01000", "Boulangerie"]
# the top row names as many mapped columns as the row below once filled from above
TIE_TOP = ["N° dossier", "Porteur", "", "Né(e) le", "Téléphone", "Projet"]
TIE_UNDER = ["", "Nom", "Prénom", "Jour", "Portable", ""]
TIE_ROW = ["2026-001", "Béranger", "Zoé", "12/03/1985", "0612345678", "Boulangerie"]


def _sheet(path, rows):
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append([cell or None for cell in row])
    book.save(path)


def _saved(tmp_path, credentials, rows, kind):
    """The rows saved as a CSV export or as a workbook, and the connector's configuration."""
    if kind == "csv":
        write(tmp_path / "export.csv", rows)
        return configure(tmp_path, credentials, "export.csv")
    _sheet(tmp_path / "suivi.xlsx", rows)
    return tableur(tmp_path, credentials, "suivi.xlsx")


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
@pytest.mark.parametrize(("top", "under", "row"), [(TOP, UNDER, ROW),
                                                   (TIE_TOP, TIE_UNDER, TIE_ROW)],
                         ids=["top-heavy", "tie"])
def test_a_two_row_header_whose_top_row_names_more_columns_is_read_whole(
        tmp_path, credentials, hub, top, under, row, kind):
    assert main(["run", _saved(tmp_path, credentials, [top, under, row], kind)]) == 0, \
        rejects(tmp_path)
    assert set(hub.accepted_versions(MEMBER)) == {"COM-2026-001"}
    fiche = hub.fiches[(MEMBER, "COM-2026-001")]
    assert (fiche["porteur"]["nom"], fiche["porteur"]["prenom"]) == ("Béranger", "Zoé")
    assert fiche["projet"]["intitule"] == "Boulangerie"


def test_an_export_without_its_header_quotes_no_first_row_value_close_to_a_heading(
        tmp_path, credentials, hub, capsys):
    row = ["2026-001", "Noël", "Noé", "12/03/1985", "0612345678", "01000", "Projets",
           "900", "05/12/2026"]
    write(tmp_path / "export.csv", [row])
    assert main(["run", configure(tmp_path, credentials, "export.csv")]) == 2
    error = capsys.readouterr().err
    assert "ligne d'en-tête" in error
    for value in ("Noël", "Noé", "Projets", "colonnes proches"):
        assert value not in error


@pytest.mark.parametrize("dossier", ["TOTAL-2026-001", "Totalité 12", "Total 2026"])
def test_a_dossier_number_beginning_like_total_is_a_record(tmp_path, credentials, hub,
                                                            dossier):
    write(tmp_path / "export.csv", [["N° dossier", "Nom", "Prénom", "Projet"],
                                    [dossier, "Béranger", "Zoé", "Boulangerie"]])
    assert main(["run", configure(tmp_path, credentials, "export.csv")]) == 0, rejects(tmp_path)
    assert len(hub.accepted_versions(MEMBER)) == 1


@pytest.mark.parametrize("label", ["Total", "TOTAUX", "Sous-total", "sous-totaux",
                                   "Total général :", "Total des besoins", "TOTAL 2026",
                                   "Sous-total Ambert", "Totaux : 3 dossiers"])
@pytest.mark.parametrize("column", [0, 1])
def test_a_totals_row_is_still_no_record(tmp_path, credentials, hub, label, column):
    totals = ["", "", "", "", "12 500,50"]
    totals[column] = label
    write(tmp_path / "export.csv", [["N° dossier", "Nom", "Prénom", "Projet", "Besoin (€)"],
                                    ["2026-001", "Béranger", "Zoé", "Boulangerie", "12 500,50"],
                                    totals])
    assert main(["run", configure(tmp_path, credentials, "export.csv")]) == 0, rejects(tmp_path)
    assert set(hub.accepted_versions(MEMBER)) == {"COM-2026-001"}


@pytest.mark.parametrize("row", [["", "Martin", "Luc", "Totalement bio"],
                                 ["", "Totalité", "Luc", "Boulangerie"],
                                 ["", "Martin", "Luc", "Total énergie"]])
def test_a_keyless_row_beginning_with_a_name_is_rejected(tmp_path, credentials, hub, row):
    write(tmp_path / "export.csv", [["N° dossier", "Nom", "Prénom", "Projet"],
                                    ["2026-001", "Béranger", "Zoé", "Boulangerie"], row])
    assert main(["run", configure(tmp_path, credentials, "export.csv")]) == 1
    assert [line for line, _, _ in rejects(tmp_path)] == ["3"]


@pytest.mark.parametrize("damage", [b"\x00", "\ud800".encode("utf-16-le", "surrogatepass")])
def test_a_damaged_unicode_text_export_is_a_source_error_naming_the_encoding(
        tmp_path, credentials, hub, capsys, damage):
    text = "N° dossier\tNom\tPrénom\r\n2026-001\tBéranger\tZoé\r\n"
    (tmp_path / "export.txt").write_bytes(b"\xff\xfe" + text.encode("utf-16-le") + damage)
    code = main(["run", configure(tmp_path, credentials, "export.txt", "\t")])
    error = capsys.readouterr().err
    assert code == 3 and "source_error" in error
    assert "UTF-16" in error and "Exportez-le de nouveau" in error
    assert hub.accepted_versions(MEMBER) == {}


def test_a_read_me_sheet_listing_column_names_is_passed_for_the_data_sheet(
        tmp_path, credentials, hub, capsys):
    book = openpyxl.Workbook()
    book.active.title = "Lisez-moi"
    for line in (["Colonnes du tableau"], ["N° dossier", "le numéro donné à l'accueil"],
                 ["Nom", "Prénom", "du porteur"]):
        book.active.append(line)
    data = book.create_sheet("Porteurs 2026")
    data.append(["N° dossier", "Nom", "Prénom", "Né(e) le", "Projet"])
    data.append(["2026-001", "Béranger", "Zoé", "12/03/1985", "Boulangerie"])
    book.save(tmp_path / "suivi.xlsx")
    assert main(["run", tableur(tmp_path, credentials, "suivi.xlsx")]) == 0, rejects(tmp_path)
    assert '"feuille": "Porteurs 2026"' in capsys.readouterr().out
    assert set(hub.accepted_versions(MEMBER)) == {"COM-2026-001"}


@pytest.mark.parametrize("sheets", [["Feuil1", "Porteurs"], ["Feuil1"]])
def test_an_empty_first_sheet_is_passed_for_the_table_or_an_empty_read(tmp_path, credentials,
                                                                        hub, capsys, sheets):
    book = openpyxl.Workbook()
    book.active.title = sheets[0]
    for name in sheets[1:]:
        table = book.create_sheet(name)
        table.append(["N° dossier", "Nom", "Prénom", "Projet"])
        table.append([*ROW[:3], "Boulangerie"])
    book.save(tmp_path / "suivi.xlsx")
    code = main(["run", tableur(tmp_path, credentials, "suivi.xlsx")])
    assert code == 0 and "Traceback" not in capsys.readouterr().err
    assert set(hub.accepted_versions(MEMBER)) == ({"COM-2026-001"} if len(sheets) > 1 else set())


def test_a_first_sheet_with_a_usable_header_is_read_though_last_years_names_more(
        tmp_path, credentials, hub):
    book = openpyxl.Workbook()
    book.active.title = "2026"
    book.active.append(["N° dossier", "Nom", "Prénom", "Projet"])
    book.active.append(["2026-001", "Béranger", "Zoé", "Boulangerie"])
    last = book.create_sheet("2025")
    last.append(["N° dossier", "Nom", "Prénom", "Né(e) le", "Projet"])
    last.append(["2025-001", "Martin", "Luc", "02/04/1979", "Garage"])
    book.save(tmp_path / "suivi.xlsx")
    assert main(["run", tableur(tmp_path, credentials, "suivi.xlsx")]) == 0, rejects(tmp_path)
    assert set(hub.accepted_versions(MEMBER)) == {"COM-2026-001"}


REPEATED = ["N° dossier", "Nom", "Prénom", "Projet", "Nom"]


@pytest.mark.parametrize("second", [["", ""], ["Béranger", "Martin"]], ids=["empty", "same"])
def test_a_repeated_column_empty_throughout_or_the_same_on_every_row_is_read(
        tmp_path, credentials, hub, second):
    rows = [["2026-001", "Béranger", "Zoé", "Boulangerie"],
            ["2026-002", "Martin", "Luc", "Garage"]]
    write(tmp_path / "export.csv", [REPEATED, *([*r, s] for r, s in zip(rows, second,
                                                                          strict=True))])
    assert main(["run", configure(tmp_path, credentials, "export.csv")]) == 0, rejects(tmp_path)
    names = {fid: hub.fiches[(MEMBER, fid)]["porteur"]["nom"] for fid in hub.accepted_versions(
        MEMBER)}
    assert names == {"COM-2026-001": "Béranger", "COM-2026-002": "Martin"}


def test_a_repeated_column_whose_first_copy_is_empty_stops_the_run(tmp_path, credentials,
                                                                    hub, capsys):
    """The later copy is usually another person's (« Nom » under « Référent »): a porteur's
    name not typed yet must not be read from it."""
    write(tmp_path / "export.csv", [REPEATED, ["2026-001", "", "Zoé", "Boulangerie",
                                               "Lefèvre"]])
    assert main(["run", configure(tmp_path, credentials, "export.csv")]) == 2
    error = capsys.readouterr().err
    assert "« Nom » (colonnes B et E)" in error and "Lefèvre" not in error
    assert hub.accepted_versions(MEMBER) == {}


def test_a_repeated_column_disagreeing_on_one_row_stops_the_run_naming_no_value(
        tmp_path, credentials, hub, capsys):
    write(tmp_path / "export.csv", [REPEATED, ["2026-001", "Béranger", "Zoé", "Boulangerie",
                                               "Béranger"],
                                    ["2026-002", "Martin", "Luc", "Garage", "Lefèvre"]])
    assert main(["run", configure(tmp_path, credentials, "export.csv")]) == 2
    error = capsys.readouterr().err
    assert "« Nom » (colonnes B et E)" in error
    for value in ("Martin", "Lefèvre", "Béranger"):
        assert value not in error
    assert hub.accepted_versions(MEMBER) == {}
