"""The rejects file tells a member's agent which line to fix and why, without values."""

import pytest

from connectors.mapping import MappingProblem
from connectors.rejects import RejectsFile, read_rejects

PROBLEM = MappingProblem("$.porteur.date_naissance", "date_invalide", "Date illisible.",
                         "Unreadable date.", "Né(e) le")


def test_jsonl_rejects_hold_the_line_the_origin_and_the_errors(tmp_path):
    with RejectsFile(tmp_path / "rejets.jsonl", run_id="run-1") as rejects:
        rejects.write(312, None, "correspondance", [PROBLEM])
    [entry] = read_rejects(tmp_path / "rejets.jsonl")
    assert entry["ligne"] == 312 and entry["origine"] == "correspondance"
    assert entry["erreurs"][0]["code"] == "date_invalide"
    assert entry["erreurs"][0]["colonne"] == "Né(e) le"


def test_csv_rejects_open_in_french_office_tools_and_append_run_after_run(tmp_path):
    path = tmp_path / "rejets.csv"
    with RejectsFile(path, run_id="run-1") as rejects:
        rejects.write(312, "COM-1", "hub", [{"path": "$.version", "code": "stale_version",
                                             "message_fr": "x", "message_en": "y"}])
    with RejectsFile(path, run_id="run-2") as rejects:
        rejects.write(40, None, "correspondance", [PROBLEM])
    assert path.read_bytes().startswith(b"\xef\xbb\xbfexecution;ligne")
    rows = read_rejects(path)
    assert [(r["execution"], r["ligne"], r["code"]) for r in rows] == [
        ("run-1", "312", "stale_version"), ("run-2", "40", "date_invalide")]


def test_no_file_is_created_when_nothing_is_rejected(tmp_path):
    RejectsFile(tmp_path / "rejets.csv").close()
    assert not (tmp_path / "rejets.csv").exists()


def test_csv_rejects_never_hand_a_spreadsheet_a_formula_from_the_export(tmp_path):
    """The dossier number, the fiche id and the column come from the member's export: a
    cell starting with = + - @ (or a tab / carriage return) would run as a formula when
    the agent opens the rejects file (CSV injection); it is written as text, quoted."""
    path = tmp_path / "rejets.csv"
    hostile = MappingProblem("$.fiche_id", "format", "x", "y", '=HYPERLINK("http://x","y")')
    with RejectsFile(path, run_id="run-1") as rejects:
        rejects.write(7, "+33-1", "correspondance", [hostile], key='@SUM(A1:A9)')
    [row] = read_rejects(path)
    assert (row["dossier"], row["fiche_id"], row["colonne"]) == (
        "'@SUM(A1:A9)", "'+33-1", '\'=HYPERLINK("http://x","y")')


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_no_cell_of_csv_rejects_starts_a_formula_not_even_a_hub_message(tmp_path, start):
    """A hub's (or a proxy's) refusal is written as it came: its path, code and messages
    are cells of the file too, and so is the column the member's export names."""
    path = tmp_path / "rejets.csv"
    problem = {"path": start + "$.x", "code": start + "code", "colonne": start + "Nom",
               "message_fr": start + 'HYPERLINK("http://x")', "message_en": start + "1+1"}
    with RejectsFile(path, run_id="run-1") as rejects:
        rejects.write(3, start + "F-1", start + "hub", [problem], key=start + "2026-001")
    [row] = read_rejects(path)
    written = [row[c] for c in ("dossier", "fiche_id", "origine", "chemin", "colonne", "code",
                                "message_fr", "message_en")]
    assert all(cell.startswith("'" + start) for cell in written), written
