"""A commune's whole follow-up sheet (tests/commune_export.py, seeded, ~1,800 rows) run with
`capactif connector` as the README tells an IT person: titles above the header, a totals
row, Excel serial dates, CSV / .xlsx / .ods, configuration mistakes."""

import datetime as dt
import json

import pytest

from connectors.cli import main
from connectors.rejects import read_rejects
from tests.commune_export import HEADER, MAPPING, CommuneExport

MEMBER = "commune-ambert"


@pytest.fixture(scope="module")
def export():
    return CommuneExport(1800, seed=2026)


def configure(tmp_path, credentials, name, kind="csv", mapping=None, **source):
    (tmp_path / "identifiants.json").write_text(json.dumps(credentials))
    (tmp_path / "correspondance.json").write_text(json.dumps(mapping or MAPPING))
    config = {"version": 1, "type": kind, "source": {"chemin": name, **source},
              "correspondance": "correspondance.json", "identifiants": "identifiants.json",
              "reprise": "etat/reprise.json", "rejets": "etat/rejets.csv"}
    (tmp_path / "connecteur.json").write_text(json.dumps(config))
    return str(tmp_path / "connecteur.json")


def rejected_rows(tmp_path):
    return {(r["ligne"], r["code"]) for r in read_rejects(tmp_path / "etat" / "rejets.csv")
            if r["origine"] != "avertissement"}


@pytest.mark.parametrize("name", ["export.csv", "export-bom.csv", "export.xlsx", "export.ods"])
def test_the_whole_sheet_goes_through_with_only_its_bad_rows_rejected(tmp_path, credentials, hub,
                                                                      export, name, capsys):
    if name == "export.csv":
        export.write_csv(tmp_path / name)
    elif name == "export-bom.csv":
        export.write_csv(tmp_path / name, encoding="utf-8-sig")
    elif name == "export.xlsx":
        export.write_xlsx(tmp_path / name)
    else:
        export.write_ods(tmp_path / name)
    kind = "csv" if name.endswith(".csv") else "tableur"
    assert main(["run", configure(tmp_path, credentials, name, kind)]) == 1
    summary = json.loads(capsys.readouterr().out.splitlines()[-1])["resume"]
    assert summary["missing_columns"] == []
    assert summary["accepted"] == export.good
    assert summary["read"] == len(export.lines)  # the totals row is not a record
    assert len({line for line, _ in rejected_rows(tmp_path)}) == len(export.lines) - export.good


def test_titles_above_the_header_are_skipped_and_rows_keep_the_spreadsheet_numbers(
        tmp_path, credentials, hub, export):
    export.write_csv(tmp_path / "export.csv")
    main(["run", configure(tmp_path, credentials, "export.csv")])
    first_title_rows = len(export.table(totals=False)) - len(export.table(titles=False,
                                                                         totals=False))
    bad = next(i for i, line in enumerate(export.lines) if "date_impossible" in line.quirks)
    shown = first_title_rows + 2 + bad + bad // 250  # header row, then blank lines every 250
    assert (str(shown), "date_invalide") in rejected_rows(tmp_path)


def test_an_excel_serial_date_in_a_csv_is_the_date_the_sheet_showed(tmp_path, credentials, hub,
                                                                    export):
    export.write_csv(tmp_path / "export.csv")
    main(["run", configure(tmp_path, credentials, "export.csv")])
    line = next(x for x in export.lines if "naissance_serie" in x.quirks and x.good)
    fiche_id = "STAMANT-" + line.cells[0].replace("/", "-")
    born = hub.fiches[(MEMBER, fiche_id)]["porteur"]["date_naissance"]
    assert born == (dt.date(1899, 12, 30) + dt.timedelta(days=int(line.cells[3]))).isoformat()
    line = next(x for x in export.lines if "maj_serie" in x.quirks and x.good)
    fiche = hub.fiches[(MEMBER, "STAMANT-" + line.cells[0].replace("/", "-"))]
    number = int(line.cells[0][-4:])
    shown = dt.datetime(2026, 11, 1, 9) + dt.timedelta(hours=number)
    assert dt.datetime.fromisoformat(fiche["mis_a_jour_le"]).replace(tzinfo=None) == shown


