"""Real office exports (tests/office_export.py, seeded) sent to a local hub: no mass
withdrawal, exact French values, nothing refused left behind, spreadsheets."""

import csv
import datetime as dt
import io
import json

import pytest

from connectors.checkpoint import Checkpoint
from connectors.cli import main
from connectors.csv_source import CsvSource
from connectors.errors import ConfigurationError, SourceError
from connectors.mapping import Mapping
from connectors.rejects import RejectsFile, read_rejects
from connectors.runner import HELD, Runner
from connectors.sheet_source import SheetSource
from tests.office_export import MAPPING, OfficeExport

MEMBER = "commune-ambert"


@pytest.fixture
def export():
    return OfficeExport(60, seed=14)


def runner(tmp_path, client, source_path, *, mode="auto", confirm=False, sheet=None,
           mapping_data=MAPPING):
    mapping = Mapping.from_dict(json.loads(json.dumps(mapping_data)))
    source = SheetSource(mapping, source_path, sheet=sheet, mode=mode) \
        if source_path.suffix in (".xlsx", ".ods") else CsvSource(mapping, source_path, mode=mode)
    return Runner(source, client, Checkpoint(tmp_path / "reprise.json"),
                  RejectsFile(tmp_path / "rejets.csv"), batch_size=25,
                  confirm_deletions=confirm)


def held(hub, export):
    return {fid: hub.fiches[(MEMBER, fid)] for fid in (r.fiche_id for r in export.rows)
            if (MEMBER, fid) in hub.fiches}


def assert_sent_as_meant(hub, rows):
    for row in rows:
        fiche = hub.fiches[(MEMBER, row.fiche_id)]
        sent = {k: fiche[k] for k in row.expected()}
        assert sent == row.expected(), (row.fiche_id, row.styles)


def adds_up(summary):
    return summary.read == (summary.unchanged + summary.rejected_local + summary.accepted
                            + summary.rejected_hub + summary.deleted_at_source)


# --- 1. deletion safety -----------------------------------------------------------------

def test_a_renamed_key_header_is_a_configuration_error_that_withdraws_nothing(
        tmp_path, client, hub, export):
    path = export.write_csv(tmp_path / "export.csv")
    assert runner(tmp_path, client, path).run().accepted == 60
    state = (tmp_path / "reprise.json").read_bytes()
    export.header[0] = "Numéro de dossier"
    export.write_csv(path)
    with pytest.raises(ConfigurationError) as refused:
        runner(tmp_path, client, path).run()
    assert "« N° dossier » introuvable ; colonnes proches : « Numéro de dossier »" \
        in refused.value.message_fr
    assert len(held(hub, export)) == 60
    assert (tmp_path / "reprise.json").read_bytes() == state


@pytest.mark.parametrize("content", [b"", "N° dossier;Nom;Prénom\r\n".encode("cp1252")],
                         ids=["0 octet", "en-tete seul"])
def test_an_empty_export_withdraws_nothing(tmp_path, client, hub, export, content):
    path = export.write_csv(tmp_path / "export.csv")
    runner(tmp_path, client, path).run()
    path.write_bytes(content)
    summary = runner(tmp_path, client, path).run()
    assert summary.stopped == HELD and summary.withdrawals == []
    assert len(held(hub, export)) == 60


def test_too_many_vanishing_rows_are_held_but_a_few_go_and_a_confirmation_lets_all_go(
        tmp_path, client, hub, export):
    path = export.write_csv(tmp_path / "export.csv")
    runner(tmp_path, client, path).run()
    gone, export.rows = export.rows[:2], export.rows[2:]
    export.write_csv(path)
    summary = runner(tmp_path, client, path).run()  # 2 of 60: a member's ordinary deletions
    assert summary.complete and sorted(summary.withdrawals) == sorted(r.fiche_id for r in gone)
    export.rows = export.rows[:20]  # 38 of 58 vanish: a filtered or partial export
    export.write_csv(path)
    assert runner(tmp_path, client, path).run().stopped == HELD
    assert len(held(hub, export)) == 20 and len(hub.fiches) == 58
    summary = runner(tmp_path, client, path, confirm=True).run()
    assert summary.complete and len(summary.withdrawals) == 38 and len(hub.fiches) == 20


# --- 2. exact French values -------------------------------------------------------------

def test_every_row_reaches_the_hub_with_the_values_meant(tmp_path, client, hub, export):
    path = export.write_csv(tmp_path / "export.csv")
    summary = runner(tmp_path, client, path).run()
    assert summary.accepted == 60 and summary.rejected == 0 and adds_up(summary)
    for style in ("annee_courte", "milliers_points", "siret_espaces", "naf_sans_point",
                  "liste_barres", "apport_nc", "dossier_barre", "multiligne"):
        assert export.with_style(style), style  # the seed plants every case
    assert_sent_as_meant(hub, export.rows)


