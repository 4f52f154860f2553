"""A CSV configuration without « separateur »: the separator is the one that finds the
mapping's header (`;`, `,`, tab or `|`), in any encoding the connector detects, as Excel's
« Texte Unicode » (UTF-16 with BOM, tab-separated) and « CSV (séparateur : point-virgule) »
(Windows-1252, `;`) save them; a separator written in the configuration is kept as written
and a wrong one is named."""

import csv
import io
import json
from pathlib import Path

import pytest

from connectors.cli import main
from tests.integration.connectors.test_agent_exports import HEADER, MEMBER, ROWS, configure

LATIN_ROWS = [[c.replace("ằ", "a") for c in row] for row in ROWS]  # cp1252 has no ằ


def write(path: Path, rows: list[list[str]], *, separator: str, encoding: str) -> None:
    """As an office tool saves: a cell holding the separator is quoted (« 12 500,50 »)."""
    text = io.StringIO()
    csv.writer(text, delimiter=separator, lineterminator="\r\n").writerows(rows)
    path.write_bytes(text.getvalue().encode(encoding))


def _without_separator(config: str) -> str:
    data = json.loads(Path(config).read_text())
    del data["source"]["separateur"]
    Path(config).write_text(json.dumps(data))
    return config


@pytest.mark.parametrize(("name", "separator", "encoding"), [
    ("export.txt", "\t", "utf-16"),  # Excel's « Texte Unicode »
    ("export.csv", ";", "cp1252"),  # Excel's « CSV (séparateur : point-virgule) »
    ("export.csv", ",", "utf-8-sig"),  # LibreOffice's default, an English Excel's CSV
    ("export.csv", "|", "utf-8"),
])
def test_an_export_is_read_with_the_separator_that_finds_its_header(
        tmp_path, credentials, hub, capsys, name, separator, encoding):
    write(tmp_path / name, [HEADER, *LATIN_ROWS], separator=separator, encoding=encoding)
    config = _without_separator(configure(tmp_path, credentials, name))
    assert main(["run", config]) == 0, capsys.readouterr().err
    assert len(hub.accepted_versions(MEMBER)) == len(ROWS)
    first = hub.fiches[(MEMBER, "COM-2026-001")]
    assert (first["porteur"]["nom"], first["porteur"]["prenom"]) == ("Béranger", "Zoé")
    assert first["financement"]["besoin_total"] == 12500.5


def test_a_separator_written_in_the_configuration_and_wrong_is_named(tmp_path, credentials, hub,
                                                                      capsys):
    write(tmp_path / "export.txt", [HEADER, *LATIN_ROWS], separator="\t", encoding="utf-16")
    assert main(["run", configure(tmp_path, credentials, "export.txt", ";")]) == 2
    error = capsys.readouterr().err
    assert "« tabulation »" in error and "« separateur »" in error
    assert hub.accepted_versions(MEMBER) == {}


def test_a_file_no_separator_finds_a_header_in_says_so_and_sends_nothing(
        tmp_path, credentials, hub, capsys):
    write(tmp_path / "export.csv", [["a", "b"], ["1", "2"]], separator=";", encoding="utf-8")
    assert main(["run", _without_separator(configure(tmp_path, credentials, "export.csv"))]) == 2
    assert "N° dossier" in capsys.readouterr().err
    assert hub.accepted_versions(MEMBER) == {}