def test_an_optional_value_the_schema_refuses_is_dropped_with_a_warning_naming_its_column(
        tmp_path, credentials, hub, export):
    export.write_csv(tmp_path / "export.csv")
    main(["run", configure(tmp_path, credentials, "export.csv")])
    line = next(x for x in export.lines if "siret_faux" in x.quirks and x.good)
    fiche = hub.fiches[(MEMBER, "STAMANT-" + line.cells[0].replace("/", "-"))]
    assert "siret" not in fiche["projet"]
    warnings = [r for r in read_rejects(tmp_path / "etat" / "rejets.csv")
                if r["origine"] == "avertissement" and r["dossier"] == line.cells[0]]
    assert [(w["chemin"], w["colonne"]) for w in warnings] == [("$.projet.siret", "SIRET")]


def test_schema_errors_in_the_rejects_file_name_the_column(tmp_path, credentials, hub, export):
    export.write_csv(tmp_path / "export.csv")
    strict = json.loads(json.dumps(MAPPING))
    del strict["champs"]["projet.siret"]["si_invalide"]
    main(["run", configure(tmp_path, credentials, "export.csv", mapping=strict)])
    siret_errors = [r for r in read_rejects(tmp_path / "etat" / "rejets.csv")
                    if r["chemin"] == "$.projet.siret"]
    assert siret_errors and {r["colonne"] for r in siret_errors} == {"SIRET"}


def test_an_unknown_sheet_is_a_configuration_error_listing_the_sheets(tmp_path, credentials,
                                                                     export, capsys):
    export.write_xlsx(tmp_path / "export.xlsx")
    config = configure(tmp_path, credentials, "export.xlsx", "tableur", feuille="Feuil1")
    assert main(["check", config]) == 2
    assert main(["run", config]) == 2
    err = capsys.readouterr().err
    assert "« Feuil1 »" in err and "Porteurs" in err and "« feuille »" in err


def test_a_wrong_separator_is_a_configuration_error_naming_the_right_one(tmp_path, credentials,
                                                                        hub, export, capsys):
    export.write_csv(tmp_path / "export.csv")
    config = configure(tmp_path, credentials, "export.csv", separateur=",")
    assert main(["run", config]) == 2
    assert main(["check", config]) == 2
    err = capsys.readouterr().err
    assert "séparateur" in err and "« ; »" in err
    assert hub.fiches == {}


def test_a_dossier_number_on_two_rows_is_rejected_on_both_naming_the_key_column(
        tmp_path, credentials, hub, export):
    export.write_csv(tmp_path / "export.csv")
    main(["run", configure(tmp_path, credentials, "export.csv")])
    twice = [r for r in read_rejects(tmp_path / "etat" / "rejets.csv")
             if r["code"] == "identifiant_en_double"]
    assert len(twice) == 4 and {r["colonne"] for r in twice} == {"N° dossier"}


def _run_with_name(tmp_path, credentials, kind: str, name: str) -> list:
    """The connector run over a small export whose first good row's name is `name`; the
    good rows are returned."""
    small = CommuneExport(12, seed=7)
    good = [line for line in small.lines if line.good]
    good[0].cells[1] = name
    if kind == "csv":
        small.write_csv(tmp_path / "export.csv", encoding="utf-8-sig")
    else:
        small.write_xlsx(tmp_path / "export.xlsx")
    main(["run", configure(tmp_path, credentials, f"export.{kind}")])
    return good


@pytest.mark.parametrize(("kind", "character"), [
    ("csv", "\u202e"), ("xlsx", "\u202e"), ("csv", "\x07"), ("csv", "\x1b"),
    ("csv", "\u3164"), ("xlsx", "\u115f"), ("csv", "\uffa0"), ("csv", "\uffff")])
def test_an_invisible_or_control_character_in_a_name_rejects_its_row_naming_the_column(
        tmp_path, credentials, hub, kind, character):
    """A cell holding a control character is a rejected row, reported with the row, the
    column and the code point: never a crash."""
    good = _run_with_name(tmp_path, credentials, kind, f"Dup{character}ont")
    rows = [r for r in read_rejects(tmp_path / "etat" / "rejets.csv") if r["chemin"] == "$.porteur.nom"]
    assert [(r["dossier"], r["colonne"]) for r in rows] == [(good[0].cells[0], "Nom")]
    assert f"U+{ord(character):04X}" in rows[0]["message_en"] and "Dup" not in str(rows)
    assert (MEMBER, "STAMANT-" + good[1].cells[0].replace("/", "-")) in hub.fiches


