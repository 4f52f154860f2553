"""A mapped column emptied in the whole export is held as a renamed one is.

An export whose « Téléphone » column kept its heading but lost every value (a filter on
the column, a formula gone, a copy of the wrong range) would send every fiche without its
phone, erasing it at the hub. A renamed column already stopped the run (exit code 5); a
column that held values in the last complete export and is empty on every row now stops
it likewise, before anything is sent, until the export is fixed or the emptying confirmed.
"""

import json

from connectors.cli import main
from tests.integration.connectors.test_agent_exports import HEADER, MEMBER, ROWS, configure, write

EXIT_HELD = 5
PHONE = HEADER.index("Téléphone")


def _without_phones() -> list[list[str]]:
    return [[*row[:PHONE], "", *row[PHONE + 1:]] for row in ROWS]


def _phones(hub) -> dict[str, str | None]:
    return {fid: fiche["porteur"].get("telephone")
            for (member, fid), fiche in hub.fiches.items() if member == MEMBER}


def test_a_column_emptied_on_every_row_stops_the_run_before_anything_is_sent(
        tmp_path, credentials, hub, capsys):
    write(tmp_path / "export.csv", [HEADER, *ROWS])
    config = configure(tmp_path, credentials, "export.csv")
    assert main(["run", config]) == 0, capsys.readouterr().err
    capsys.readouterr()
    pushes = len(hub.log)
    write(tmp_path / "export.csv", [HEADER, *_without_phones()])
    assert main(["run", config]) == EXIT_HELD
    out, err = capsys.readouterr()
    summary = json.loads(out.strip().splitlines()[-1])["resume"]
    assert summary["stopped"] == "suppressions_a_confirmer" and summary["sent"] == 0
    assert "« Téléphone »" in err and "vide sur chaque ligne" in err
    assert "--confirmer-suppressions" in err and "0612345678" not in err
    assert len(hub.log) == pushes and all(_phones(hub).values())
    write(tmp_path / "export.csv", [HEADER, *ROWS])  # the values back: nothing to send
    assert main(["run", config]) == 0
    assert len(hub.log) == pushes


def test_a_column_really_emptied_goes_once_confirmed(tmp_path, credentials, hub, capsys):
    write(tmp_path / "export.csv", [HEADER, *ROWS])
    config = configure(tmp_path, credentials, "export.csv")
    assert main(["run", config]) == 0, capsys.readouterr().err
    write(tmp_path / "export.csv", [HEADER, *_without_phones()])
    assert main(["run", config, "--confirmer-suppressions"]) == 0, capsys.readouterr().err
    assert not any(_phones(hub).values())
    assert main(["run", config]) == 0  # the emptied export is now the last complete one


def test_a_column_never_filled_holds_nothing(tmp_path, credentials, hub, capsys):
    write(tmp_path / "export.csv", [HEADER, *_without_phones()])
    config = configure(tmp_path, credentials, "export.csv")
    assert main(["run", config]) == 0, capsys.readouterr().err
    changed = _without_phones()
    changed[0][HEADER.index("Projet")] = "Boulangerie bio"
    write(tmp_path / "export.csv", [HEADER, *changed])
    assert main(["run", config]) == 0, capsys.readouterr().err
    assert hub.accepted_versions(MEMBER)["COM-2026-001"] == 2
