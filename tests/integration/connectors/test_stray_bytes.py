"""One byte of another encoding in a UTF-8 export (a cell pasted from an old file): in a
header cell, the run pushed every row, then crashed writing its checkpoint (the header's
unreadable character could not be saved), and so did every run after it. A header cell
that cannot be read is a configuration error naming its column, before anything is
sent; a checkpoint that cannot be written is an error that says so, never a traceback."""

import pytest

from connectors.checkpoint import Checkpoint, CheckpointState
from connectors.cli import EXIT_CONFIG, EXIT_OK, EXIT_PROBLEMS, main
from connectors.errors import CheckpointError
from tests.integration.connectors.test_agent_exports import (
    HEADER,
    MEMBER,
    ROWS,
    configure,
    rejects,
)


def _export(path, header, rows):
    lines = [";".join(cells).encode() for cells in rows]
    path.write_bytes(b"\r\n".join([header, *lines]) + b"\r\n")


def test_a_stray_byte_in_a_header_cell_is_a_configuration_error_naming_its_column(
        tmp_path, credentials, hub, capsys):
    header = ";".join(HEADER[:-1]).encode() + b";Remarque \xe9crite"
    _export(tmp_path / "export.csv", header, ROWS)
    config = configure(tmp_path, credentials, "export.csv")
    assert main(["run", config]) == EXIT_CONFIG
    error = capsys.readouterr().err
    assert "colonne J" in error and "Traceback" not in error
    assert not hub.fiches
    _export(tmp_path / "export.csv", ";".join(HEADER).encode(), ROWS)  # the header fixed
    assert main(["run", config]) == EXIT_OK
    assert main(["run", config]) == EXIT_OK
    assert set(hub.accepted_versions(MEMBER).values()) == {1}


def test_a_stray_byte_in_a_record_number_is_a_reject_and_the_next_runs_go_on(
        tmp_path, credentials, hub, capsys):
    rows = [[cell.encode() for cell in row] for row in ROWS]
    rows[1][0] = b"2026-0\xe902"
    lines = [b";".join(cells) for cells in [[c.encode() for c in HEADER], *rows]]
    (tmp_path / "export.csv").write_bytes(b"\r\n".join(lines) + b"\r\n")
    config = configure(tmp_path, credentials, "export.csv")
    assert main(["run", config]) == EXIT_PROBLEMS, capsys.readouterr().err
    assert main(["run", config]) == EXIT_PROBLEMS, capsys.readouterr().err
    assert ("3", "N° dossier", "encodage_invalide") in rejects(tmp_path)
    assert set(hub.accepted_versions(MEMBER).values()) == {1}


def test_a_checkpoint_that_cannot_be_written_is_a_checkpoint_error(tmp_path):
    unreadable = CheckpointState(columns=["Remarque \udce9crite"])
    with pytest.raises(CheckpointError):
        Checkpoint(tmp_path / "reprise.json").commit(unreadable)
    (tmp_path / "etat").write_text("un fichier, pas un dossier")
    with pytest.raises(CheckpointError):
        Checkpoint(tmp_path / "etat" / "reprise.json").commit(CheckpointState())
