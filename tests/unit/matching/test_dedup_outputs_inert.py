"""`capactif dedup` writes the input's ids into its CSV outputs (clusters, rejects, the
pairs left for review): an id a spreadsheet would run as a formula is written as text there."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from hub.cli import main
from hub.domain.spreadsheet import FORMULA_START
from hub.services.matching.people_csv import write_rows
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


def _text_of(id_written: str) -> str:
    """An id as `capactif dedup` wrote it, read back as the documentation says: a leading
    apostrophe is dropped, nothing else."""
    return id_written[1:] if id_written.startswith("'") else id_written


def test_an_id_that_begins_with_an_apostrophe_reads_back_apart_from_the_formula_it_looks_like(
        tmp_path, capsys):
    """`=2` is written `'=2`; `'=2` itself, given as an id, is written `''=2`: every id
    read back (one leading apostrophe dropped) is the input's, each once."""
    ids = ["=2", "'=2", "'plain", "3"]
    people = [[new_id, *row[1:]] for new_id, row in zip(ids, PEOPLE, strict=True)]
    (tmp_path / "people.csv").write_text(_csv(people), encoding="utf-8")
    code = main(["dedup", "--input", str(tmp_path / "people.csv"), "--output",
                 str(tmp_path / "clusters.csv")])
    capsys.readouterr()
    assert code == 0
    read_back = [_text_of(row["id"]) for row in _rows(tmp_path / "clusters.csv")]
    assert sorted(read_back) == sorted(ids)


def _output_help(capsys) -> str:
    with pytest.raises(SystemExit):
        main(["dedup", "--help"])
    return " ".join(capsys.readouterr().out.split())


def test_the_dedup_help_and_the_readme_say_how_an_id_is_written_as_text(capsys):
    """The rule of the outputs (the ids a spreadsheet would run, and those beginning with
    an apostrophe, written after one) is said where the output is described: the command's
    help and the README's "The files of `capactif dedup`"."""
    readme = (Path(__file__).parents[3] / "README.md").read_text(encoding="utf-8")
    output = readme.split("### The files of `capactif dedup`")[1].split("**Output**")[1]
    output = " ".join(output.split("**Settings**")[0].split())
    for text in (_output_help(capsys), output):
        said = [s for s in text.split(";") if "apostrophe" in s]
        assert said, text
        for start in [c for c in FORMULA_START if c.isprintable()] + ["'"]:
            assert any(f"`{start}`" in s or f" {start} " in s or f"{start}," in s
                       for s in said), (start, said)


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_start_a_spreadsheet_runs_is_written_as_text_by_the_dedup_writer(tmp_path, start):
    write_rows(tmp_path / "clusters.csv", ["id", "cluster_id"], [[start + "1", start + "2"]])
    [row] = _rows(tmp_path / "clusters.csv")
    assert (row["id"], row["cluster_id"]) == ("'" + start + "1", "'" + start + "2")
