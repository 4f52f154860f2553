"""Exports a real hub must never take at face value: a column renamed in the spreadsheet,
a file caught while being written (cut at a row end or mid-cell), a spreadsheet's lock
file beside it, a workbook cut short. Each stops the run before anything is sent or
withdrawn; the complete file then goes through as usual."""

import json
import os

import pytest

from connectors.cli import main
from tests.office_export import MAPPING, OfficeExport

MEMBER = "commune-ambert"


@pytest.fixture
def export():
    return OfficeExport(40, seed=21)


def configure(tmp_path, credentials, name="export.csv", kind="csv"):
    (tmp_path / "identifiants.json").write_text(json.dumps(credentials))
    (tmp_path / "correspondance.json").write_text(json.dumps(MAPPING))
    config = {"version": 1, "type": kind, "source": {"chemin": name},
              "correspondance": "correspondance.json", "identifiants": "identifiants.json",
              "reprise": "etat/reprise.json", "rejets": "etat/rejets.csv"}
    (tmp_path / "connecteur.json").write_text(json.dumps(config))
    return str(tmp_path / "connecteur.json")


def run(config, capsys, *extra):
    code = main(["run", config, *extra])
    out, err = capsys.readouterr()
    summary = json.loads(out.splitlines()[-1])["resume"] if out.strip() else None
    return code, summary, err


def at_hub(hub, export):
    return {row.fiche_id: dict(hub.fiches[(MEMBER, row.fiche_id)]) for row in export.rows
            if (MEMBER, row.fiche_id) in hub.fiches}


def first_complete_run(tmp_path, credentials, export, capsys, hub):
    config = configure(tmp_path, credentials)
    path = export.write_csv(tmp_path / "export.csv")
    code, summary, _ = run(config, capsys)
    assert code == 0 and summary["accepted"] == 40
    return config, path, at_hub(hub, export), (tmp_path / "etat" / "reprise.json").read_bytes()


def test_a_renamed_column_stops_the_run_before_anything_is_sent(
        tmp_path, credentials, hub, export, capsys):
    config, path, before, state = first_complete_run(tmp_path, credentials, export, capsys,
                                                     hub)
    export.header[export.header.index("Téléphone")] = "Tél."
    for row in export.rows[:3]:  # edits that would otherwise leave
        row.nom = row.nom + "-Durand"
    export.write_csv(path)
    code, summary, err = run(config, capsys)
    assert code == 5
    assert summary["stopped"] == "suppressions_a_confirmer" and summary["sent"] == 0
    assert "« Téléphone » (renommée en « Tél. » ?)" in summary["raison"]
    assert "correspondance" in summary["raison"] and "--confirmer-suppressions" in err
    assert at_hub(hub, export) == before
    assert (tmp_path / "etat" / "reprise.json").read_bytes() == state


def test_a_column_confirmed_gone_lets_the_fiches_go_without_it(
        tmp_path, credentials, hub, export, capsys):
    config, path, _, _ = first_complete_run(tmp_path, credentials, export, capsys, hub)
    export.header[export.header.index("Téléphone")] = "Tél."
    export.write_csv(path)
    code, summary, _ = run(config, capsys, "--confirmer-suppressions")
    assert code == 0 and summary["accepted"] == len(
        [r for r in export.rows if r.expected().get("porteur", {}).get("telephone")])
    code, summary, _ = run(config, capsys)  # the export without it is now the last complete
    assert code == 0 and summary["sent"] == 0


def test_optional_columns_no_export_ever_had_hold_no_deletion(
        tmp_path, credentials, hub, export, capsys):
    config = configure(tmp_path, credentials)
    mapping = json.loads(json.dumps(MAPPING))
    mapping["champs"]["porteur.courriel"] = {"source": "Courriel", "type": "courriel"}
    (tmp_path / "correspondance.json").write_text(json.dumps(mapping))
    path = export.write_csv(tmp_path / "export.csv")
    assert run(config, capsys)[0] == 0
    gone = export.rows.pop()
    export.write_csv(path)
    code, summary, _ = run(config, capsys)
    assert code == 0 and summary["withdrawals"] == [gone.fiche_id]