def test_a_two_digit_birth_year_is_in_the_past_and_a_dotted_amount_is_in_thousands(
        tmp_path, client, hub, export):
    runner(tmp_path, client, export.write_csv(tmp_path / "export.csv")).run()
    [short] = export.with_style("annee_courte")[:1]
    assert short.cells()[3].count("/") == 2 and len(short.cells()[3].rsplit("/", 1)[1]) == 2
    born = hub.fiches[(MEMBER, short.fiche_id)]["porteur"]["date_naissance"]
    assert born == short.naissance.isoformat() and born < dt.date.today().isoformat()
    [dotted] = export.with_style("milliers_points")[:1]
    assert "." in dotted.cells()[8]
    assert hub.fiches[(MEMBER, dotted.fiche_id)]["financement"]["besoin_total"] == dotted.montant


def test_an_invalid_optional_value_drops_the_field_with_a_warning(tmp_path, client, hub, export):
    export.rows[4].telephone = "06 12 34"
    path = export.write_csv(tmp_path / "export.csv")
    summary = runner(tmp_path, client, path).run()
    assert summary.accepted == 60 and summary.warnings == 1
    assert "telephone" not in hub.fiches[(MEMBER, export.rows[4].fiche_id)]["porteur"]
    [warning] = read_rejects(tmp_path / "rejets.csv")
    assert (warning["origine"], warning["code"], warning["ligne"]) == (
        "avertissement", "telephone_invalide", "6")



def lenient_siret():
    mapping = json.loads(json.dumps(MAPPING))
    mapping["champs"]["projet.siret"]["si_invalide"] = "ignorer"
    return mapping


def test_an_ignorable_value_on_a_row_rejected_for_another_reason_is_a_warning(
        tmp_path, client, hub, export):
    export.rows[3].siret = "12345678901234"  # the schema refuses it: dropped if sent
    export.rows[3].telephone = "06 12 34"  # the mapping cannot read it: dropped if sent
    export.rows[7].dossier = export.rows[3].dossier  # but the row is rejected anyway
    path = export.write_csv(tmp_path / "export.csv")
    summary = runner(tmp_path, client, path, mapping_data=lenient_siret()).run()
    assert summary.rejected_local == 2 and summary.warnings == 1
    row = [(r["origine"], r["chemin"]) for r in read_rejects(tmp_path / "rejets.csv")
           if r["ligne"] == "5"]
    assert ("correspondance", "$.fiche_id") in row
    assert ("avertissement", "$.projet.siret") in row
    assert ("avertissement", "$.porteur.telephone") in row
    assert not [o for o, path in row if o != "avertissement"
                and path in ("$.projet.siret", "$.porteur.telephone")]


