"""Exports as an agent's own office tools save them, built here row by row (not from the
seeded generators): a header under merged titles, Excel's « Texte Unicode », dates
written with French month names, numbers that lost their leading zero."""

import csv
import datetime as dt
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest

from capactif_demo.sim.workbook import write_ods
from connectors.cli import main
from connectors.rejects import read_rejects

MEMBER = "commune-ambert"
MAPPING = {
    "version": 1,
    "identifiant": {"source": "N° dossier", "prefixe": "COM-"},
    "modification": {"source": "Modifié le"},
    "champs": {
        "porteur.nom": {"source": "Nom"},
        "porteur.prenom": {"source": "Prénom"},
        "porteur.date_naissance": {"source": "Né(e) le", "type": "date"},
        "porteur.telephone": {"source": "Téléphone", "type": "telephone"},
        "porteur.adresse.code_postal": {"source": "CP", "completer_zeros": 5},
        "projet.intitule": {"source": "Projet"},
        "financement.besoin_total": {"source": "Besoin (€)", "type": "nombre"},
        "consentement.reference": {"source": "N° dossier", "prefixe": "CST-"},
    },
}
HEADER = ["N° dossier", "Nom", "Prénom", "Né(e) le", "Téléphone", "CP", "Projet",
          "Besoin (€)", "Modifié le", ""]
ROWS = [
    ["2026-001", "Béranger", "Zoé", "12/03/1985", "612345678", "1000", "Boulangerie",
     "12 500,50", "05/12/2026", ""],
    ["2026-002", "N'Guyen", "Hằng", "5 mars 1979", "0473 12 34 56", "63600", "Gîte",
     "8 000", "5 déc. 2026", ""],
    ["2026-003", "Lefèvre", "Anne", "1er avril 1980", "473820011", "63600", "Atelier",
     "1,5", "samedi 5 décembre 2026 14:30", ""],
    ["2026-004", "Da Silva", "João", "7-févr.-81", "0612345699", "63600", "Garage",
     "900", "5-déc.-26", ""],
]


def configure(tmp_path, credentials, name, separator=";"):
    (tmp_path / "identifiants.json").write_text(json.dumps(credentials))
    (tmp_path / "correspondance.json").write_text(json.dumps(MAPPING))
    config = {"version": 1, "type": "csv",
              "source": {"chemin": name, "separateur": separator, "encodage": "auto"},
              "correspondance": "correspondance.json", "identifiants": "identifiants.json",
              "reprise": "etat/reprise.json", "rejets": "etat/rejets.csv"}
    (tmp_path / "connecteur.json").write_text(json.dumps(config))
    return str(tmp_path / "connecteur.json")


def write(path, rows, *, separator=";", encoding="utf-8"):
    text = "".join(separator.join(cells) + "\r\n" for cells in rows)
    path.write_bytes(text.encode(encoding, errors="replace"))  # as Excel saves: « ? »


def rejects(tmp_path):
    path = tmp_path / "etat" / "rejets.csv"
    return [(r["ligne"], r["colonne"], r["code"]) for r in read_rejects(path)] \
        if path.exists() else []


def test_a_heading_repeated_under_merged_titles_stops_the_run_naming_both_columns(
        tmp_path, credentials, hub, capsys):
    titles = ["", "Porteur", "", "", "", "", "Référent", "", "Projet", ""]
    header = ["N° dossier", "Nom", "Prénom", "Né(e) le", "Téléphone", "CP", "Nom", "Prénom",
              "Projet", "Modifié le"]
    row = ["2026-001", "Béranger", "Zoé", "12/03/1985", "0612345678", "01000", "Martin",
           "Luc", "Boulangerie", "05/12/2026"]
    write(tmp_path / "export.csv", [["Suivi des porteurs 2026"], titles, header, row])
    assert main(["run", configure(tmp_path, credentials, "export.csv")]) == 2
    error = capsys.readouterr().err
    assert "« Nom »" in error and "B et G" in error and "« Prénom »" in error
    assert "Martin" not in error and "Béranger" not in error
    assert hub.accepted_versions(MEMBER) == {}