def cut_at_row_end(raw, rows):
    return b"\r\n".join(raw.split(b"\r\n")[:rows + 1]) + b"\r\n"


@pytest.mark.parametrize("cut", ["fin de ligne", "milieu de cellule"])
def test_an_export_caught_while_written_withdraws_and_sends_nothing(
        tmp_path, credentials, hub, export, capsys, cut):
    config, path, before, state = first_complete_run(tmp_path, credentials, export, capsys,
                                                     hub)
    full = path.read_bytes()
    for row in export.rows[:2]:
        row.nom = row.nom + "-Durand"
    edited = export.write_csv(path).read_bytes()
    if cut == "fin de ligne":  # 36 of 40 rows: 10 %, and the file has not grown to its end
        path.write_bytes(cut_at_row_end(edited, 36)[:-2])
    else:
        path.write_bytes(edited[:len(cut_at_row_end(edited, 36)) + 9])
    code, summary, err = run(config, capsys)
    assert code == 3 and summary is None
    assert "n'a pas de fin de ligne" in err and "Rien n'a été envoyé ni retiré" in err
    assert at_hub(hub, export) == before
    assert (tmp_path / "etat" / "reprise.json").read_bytes() == state
    path.write_bytes(full)
    assert run(config, capsys)[0] == 0 and at_hub(hub, export) == before


def test_a_tenth_of_the_fiches_gone_at_once_waits_for_a_confirmation(
        tmp_path, credentials, hub, export, capsys):
    config, path, before, _ = first_complete_run(tmp_path, credentials, export, capsys, hub)
    path.write_bytes(cut_at_row_end(path.read_bytes(), 36))  # ends well: 4 of 40 gone
    code, summary, _ = run(config, capsys)
    assert code == 5 and summary["withdrawals"] == [] and summary["withdrawals_held"] == 4
    assert at_hub(hub, export) == before
    code, summary, _ = run(config, capsys, "--confirmer-suppressions")
    assert code == 0 and len(summary["withdrawals"]) == 4


@pytest.mark.parametrize("lock", ["~$export.csv", ".~lock.export.csv#"])
def test_a_spreadsheet_lock_file_beside_the_export_stops_the_run(
        tmp_path, credentials, hub, export, capsys, lock):
    config, path, before, _ = first_complete_run(tmp_path, credentials, export, capsys, hub)
    export.rows.pop()  # a real deletion, written while the file is open
    export.write_csv(path)
    (tmp_path / lock).write_bytes(b"agent,poste;")
    code, _, err = run(config, capsys)
    assert code == 3 and f"« {lock} »" in err and "Fermez-le" in err
    assert len(hub.fiches) == len(before) == 40  # the row gone is not withdrawn yet
    os.remove(tmp_path / lock)
    code, summary, _ = run(config, capsys)
    assert code == 0 and len(summary["withdrawals"]) == 1


def test_a_workbook_cut_short_is_named_as_such(tmp_path, credentials, hub, export, capsys):
    config = configure(tmp_path, credentials, "suivi.xlsx", "tableur")
    path = export.write_xlsx(tmp_path / "suivi.xlsx")
    path.write_bytes(path.read_bytes()[:len(path.read_bytes()) * 2 // 3])
    code, _, err = run(config, capsys)
    assert code == 3 and "Classeur incomplet" in err and not hub.fiches


def test_an_unreachable_hub_is_said_in_french_on_the_error_output(
        tmp_path, credentials, export, capsys):
    config = configure(tmp_path, {**credentials, "hub_url": "http://127.0.0.1:9"})
    export.write_csv(tmp_path / "export.csv")
    code, summary, err = run(config, capsys)
    assert code == 3 and summary["stopped"] == "hub_unavailable"
    assert "Hub injoignable" in err and "le passage suivant enverra le reste" in err