@pytest.mark.parametrize(("kind", "breaks"), [
    ("xlsx", "\n"), ("xlsx", " \r\n "), ("csv", "\n"), ("csv", "\t"), ("csv", "\u2028"),
    ("csv", "\x85")])
def test_a_name_or_address_cell_on_two_lines_goes_through_on_one(tmp_path, credentials, hub,
                                                                kind, breaks):
    """A cell typed on two lines (Alt+Enter in a spreadsheet) or with a tab, in a field on
    one line (`texte-visible`: the hub refuses line breaks there), goes to the hub with
    each break a space, as the office file shows it; the row is not rejected."""
    good = _run_with_name(tmp_path, credentials, kind, f"Dup{breaks}ont")
    fiche_id = "STAMANT-" + good[0].cells[0].replace("/", "-")
    assert hub.fiches[(MEMBER, fiche_id)]["porteur"]["nom"] == "Dup ont"
    assert not [r for r in read_rejects(tmp_path / "etat" / "rejets.csv")
                if r["chemin"] == "$.porteur.nom"]


WITH_COMMENTS = {**MAPPING, "champs": {**MAPPING["champs"],
                                       "projet.description": {"source": "Commentaire"}}}


def _run_with_comment(tmp_path, credentials, kind: str, comment: str) -> list:
    """The connector run over a small export whose comments are the project's description
    and whose first good row's comment is `comment`; the good rows are returned."""
    small = CommuneExport(12, seed=7)
    good = [line for line in small.lines if line.good]
    good[0].cells[HEADER.index("Commentaire")] = comment
    if kind == "csv":
        small.write_csv(tmp_path / "export.csv", encoding="utf-8-sig")
    else:
        small.write_xlsx(tmp_path / "export.xlsx")
    main(["run", configure(tmp_path, credentials, f"export.{kind}", mapping=WITH_COMMENTS)])
    return good


def _fiche_id(line) -> str:
    return "STAMANT-" + line.cells[0].replace("/", "-")


@pytest.mark.parametrize("character", ["\x07", "\x1b", "\x7f", "\x9b"])
def test_a_control_character_in_a_free_text_rejects_its_row_naming_the_column(
        tmp_path, credentials, hub, character):
    """A comment holding a control character other than a line break or a tab is a
    rejected row, reported with the column and the code point, never the text."""
    good = _run_with_comment(tmp_path, credentials, "csv", f"Four{character} à bois")
    rows = [r for r in read_rejects(tmp_path / "etat" / "rejets.csv")
            if r["chemin"] == "$.projet.description"]
    assert [(r["dossier"], r["colonne"]) for r in rows] == [(good[0].cells[0], "Commentaire")]
    assert f"U+{ord(character):04X}" in rows[0]["message_en"] and "Four" not in str(rows)
    assert (MEMBER, _fiche_id(good[0])) not in hub.fiches
    assert (MEMBER, _fiche_id(good[1])) in hub.fiches


@pytest.mark.parametrize(("kind", "breaks", "kept"), [
    ("xlsx", "\n", "\n"), ("xlsx", "\r\n", "\n"), ("csv", "\t", "\t"), ("csv", "\r", "\n"),
    ("csv", "\u2028", "\n"), ("csv", "\u2029", "\n"), ("csv", "\x0b", "\n"),
    ("csv", "\x0c", "\n"), ("csv", "\x85", "\n")])
def test_a_free_text_cell_keeps_its_lines_each_break_a_line_feed(tmp_path, credentials, hub,
                                                                 kind, breaks, kept):
    """A comment on several lines goes to the hub on as many: a line feed or CR LF as
    typed, a tab kept, every other line break (a lone carriage return, a vertical tab
    as some databases export a break in a field, a form feed, NEL, U+2028, U+2029, which
    the hub refuses) a line feed."""
    good = _run_with_comment(tmp_path, credentials, kind, f"Four{breaks}à bois")
    assert hub.fiches[(MEMBER, _fiche_id(good[0]))]["projet"]["description"] == \
        f"Four{kept}à bois"
    assert not [r for r in read_rejects(tmp_path / "etat" / "rejets.csv")
                if r["chemin"] == "$.projet.description"]