def test_check_lists_the_warnings_a_run_would_write(tmp_path, credentials, hub, export, capsys):
    config = config_file(tmp_path, credentials, export)
    (tmp_path / "correspondance.json").write_text(json.dumps(lenient_siret()))
    export.rows[3].siret = "12345678901234"
    export.rows[7].telephone = "06 12 34"
    export.write_csv(tmp_path / "export.csv")
    assert main(["check", config, "--sans-hub"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["en_erreur"] == 0 and report["avec_avertissement"] == 2
    warned = {(w["ligne"], e["path"], e["code"])
              for w in report["avertissements"] for e in w["avertissements"]}
    assert warned == {(5, "$.projet.siret", "format"),
                      (9, "$.porteur.telephone", "telephone_invalide")}
    assert hub.fiches == {} and not (tmp_path / "etat").exists()


def test_check_rejects_a_nul_character_in_a_cell_as_the_hub_would(
        tmp_path, credentials, hub, export, capsys):
    """The hub refuses a fiche holding a NUL (`nul_character`); the local validation let
    it through, so `check` counted the row as verified and only the run's answer said."""
    config = config_file(tmp_path, credentials, export)
    export.rows[3].nom = "Nul\x00l"
    export.write_csv(tmp_path / "export.csv")
    main(["check", config, "--sans-hub"])
    report = json.loads(capsys.readouterr().out)
    assert report["en_erreur"] == 1
    [row] = report["problemes"]
    assert (row["ligne"], [e["code"] for e in row["erreurs"]]) == (5, ["nul_character"])


# --- 3. tracking that never misses ------------------------------------------------------

def test_edits_without_a_new_date_are_sent(tmp_path, client, hub, export):
    path = export.write_csv(tmp_path / "export.csv")
    runner(tmp_path, client, path).run()
    for row in export.rows[:5]:
        row.nom = "Modifié"
    export.write_csv(path)
    summary = runner(tmp_path, client, path).run()
    assert summary.accepted == 5 and summary.unchanged == 55
    assert all(hub.fiches[(MEMBER, r.fiche_id)]["porteur"]["nom"] == "Modifié"
               for r in export.rows[:5])


@pytest.mark.parametrize("mode", ["auto", "date_modification"])
def test_rows_refused_for_a_missing_consent_are_sent_once_the_consent_exists(
        tmp_path, client, hub, export, mode):
    late = export.rows[10:30]
    for row in late:
        hub.refuse(row.fiche_id, "consent_missing")
    path = export.write_csv(tmp_path / "export.csv")
    first = runner(tmp_path, client, path, mode=mode).run()
    assert (first.accepted, first.rejected_hub) == (40, 20) and first.complete
    hub.refusals.clear()  # the consents are recorded at the hub
    second = runner(tmp_path, client, path, mode=mode).run()
    assert second.accepted == 20 and len(held(hub, export)) == 60
    assert not (tmp_path / "rejets.csv").exists()  # nothing left to fix
    assert runner(tmp_path, client, path, mode=mode).run().sent == 0


def test_a_future_date_typo_never_freezes_the_cursor(tmp_path, client, hub, export):
    export.rows[0].modifie = dt.datetime(2062, 3, 15, 9, 0)
    path = export.write_csv(tmp_path / "export.csv")
    runner(tmp_path, client, path, mode="date_modification").run()
    cursor = dt.datetime.fromisoformat(Checkpoint(tmp_path / "reprise.json").load().cursor)
    assert cursor <= dt.datetime.now(dt.UTC)
    for row in export.rows[1:4]:
        row.nom, row.modifie = "Corrigé", dt.datetime.now().replace(microsecond=0)
    export.write_csv(path)
    assert runner(tmp_path, client, path, mode="date_modification").run().accepted == 3


def test_a_key_on_two_rows_is_rejected_on_both_naming_the_other(tmp_path, client, hub, export):
    export.rows[7].dossier = export.rows[3].dossier
    export.rows[7].nom = "Autre"
    path = export.write_csv(tmp_path / "export.csv")
    summary = runner(tmp_path, client, path).run()
    assert summary.accepted == 58 and summary.rejected_local == 2 and adds_up(summary)
    rows = {r["ligne"]: r for r in read_rejects(tmp_path / "rejets.csv")}
    assert set(rows) == {"5", "9"} and all(r["code"] == "identifiant_en_double"
                                           for r in rows.values())
    assert "9" in rows["5"]["message_fr"] and "5" in rows["9"]["message_fr"]
    assert runner(tmp_path, client, path).run().sent == 0  # no flip-flop between versions


# --- 4. a rejects file an agent can work from -------------------------------------------

def test_reject_rows_are_the_rows_the_spreadsheet_shows_with_every_error(tmp_path, client, hub,
                                                                        export):
    bad = [r for r in export.rows if "multiligne" in r.styles][-1]
    bad.siret = "12345678901234"  # not a SIRET (schema error)...
    bad.typed[3] = "31/02/1987"  # ...and a birth date that cannot be (mapping error)
    path = export.write_csv(tmp_path / "export.csv")
    text = path.read_bytes().decode("cp1252")
    summary = runner(tmp_path, client, path).run()
    assert summary.rejected_local == 1
    errors = read_rejects(tmp_path / "rejets.csv")
    assert {e["code"] for e in errors} == {"date_invalide", "format"}
    table = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    row = int(errors[0]["ligne"])
    assert table[row - 1][0] == bad.dossier  # row N of the sheet is table[N - 1]
    assert {e["dossier"] for e in errors} == {bad.dossier}


def test_the_rejects_file_holds_the_last_run_and_the_history_is_kept_apart(tmp_path, client,
                                                                          hub, export):
    export.rows[2].siret = "12345678901234"
    path = export.write_csv(tmp_path / "export.csv")
    runner(tmp_path, client, path).run()
    runner(tmp_path, client, path).run()
    assert len(read_rejects(tmp_path / "rejets.csv")) == 1
    [previous] = list((tmp_path / "rejets.historique").iterdir())
    assert len(read_rejects(previous)) == 1


# --- 5. spreadsheets --------------------------------------------------------------------

def test_an_xlsx_workbook_is_read_from_its_named_sheet_with_date_cells(tmp_path, client, hub,
                                                                      export):
    path = export.write_xlsx(tmp_path / "suivi.xlsx", sheet="Suivi")
    summary = runner(tmp_path, client, path, sheet="Suivi").run()
    assert summary.accepted == 60 and summary.rejected == 0
    assert_sent_as_meant(hub, export.rows)


def test_an_ods_workbook_is_read_from_its_table_past_a_notes_sheet_or_as_named(
        tmp_path, client, hub, export):
    path = export.write_ods(tmp_path / "suivi.ods", sheet="Suivi")
    summary = runner(tmp_path, client, path).run()  # the first sheet is the notes
    assert summary.accepted == 60 and summary.rejected == 0 and summary.feuille == "Suivi"
    assert_sent_as_meant(hub, export.rows)
    summary = runner(tmp_path, client, path, sheet="Suivi").run()
    assert summary.unchanged == 60 and summary.feuille == "Suivi"


def test_a_workbook_read_as_csv_gets_a_hint_not_sixty_encoding_errors(tmp_path, export):
    path = export.write_xlsx(tmp_path / "export.csv")  # an .xlsx saved under a .csv name
    source = CsvSource(Mapping.from_dict(MAPPING), path)
    with pytest.raises(SourceError) as refused:
        list(source.changes(None))
    assert "tableur" in refused.value.message_fr


# --- 6. configuration and exit codes ----------------------------------------------------

def config_file(tmp_path, credentials, export, **source):
    (tmp_path / "identifiants.json").write_text(json.dumps(credentials))
    (tmp_path / "correspondance.json").write_text(json.dumps(MAPPING))
    config = {"version": 1, "type": "csv", "source": {"chemin": "export.csv", **source},
              "correspondance": "correspondance.json", "identifiants": "identifiants.json",
              "reprise": "etat/reprise.json", "rejets": "etat/rejets.csv"}
    (tmp_path / "connecteur.json").write_text(json.dumps(config))
    export.write_csv(tmp_path / "export.csv")
    return str(tmp_path / "connecteur.json")


def test_a_config_typo_is_named_with_the_closest_key(tmp_path, credentials, export, capsys):
    config = config_file(tmp_path, credentials, export, separteur=";")
    assert main(["check", config]) == 2
    err = capsys.readouterr().err
    assert "« separteur »" in err and "« separateur »" in err
    MAPPING_TYPO = {**MAPPING, "champs": {"porteur.nom": {"source": "Nom", "tpye": "texte"}}}
    with pytest.raises(ConfigurationError) as refused:
        Mapping.from_dict(MAPPING_TYPO)
    assert "« tpye »" in refused.value.message_fr and "« type »" in refused.value.message_fr


def test_exit_codes_tell_done_done_with_rejects_and_held(tmp_path, credentials, hub, export,
                                                         capsys):
    config = config_file(tmp_path, credentials, export)
    assert main(["run", config]) == 0
    export.rows[0].siret = "12345678901234"
    export.write_csv(tmp_path / "export.csv")
    assert main(["run", config]) == 1
    (tmp_path / "export.csv").write_bytes(b"")
    assert main(["run", config]) == 5
    assert "--confirmer-suppressions" in capsys.readouterr().err
    assert main(["run", config, "--confirmer-suppressions"]) == 0
    assert hub.fiches == {}


RENAMED = ["Numéro de dossier", "Nom du porteur", "Prénom du porteur", "Date de naissance",
           "Tél.", "N° SIRET", "NAF", "Besoin(s)", "Montant", "Apport personnel",
           "Observations", "Date de modification"]


def test_a_header_no_row_matches_is_a_configuration_error_sending_nothing(
        tmp_path, credentials, hub, export, capsys):
    export.header = list(RENAMED)
    config = config_file(tmp_path, credentials, export)
    assert main(["run", config]) == 2
    err = capsys.readouterr().err
    # a row naming no mapped column may as well be a row of values: nothing of it is quoted
    assert "« N° dossier » introuvable." in err and "renommées" in err
    assert "Numéro de dossier" not in err and "colonnes proches" not in err
    assert hub.fiches == {} and not (tmp_path / "etat" / "reprise.json").exists()
    assert main(["check", config]) == 2


def test_a_renamed_header_after_a_run_is_a_configuration_error_withdrawing_nothing(
        tmp_path, credentials, hub, export, capsys):
    config = config_file(tmp_path, credentials, export)
    assert main(["run", config]) == 0
    export.header = list(RENAMED)
    export.write_csv(tmp_path / "export.csv")
    assert main(["run", config]) == 2
    assert "introuvable" in capsys.readouterr().err
    assert len(held(hub, export)) == 60


def test_a_missing_required_column_is_a_configuration_error_naming_it(
        tmp_path, credentials, hub, export, capsys):
    config = config_file(tmp_path, credentials, export)
    mapping = json.loads(json.dumps(MAPPING))
    mapping["champs"]["porteur.nom"]["obligatoire"] = True
    (tmp_path / "correspondance.json").write_text(json.dumps(mapping))
    export.header[1] = "Nom de famille"
    export.write_csv(tmp_path / "export.csv")
    assert main(["run", config]) == 2
    err = capsys.readouterr().err
    assert "« Nom » introuvable ; colonnes proches : « Nom de famille »" in err
    assert "« N° dossier » introuvable" not in err and hub.fiches == {}
