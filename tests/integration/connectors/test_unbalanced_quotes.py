"""A CSV export where one cell opens a quote it never closes (a title typed « "Le Fournil »
written unquoted by a CRM): the CSV reader takes every line up to the next quote as that
cell's text. The rows it swallowed must not vanish from the network, and their data must
not leave inside the cell of another porteur's fiche."""

import json
from pathlib import Path

import pytest

from capactif_demo.sim.french_data import PeopleFactory
from capactif_demo.sim.spreadsheet import HEADER, write_export
from connectors.checkpoint import Checkpoint
from connectors.csv_source import CsvSource
from connectors.mapping import Mapping
from connectors.rejects import RejectsFile, read_rejects
from connectors.runner import HELD, Runner

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "connectors"
TITLE = HEADER.index("Projet")
MAPPING = json.loads((EXAMPLES / "commune-tableur" / "correspondance.json").read_text())


def runner(tmp_path, client, path, mapping=None, *, confirm=False):
    mapping = mapping or Mapping.from_dict(MAPPING)
    return Runner(CsvSource(mapping, path), client, Checkpoint(tmp_path / "reprise.json"),
                  RejectsFile(tmp_path / "rejets.csv"), batch_size=100,
                  confirm_deletions=confirm)


def with_stray_quotes(path: Path, opened: tuple[int, int], closed: tuple[int, int]) -> None:
    """The export with a quote opening cell (line, column) and one ending cell (line,
    column), both unescaped (lines as the spreadsheet numbers them, header = 1)."""
    lines = path.read_bytes().decode("utf-8-sig").split("\r\n")
    for (line, column), edit in ((opened, lambda c: '"' + c), (closed, lambda c: c + ' 12"')):
        cells = lines[line - 1].split(";")
        cells[column] = edit(cells[column])
        lines[line - 1] = ";".join(cells)
    path.write_bytes("\r\n".join(lines).encode("utf-8-sig"))


@pytest.mark.parametrize(("closed", "swallowed"), [
    ((9, TITLE), ["COM-2025-00006", "COM-2025-00007", "COM-2025-00008"]),  # same column
    ((7, TITLE + 2), ["COM-2025-00006"]),  # further right: a row with fewer cells
    ((7, 2), ["COM-2025-00006"]),  # further left: a row with more cells
])
def test_rows_swallowed_by_an_unclosed_quote_are_never_withdrawn(tmp_path, client, hub, closed,
                                                                  swallowed):
    people = PeopleFactory(7).people(20)
    path = write_export(tmp_path / "export.csv", 0, people=people)
    assert runner(tmp_path, client, path).run().accepted == 20
    with_stray_quotes(path, (6, TITLE), closed)

    summary = runner(tmp_path, client, path).run()

    assert hub.erased == set() and summary.withdrawals == []
    assert summary.stopped == HELD and summary.raison.startswith("Ligne 6 :")
    assert summary.withdrawals_held == len(swallowed)
    named = {(r["ligne"], r["code"], r["colonne"]) for r in read_rejects(tmp_path / "rejets.csv")}
    assert ("6", "guillemet_non_ferme", "Projet") in named


def test_the_text_of_swallowed_rows_never_leaves_in_a_free_text_field(tmp_path, client, hub):
    fields = {k: v for k, v in MAPPING["champs"].items() if k != "projet.intitule"}
    mapping = Mapping.from_dict({**MAPPING, "champs": {
        **fields, "projet.description": {"source": "Projet"}}})
    people = PeopleFactory(7).people(8)
    path = write_export(tmp_path / "export.csv", 0, people=people)
    with_stray_quotes(path, (3, TITLE), (4, TITLE))

    summary = runner(tmp_path, client, path, mapping).run()

    assert people[2].courriel not in json.dumps(list(hub.fiches.values()))
    assert summary.rejected_local == 1 and summary.accepted == 6


def test_a_confirmation_in_the_configuration_withdraws_no_swallowed_row(tmp_path, client, hub):
    people = PeopleFactory(7).people(20)
    path = write_export(tmp_path / "export.csv", 0, people=people)
    assert runner(tmp_path, client, path, confirm=True).run().accepted == 20
    with_stray_quotes(path, (6, TITLE), (9, TITLE))

    summary = runner(tmp_path, client, path, confirm=True).run()

    assert hub.erased == set() and summary.withdrawals == []
    assert summary.stopped == HELD and summary.withdrawals_held == 3
    assert "--confirmer-suppressions" not in summary.raison
    assert "corrigez" in summary.raison.lower()
