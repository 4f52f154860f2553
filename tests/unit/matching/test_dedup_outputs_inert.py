"""`capactif dedup` writes the input's ids into its CSV outputs (clusters, rejects, the
pairs left for review): an id a spreadsheet would run as a formula is written as text there."""

from __future__ import annotations

import csv

from hub.cli import main
from tests.unit.matching.test_matching_batch_input import PEOPLE, _csv

FORMULA_IDS = ["=HYPERLINK(\"http://x.test\")", "@SUM(1)", "+1", "-2"]


def _rows(path):
    with path.open(encoding="utf-8", newline="") as found:
        return list(csv.DictReader(found))


def test_ids_that_a_spreadsheet_would_run_are_written_as_text_in_every_output(tmp_path, capsys):
    people = [[new_id, *row[1:]] for new_id, row in zip(FORMULA_IDS, PEOPLE, strict=True)]
    broken = "=cmd|' /C calc'!A0,Court,,Id,,,,,63000,Riom,extra\r\n"
    (tmp_path / "people.csv").write_text(_csv(people) + broken, encoding="utf-8")
    code = main(["dedup", "--input", str(tmp_path / "people.csv"), "--output",
                 str(tmp_path / "clusters.csv")])
    capsys.readouterr()
    assert code == 0
    clusters = _rows(tmp_path / "clusters.csv")
    written = ["'" + i for i in FORMULA_IDS] + ["'=cmd|' /C calc'!A0"]
    assert sorted(row["id"] for row in clusters) == sorted(written)
    assert {row["cluster_id"] for row in clusters} <= set(written)
    assert [row["id"] for row in _rows(tmp_path / "clusters.rejects.csv")] == \
        ["'=cmd|' /C calc'!A0"]
