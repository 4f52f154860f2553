"""`capactif connector check|run CONFIG` on a commune's spreadsheet and a local hub."""

import json
import shutil
from pathlib import Path

from capactif_demo.sim.spreadsheet import write_export
from connectors.cli import main, parse_duration

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "connectors"


def setup_member(tmp_path, credentials):
    shutil.copy(EXAMPLES / "commune-tableur" / "correspondance.json", tmp_path)
    config = json.loads((EXAMPLES / "commune-tableur" / "connecteur.json").read_text())
    (tmp_path / config["identifiants"]).write_text(json.dumps(credentials))
    (tmp_path / "connecteur.json").write_text(json.dumps(config))
    write_export(tmp_path / config["source"]["chemin"], 60, bad_lines={12: "etape"})
    return tmp_path / "connecteur.json"


def test_check_reports_bad_lines_and_sends_nothing(tmp_path, credentials, hub, capsys):
    config = setup_member(tmp_path, credentials)
    assert main(["check", str(config)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["verifies"] == 60 and report["en_erreur"] == 1
    assert report["problemes"][0]["ligne"] == 12
    assert report["hub"]["code"] == "ok"  # reached with the credentials, one read
    # two reads: the feed (credentials), then the cited consents (none recorded here)
    assert report["consentements"]["code"] == "manquants"
    assert hub.requests == 2 and hub.log == [] and not (tmp_path / "etat").exists()


def test_check_says_when_the_hub_refuses_the_credentials(tmp_path, credentials, hub, capsys):
    config = setup_member(tmp_path, {**credentials, "token": "commune-ambert.faux"})
    assert main(["check", str(config)]) == 4
    report = json.loads(capsys.readouterr().out)
    assert report["hub"]["code"] == "identifiants_refuses"
    assert "faux" not in json.dumps(report)  # the token never shows


def test_check_says_when_the_hub_cannot_be_reached(tmp_path, credentials, hub, capsys):
    config = setup_member(tmp_path, {**credentials, "hub_url": "http://127.0.0.1:9"})
    assert main(["check", str(config)]) == 3
    assert json.loads(capsys.readouterr().out)["hub"]["code"] == "hub_injoignable"


def test_run_sends_the_export_and_prints_a_summary(tmp_path, credentials, hub, capsys):
    config = setup_member(tmp_path, credentials)
    assert main(["run", str(config)]) == 1  # done, with a rejected row to fix
    summary = json.loads(capsys.readouterr().out)["resume"]
    assert summary["accepted"] == 59 and summary["rejected_local"] == 1
    assert (tmp_path / "etat" / "reprise.json").exists()
    assert (tmp_path / "etat" / "rejets.csv").exists()


def test_run_every_with_a_bound_stops_after_the_runs(tmp_path, credentials, hub, capsys):
    config = setup_member(tmp_path, credentials)
    assert main(["run", str(config), "--every", "0s", "--max-runs", "2"]) == 1
    lines = [json.loads(t)["resume"] for t in capsys.readouterr().out.splitlines()]
    assert [s["accepted"] for s in lines] == [59, 0]


def test_wrong_credentials_exit_with_the_auth_code(tmp_path, credentials, hub, capsys):
    config = setup_member(tmp_path, {**credentials, "token": "commune-ambert.faux"})
    assert main(["run", str(config)]) == 4
    assert "hub_auth_error" in capsys.readouterr().err


def test_an_invalid_config_exits_with_the_config_code(tmp_path, capsys):
    (tmp_path / "c.json").write_text('{"version": 1, "type": "ftp"}')
    assert main(["check", str(tmp_path / "c.json")]) == 2
    assert "configuration_error" in capsys.readouterr().err


def test_durations_read_seconds_minutes_and_hours():
    assert [parse_duration(t) for t in ("30", "30s", "5m", "1h")] == [30, 30, 300, 3600]


def test_receive_without_a_folder_or_an_endpoint_is_a_configuration_error(capsys):
    assert main(["receive", "--hub-key", "hub-2025=" + "A" * 43]) == 2
    assert "configuration_error" in capsys.readouterr().err


def test_receive_with_a_missing_endpoint_token_is_a_configuration_error(capsys, monkeypatch):
    monkeypatch.delenv("JETON_POINT_RECEPTION", raising=False)
    assert main(["receive", "--forward", "http://127.0.0.1:9/", "--forward-token-env",
                 "JETON_POINT_RECEPTION", "--hub-key", "hub-2025=" + "A" * 43]) == 2
    assert "JETON_POINT_RECEPTION" in capsys.readouterr().err
