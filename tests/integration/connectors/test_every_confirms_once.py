"""`--every` with `--confirmer-suppressions` confirms the withdrawals of the first turn only.

Before, the confirmation held for every later turn: a filtered export saved an hour later
withdrew most of the member's fiches with no one asked."""

import json
from pathlib import Path

import connectors.cli as cli
from tests.integration.connectors.test_agent_exports import HEADER, configure, write
from tests.integration.connectors.test_older_export_put_back import _row

EXIT_HELD = 5


def test_the_confirmation_covers_the_first_turn_only(tmp_path, credentials, hub, capsys,
                                                     monkeypatch):
    config = configure(tmp_path, credentials, "export.csv")
    write(tmp_path / "export.csv", [HEADER, *[_row(n) for n in range(40)]])
    assert cli.main(["run", config]) == 0, capsys.readouterr().err
    write(tmp_path / "export.csv", [HEADER, *[_row(n) for n in range(30)]])  # confirmed
    original = cli.run_every

    def filtered_between_turns(*args, **kwargs):
        def sleep(_seconds: float) -> None:  # someone saves a filtered export meanwhile
            write(tmp_path / "export.csv", [HEADER, *[_row(n) for n in range(20)]])
        return original(*args, **{**kwargs, "sleep": sleep})

    monkeypatch.setattr(cli, "run_every", filtered_between_turns)
    assert cli.main(["run", config, "--every", "1s", "--max-runs", "2",
                     "--confirmer-suppressions"]) == EXIT_HELD
    assert len(hub.erased) == 10


def test_the_configuration_s_confirmation_covers_the_first_turn_only_too(
        tmp_path, credentials, hub, capsys, monkeypatch):
    """`"confirmer_suppressions": true` in the configuration, run with `--every`: the same
    rule as the flag (before, it confirmed every turn, the filtered export's too)."""
    config = configure(tmp_path, credentials, "export.csv")
    write(tmp_path / "export.csv", [HEADER, *[_row(n) for n in range(40)]])
    assert cli.main(["run", config]) == 0, capsys.readouterr().err
    settings = json.loads(Path(config).read_text())
    Path(config).write_text(json.dumps({**settings, "confirmer_suppressions": True}))
    write(tmp_path / "export.csv", [HEADER, *[_row(n) for n in range(30)]])  # confirmed
    original = cli.run_every

    def filtered_between_turns(*args, **kwargs):
        def sleep(_seconds: float) -> None:
            write(tmp_path / "export.csv", [HEADER, *[_row(n) for n in range(20)]])
        return original(*args, **{**kwargs, "sleep": sleep})

    monkeypatch.setattr(cli, "run_every", filtered_between_turns)
    assert cli.main(["run", config, "--every", "1s", "--max-runs", "2"]) == EXIT_HELD
    assert len(hub.erased) == 10
    assert "--confirmer-suppressions" in capsys.readouterr().err  # the held turn says how


def test_the_configuration_s_confirmation_holds_for_a_single_run(
        tmp_path, credentials, hub, capsys):
    config = configure(tmp_path, credentials, "export.csv")
    write(tmp_path / "export.csv", [HEADER, *[_row(n) for n in range(40)]])
    assert cli.main(["run", config]) == 0, capsys.readouterr().err
    settings = json.loads(Path(config).read_text())
    Path(config).write_text(json.dumps({**settings, "confirmer_suppressions": True}))
    write(tmp_path / "export.csv", [HEADER, *[_row(n) for n in range(30)]])
    assert cli.main(["run", config]) == 0
    assert len(hub.erased) == 10
