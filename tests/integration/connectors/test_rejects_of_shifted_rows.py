"""A row whose cells are shifted (a separator typed inside a surname) reads another cell
under « N° dossier »: the rejects file wrote that text, a surname, in its `dossier` and
`fiche_id` columns. They are written only when the number column reads as a record
number."""

from connectors.cli import EXIT_PROBLEMS, main
from connectors.rejects import read_rejects
from tests.integration.connectors.test_agent_exports import HEADER, ROWS, configure, write


def test_a_shifted_rows_rejects_name_no_dossier(tmp_path, credentials, hub, capsys):
    header = [HEADER[1], HEADER[0], *HEADER[2:-1]]  # the surname before the number
    rows = [[row[1], row[0], *row[2:-1]] for row in ROWS]
    rows[3][0] = "Da;Silva"  # unquoted: every cell after it moves right by one
    write(tmp_path / "export.csv", [header, *rows])
    assert main(["run", configure(tmp_path, credentials, "export.csv")]) == EXIT_PROBLEMS
    shifted = [r for r in read_rejects(tmp_path / "etat" / "rejets.csv") if r["ligne"] == "5"]
    assert shifted and all(not r["dossier"] and not r["fiche_id"] for r in shifted)
    others = [r for r in read_rejects(tmp_path / "etat" / "rejets.csv") if r["ligne"] != "5"]
    assert all(r["dossier"] for r in others)