def test_a_repeated_heading_no_field_reads_is_no_obstacle(tmp_path, credentials, hub):
    header = [*HEADER[:-1], "Commentaire", "Commentaire"]
    write(tmp_path / "export.csv", [header, [*ROWS[0][:-1], "a", "b"]])
    assert main(["run", configure(tmp_path, credentials, "export.csv")]) == 0
    assert hub.fiches[(MEMBER, "COM-2026-001")]["porteur"]["nom"] == "Béranger"


def test_an_excel_unicode_text_export_is_read(tmp_path, credentials, hub):
    write(tmp_path / "export.txt", [HEADER, ROWS[0]], separator="\t", encoding="utf-16")
    assert main(["run", configure(tmp_path, credentials, "export.txt", "\t")]) == 0
    fiche = hub.fiches[(MEMBER, "COM-2026-001")]
    assert (fiche["porteur"]["nom"], fiche["porteur"]["prenom"]) == ("Béranger", "Zoé")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "latin-1"])
def test_dates_written_with_french_month_names_are_read(tmp_path, credentials, hub, encoding):
    rows = [[c.replace("ằ", "a") for c in row] for row in ROWS]  # cp1252 has no ằ
    write(tmp_path / "export.csv", [HEADER, *rows], encoding=encoding)
    assert main(["run", configure(tmp_path, credentials, "export.csv")]) == 0, rejects(tmp_path)
    born = {fid: hub.fiches[(MEMBER, fid)]["porteur"]["date_naissance"]
            for fid in ("COM-2026-002", "COM-2026-003", "COM-2026-004")}
    assert born == {"COM-2026-002": "1979-03-05", "COM-2026-003": "1980-04-01",
                    "COM-2026-004": "1981-02-07"}
    first = hub.fiches[(MEMBER, "COM-2026-001")]
    assert first["porteur"]["telephone"] == "0612345678"
    assert first["porteur"]["adresse"]["code_postal"] == "01000"
    assert first["financement"]["besoin_total"] == 12500.5


def two_row_header_sheet(path):
    """A workbook as an agent lays it out: a read-me sheet first, then a title merged over
    the table, « N° dossier » and « Projet » merged down over two header rows and
    « Porteur » / « Financement » across the columns they group."""
    book = openpyxl.Workbook()
    book.active.title = "Lisez-moi"
    book.active["A1"] = "Classeur de suivi : une ligne par porteur"
    sheet = book.create_sheet("Porteurs 2026")
    sheet["A1"] = "Suivi des porteurs - Commune d'Ambert"
    sheet.merge_cells("A1:H1")
    for cell, label in {"A2": "N° dossier", "B2": "Porteur", "F2": "Projet",
                        "G2": "Financement", "H2": "Modifié le"}.items():
        sheet[cell] = label
    for cells in ("A2:A3", "B2:E2", "F2:F3", "H2:H3"):
        sheet.merge_cells(cells)
    for column, label in zip("BCDEG", ["Nom", "Prénom", "Né(e) le", "Téléphone", "Besoin (€)"],
                             strict=True):
        sheet[f"{column}3"] = label
    sheet.append(["2026-101", "Ørsted", "Ève", dt.datetime(1984, 3, 5), 612345678, "Épicerie",
                  12500.5, dt.datetime(2026, 12, 5, 9, 30)])
    book.save(path)


def test_a_two_row_header_with_cells_merged_down_is_read_whole(tmp_path, credentials, hub):
    two_row_header_sheet(tmp_path / "suivi.xlsx")
    config = tableur(tmp_path, credentials, "suivi.xlsx", feuille="Porteurs 2026")
    assert main(["run", config]) == 0, rejects(tmp_path)
    fiche = hub.fiches[(MEMBER, "COM-2026-101")]
    assert fiche["porteur"]["nom"] == "Ørsted" and fiche["projet"]["intitule"] == "Épicerie"
    assert fiche["porteur"]["telephone"] == "0612345678"
    assert fiche["financement"]["besoin_total"] == 12500.5


def test_a_two_row_header_saved_as_csv_is_read_whole(tmp_path, credentials, hub):
    titles = ["N° dossier", "Porteur", "", "", "", "", "Projet", "Financement", "Modifié le"]
    header = ["", "Nom", "Prénom", "Né(e) le", "Téléphone", "CP", "", "Besoin (€)", ""]
    row = ["2026-001", "Béranger", "Zoé", "12/03/1985", "612345678", "1000", "Boulangerie",
           "12 500,50", "05/12/2026"]
    write(tmp_path / "export.csv", [["Suivi des porteurs 2026"], titles, header, row])
    assert main(["run", configure(tmp_path, credentials, "export.csv")]) == 0, rejects(tmp_path)
    fiche = hub.fiches[(MEMBER, "COM-2026-001")]
    assert fiche["projet"]["intitule"] == "Boulangerie"
    assert fiche["porteur"]["adresse"]["code_postal"] == "01000"


