"""An older export put back (a restored backup, a sync client reverting the file) is not
sent over what the hub already has from a later one.

Before, its rows went out as new versions carrying the older content and the older update
date (« Modifié le » 07/12 back to 01/12), and the fiches created since were withdrawn,
exit 0, no warning. A row dated before the version last sent is now held (rejects file, with
what to do), and such rows hold the withdrawals too (exit 5, as for held withdrawals)."""

from connectors.cli import main
from connectors.rejects import read_rejects
from tests.integration.connectors.test_agent_exports import HEADER, MEMBER, configure, write

EXIT_PROBLEMS, EXIT_HELD = 1, 5


def _row(n: int, project: str = "Gîte", date: str = "01/12/2026") -> list[str]:
    return [f"2026-{n:03d}", f"Nom{n:03d}", "Zoé", "12/03/1985", "0473123456", "63600",
            project, "8 000", date, ""]


MONDAY = [_row(n) for n in range(40)]
TUESDAY = [_row(n, "Boulangerie", "07/12/2026") if n < 10 else _row(n) for n in range(42)]


def test_an_older_export_put_back_sends_and_withdraws_nothing(tmp_path, credentials, hub, capsys):
    config = configure(tmp_path, credentials, "export.csv")
    write(tmp_path / "export.csv", [HEADER, *MONDAY])
    assert main(["run", config]) == 0, capsys.readouterr().err
    write(tmp_path / "export.csv", [HEADER, *TUESDAY])
    assert main(["run", config]) == 0, capsys.readouterr().err
    capsys.readouterr()
    write(tmp_path / "export.csv", [HEADER, *MONDAY])  # Monday's file comes back
    assert main(["run", config]) == EXIT_HELD
    said = capsys.readouterr().err
    assert "plus ancienne" in said and "10" in said, said
    assert not hub.erased
    assert all(hub.fiches[(MEMBER, f"COM-2026-{n:03d}")]["mis_a_jour_le"]
               .startswith("2026-12-07") for n in range(10))
    held = read_rejects(tmp_path / "etat" / "rejets.csv")
    assert sorted((r["ligne"], r["code"]) for r in held) == sorted(
        (str(n + 2), "plus_ancienne_que_envoyee") for n in range(10))
    write(tmp_path / "export.csv", [HEADER, *TUESDAY])  # the latest export back: all is well
    assert main(["run", config]) == 0, capsys.readouterr().err
    assert not hub.erased


def test_one_row_dated_before_the_version_sent_is_held(tmp_path, credentials, hub, capsys):
    config = configure(tmp_path, credentials, "export.csv")
    write(tmp_path / "export.csv", [HEADER, *TUESDAY])
    assert main(["run", config]) == 0, capsys.readouterr().err
    write(tmp_path / "export.csv", [HEADER, _row(0, "Atelier", "30/11/2026"), *TUESDAY[1:]])
    assert main(["run", config]) == EXIT_PROBLEMS
    assert hub.fiches[(MEMBER, "COM-2026-000")]["mis_a_jour_le"].startswith("2026-12-07")
    assert [(r["ligne"], r["code"]) for r in read_rejects(tmp_path / "etat" / "rejets.csv")] \
        == [("2", "plus_ancienne_que_envoyee")]
