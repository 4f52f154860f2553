"""Two separators finding an equally complete header: a `,` export whose note (a quoted
cell on two lines) holds the header pasted as `;` text. `;` won the tie: every row was
rejected `cellules_decalees` and the first one was left out without a word."""

from pathlib import Path

from connectors.cli import main
from tests.integration.connectors.test_agent_exports import HEADER, MEMBER, ROWS
from tests.integration.connectors.test_separator_left_out import (
    LATIN_ROWS,
    _without_separator,
    configure,
    write,
)

EXIT_CONFIG = 2


def _export_with_a_header_in_a_note(path: Path) -> None:
    rows = [list(r) for r in LATIN_ROWS]
    rows[0][9] = "Vu\n" + ";".join(HEADER[:-1])
    write(path, [HEADER, *rows], separator=",", encoding="utf-8")


def test_a_tie_between_two_separators_stops_asking_for_separateur(tmp_path, credentials, hub,
                                                                  capsys):
    _export_with_a_header_in_a_note(tmp_path / "export.csv")
    config = _without_separator(configure(tmp_path, credentials, "export.csv"))
    code = main(["run", config])
    err = capsys.readouterr().err
    assert code == EXIT_CONFIG, err
    assert "« separateur »" in err and "« ; » et « , »" in err and "Traceback" not in err
    assert hub.accepted_versions(MEMBER) == {}


def test_the_same_export_with_its_separator_written_is_read_whole(tmp_path, credentials, hub,
                                                                  capsys):
    _export_with_a_header_in_a_note(tmp_path / "export.csv")
    config = configure(tmp_path, credentials, "export.csv", separator=",")
    assert main(["run", config]) == 0, capsys.readouterr().err
    assert len(hub.accepted_versions(MEMBER)) == len(ROWS)