def tableur(tmp_path, credentials, name, **source):
    config = configure(tmp_path, credentials, name)
    settings = json.loads((tmp_path / "connecteur.json").read_text())
    settings["type"], settings["source"] = "tableur", {"chemin": name, **source}
    (tmp_path / "connecteur.json").write_text(json.dumps(settings))
    return config


def test_a_totals_row_labelled_in_the_dossier_column_is_not_a_record(tmp_path, credentials,
                                                                      hub):
    two_row_header_sheet(tmp_path / "suivi.xlsx")
    book = openpyxl.load_workbook(tmp_path / "suivi.xlsx")
    book["Porteurs 2026"].append([])
    book["Porteurs 2026"].append(["Total", None, None, None, None, None, 12500.5])
    book.save(tmp_path / "suivi.xlsx")
    assert main(["run", tableur(tmp_path, credentials, "suivi.xlsx",
                                feuille="Porteurs 2026")]) == 0, rejects(tmp_path)
    assert set(hub.accepted_versions(MEMBER)) == {"COM-2026-101"}


def test_a_first_sheet_without_the_header_is_passed_for_the_sheet_holding_it(
        tmp_path, credentials, hub, capsys):
    two_row_header_sheet(tmp_path / "suivi.xlsx")
    assert main(["run", tableur(tmp_path, credentials, "suivi.xlsx")]) == 0, rejects(tmp_path)
    assert '"feuille": "Porteurs 2026"' in capsys.readouterr().out
    assert set(hub.accepted_versions(MEMBER)) == {"COM-2026-101"}


def test_codes_a_crm_exported_as_excel_formulas_keep_their_leading_zero(tmp_path,
                                                                         credentials, hub):
    header = ["N° dossier", "Nom", "Prénom", "Téléphone", "CP", "Projet"]
    row = ['="2026-007"', "Béranger", "Zoé", '="0612345678"', '="01000"', '="Fournil, ""Le Blé"""']
    with (tmp_path / "export.csv").open("w", encoding="utf-8", newline="") as file:
        csv.writer(file).writerows([header, row])  # the cell with a comma is quoted
    assert main(["run", configure(tmp_path, credentials, "export.csv", ",")]) == 0, \
        rejects(tmp_path)
    fiche = hub.fiches[(MEMBER, "COM-2026-007")]
    assert fiche["porteur"]["adresse"]["code_postal"] == "01000"
    assert fiche["porteur"]["telephone"] == "0612345678"
    assert fiche["projet"]["intitule"] == 'Fournil, "Le Blé"'


def test_an_export_saved_without_its_header_row_names_no_value_of_its_rows(tmp_path,
                                                                           credentials, hub,
                                                                           capsys):
    write(tmp_path / "export.csv", ROWS)  # « Inclure les en-têtes » left unticked
    assert main(["run", configure(tmp_path, credentials, "export.csv")]) == 2
    error = capsys.readouterr().err
    assert "« N° dossier » introuvable" in error and "ligne d'en-tête" in error
    for value in ("Béranger", "Zoé", "12/03/1985", "612345678", "2026-001"):
        assert value not in error
    assert hub.accepted_versions(MEMBER) == {}


MAC_NAMES = ["Andrée", "Hélène", "Lefèvre", "François"]


def test_a_csv_saved_by_excel_for_mac_is_read_with_its_accents(tmp_path, credentials, hub):
    """Excel for Mac's « CSV (Macintosh) » is Mac Roman: read as Windows-1252, « é » came
    out « Ž » (pushed as the porteur's name) and « è » stopped the run with a traceback."""
    rows = [[c.replace("ằ", "a") for c in row] for row in ROWS]
    for row, name in zip(rows, MAC_NAMES, strict=True):
        row[1] = name
    write(tmp_path / "export.csv", [HEADER, *rows], encoding="mac_roman")
    assert main(["run", configure(tmp_path, credentials, "export.csv")]) == 0, rejects(tmp_path)
    sent = [hub.fiches[(MEMBER, f"COM-2026-00{n}")]["porteur"]["nom"] for n in range(1, 5)]
    assert sent == MAC_NAMES


def test_a_line_holding_bytes_its_encoding_cannot_read_is_rejected_naming_its_column(
        tmp_path, credentials, hub, capsys):
    """Windows-1252 leaves five bytes undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D): such a line
    is a row problem naming the column and the fix, the other rows are sent."""
    rows = [[c.replace("ằ", "a") for c in row] for row in ROWS]
    text = "".join(";".join(cells) + "\r\n" for cells in [HEADER, *rows])
    raw = text.encode("cp1252").replace("Lefèvre".encode("cp1252"), b"Lef\x8fvre")
    (tmp_path / "export.csv").write_bytes(raw)
    config = configure(tmp_path, credentials, "export.csv")
    assert main(["run", config]) == 1
    assert ("4", "Nom", "encodage_invalide") in rejects(tmp_path)
    assert len(hub.fiches) == 3 and (MEMBER, "COM-2026-003") not in hub.fiches
    assert "Traceback" not in capsys.readouterr().err


def sheet_with_error_cells(path, *, ods=False):
    """Row 2: « Projet » a formula gone wrong (#REF!, a column deleted); row 3: an error
    only in a column the mapping does not read; row 4: clean. Both office suites save
    the error as the cell's value, which the workbook reader gives as an empty cell."""
    rows = [[*HEADER[:-1], "Calcul"], *[[*row[:-1], ""] for row in ROWS[:3]]]
    rows[1][6], rows[2][9] = "#REF!", "#N/A"
    if not ods:
        book = openpyxl.Workbook()
        for row in rows:
            book.active.append(row)  # openpyxl stores "#REF!" as an error cell
        book.save(path)
        return path
    from capactif_demo.sim.workbook import write_ods
    write_ods(path, {"Porteurs": [[c.replace("ằ", "a") for c in row] for row in rows]})
    return ods_error_cells(path, ("#REF!", "#N/A"))


def ods_error_cells(path, errors):
    """The .ods cells reading one of `errors` written as LibreOffice saves a formula's
    error (the value it shows, a `calcext:value-type` of "error")."""
    with zipfile.ZipFile(path) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    content = files["content.xml"].decode().replace(
        'xmlns:text=', 'xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:'
        'xmlns:calcext:1.0" xmlns:text=', 1)
    for shown in errors:
        content = content.replace(
            f'<table:table-cell office:value-type="string"><text:p>{shown}</text:p>',
            f'<table:table-cell table:formula="of:=[.Z9]" office:value-type="string" '
            f'office:string-value="" calcext:value-type="error"><text:p>{shown}</text:p>')
    files["content.xml"] = content.encode()
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", files.pop("mimetype"), compress_type=zipfile.ZIP_STORED)
        for name, data in files.items():
            archive.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
    return path


@pytest.mark.parametrize("suffix", [".xlsx", ".ods"])
def test_a_mapped_cell_showing_a_formula_error_rejects_its_row_naming_the_cell(
        tmp_path, credentials, hub, suffix):
    """Read as empty, « #REF! » in « Projet » sent the fiche without its project title
    (and a next version would have erased it at the hub); an error in a column the
    mapping does not read stops nothing."""
    sheet_with_error_cells(tmp_path / f"suivi{suffix}", ods=suffix == ".ods")
    config = json.loads(Path(configure(tmp_path, credentials, f"suivi{suffix}")).read_text())
    config["type"], config["source"] = "tableur", {"chemin": f"suivi{suffix}"}
    (tmp_path / "connecteur.json").write_text(json.dumps(config))
    assert main(["run", str(tmp_path / "connecteur.json")]) == 1
    assert rejects(tmp_path) == [("2", "Projet", "cellule_en_erreur")]
    message = read_rejects(tmp_path / "etat" / "rejets.csv")[0]["message_fr"]
    assert "#REF!" in message
    assert sorted(fid for _, fid in hub.fiches) == ["COM-2026-002", "COM-2026-003"]


def test_a_value_merged_over_the_rows_of_two_porteurs_is_read_on_both(tmp_path, credentials, hub):
    """Two associates of one project, its title and amount merged over their two rows:
    the workbook keeps the value in the top cell only, and the second fiche went without
    them."""
    book = openpyxl.Workbook()
    rows = [HEADER[:-1], *[[c.replace("ằ", "a") for c in row[:-1]] for row in ROWS[:3]]]
    rows[2][6] = rows[2][7] = ""
    for row in rows:
        book.active.append(row)
    book.active.merge_cells("G2:G3")
    book.active.merge_cells("H2:H3")
    book.save(tmp_path / "suivi.xlsx")
    config = json.loads(Path(configure(tmp_path, credentials, "suivi.xlsx")).read_text())
    config["type"], config["source"] = "tableur", {"chemin": "suivi.xlsx"}
    (tmp_path / "connecteur.json").write_text(json.dumps(config))
    assert main(["run", str(tmp_path / "connecteur.json")]) == 0, rejects(tmp_path)
    second = hub.fiches[(MEMBER, "COM-2026-002")]
    assert second["projet"]["intitule"] == "Boulangerie"
    assert second["financement"]["besoin_total"] == 12500.5


def test_a_value_merged_over_the_rows_of_two_porteurs_in_a_libreoffice_sheet_is_read_on_both(
        tmp_path, credentials, hub):
    """The same two associates in a LibreOffice Calc workbook (.ods): the second fiche went
    without the merged title and amount (python-calamine gives no merged cells of an .ods:
    read from the file itself)."""
    rows = [HEADER[:-1], *[[c.replace("ằ", "a") for c in row[:-1]] for row in ROWS[:3]]]
    rows[2][6] = rows[2][7] = ""
    write_ods(tmp_path / "suivi.ods", {"Suivi": rows}, merged={"Suivi": [(1, 6, 2), (1, 7, 2)]})
    assert main(["run", tableur(tmp_path, credentials, "suivi.ods")]) == 0, rejects(tmp_path)
    second = hub.fiches[(MEMBER, "COM-2026-002")]
    assert second["projet"]["intitule"] == "Boulangerie"
    assert second["financement"]["besoin_total"] == 12500.5
    third = hub.fiches[(MEMBER, "COM-2026-003")]
    assert third["projet"]["intitule"] != "Boulangerie"  # the merge ends where it ends


def test_dates_written_month_first_stop_the_run_naming_the_column_and_the_setting(
        tmp_path, credentials, hub, capsys):
    """A sheet from an English-language Excel writes 3/25/1985: read day first, that row
    was rejected and 4/7/1979 (7 April) sent as 4 July. A column whose dates only make
    sense month first is a setting to give, said before anything is sent."""
    rows = [[c.replace("ằ", "a") for c in row] for row in ROWS]
    rows[0][3], rows[1][3], rows[2][3], rows[3][3] = "3/25/1985", "4/7/1979", "12/1/1980", "2/7/1981"
    write(tmp_path / "export.csv", [HEADER, *rows])
    assert main(["run", configure(tmp_path, credentials, "export.csv")]) == 2
    error = capsys.readouterr().err
    assert "« Né(e) le »" in error and "ligne 2" in error and "%m/%d/%Y" in error
    assert "1985" not in error
    assert hub.accepted_versions(MEMBER) == {}
    mapping = json.loads((tmp_path / "correspondance.json").read_text())
    mapping["champs"]["porteur.date_naissance"]["formats"] = ["%m/%d/%Y"]
    (tmp_path / "correspondance.json").write_text(json.dumps(mapping))
    assert main(["run", str(tmp_path / "connecteur.json")]) == 0, rejects(tmp_path)
    assert hub.fiches[(MEMBER, "COM-2026-002")]["porteur"]["date_naissance"] == "1979-04-07"


def test_day_first_dates_that_could_be_month_first_are_read_day_first(tmp_path, credentials, hub):
    rows = [[c.replace("ằ", "a") for c in row] for row in ROWS]
    rows[0][3], rows[1][3] = "25/3/1985", "4/7/1979"
    write(tmp_path / "export.csv", [HEADER, *rows])
    assert main(["run", configure(tmp_path, credentials, "export.csv")]) == 0, rejects(tmp_path)
    assert hub.fiches[(MEMBER, "COM-2026-002")]["porteur"]["date_naissance"] == "1979-07-04"
