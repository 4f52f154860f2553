"""A cell longer than the `csv` module's default field limit (131,072 characters): a
note pasted whole into a spreadsheet cell, or a quote never closed that swallows the
rest of a large export. The export is read as any other (the cell is one field, judged
by the mapping and the schema; the unclosed quote is named on its row), never a
traceback of `_csv.Error: field larger than field limit`."""

from connectors.csv_source import CsvSource
from tests.unit.connectors.test_csv_quotes_never_closed import HEADER, MAPPING

ROW = "{n};Nom{n};Prénom;p{n}@exemple.fr;Projet {n};{note}\r\n"


def _read(tmp_path, text):
    path = tmp_path / "export.csv"
    path.write_text(text, encoding="utf-8", newline="")
    source = CsvSource(MAPPING, path)
    return source, list(source.changes(None))


def test_a_cell_longer_than_the_csv_module_s_limit_is_read_as_one_field(tmp_path):
    long_note = "Compte rendu d'entretien. " * 8_000  # 208,000 characters
    text = ";".join(HEADER) + "\r\n" + "".join(
        ROW.format(n=n, note=long_note if n == 2 else "") for n in (1, 2, 3))
    _source, records = _read(tmp_path, text)
    assert [r.key for r in records] == ["1", "2", "3"]
    assert not any(r.problems for r in records)


def test_a_quote_never_closed_in_a_large_export_is_named_on_its_row(tmp_path):
    rows = [ROW.format(n=n, note="") for n in range(1, 4001)]  # ~190,000 characters
    rows[1] = rows[1].replace(";\r\n", ';"Suivi en cours\r\n')
    _source, records = _read(tmp_path, ";".join(HEADER) + "\r\n" + "".join(rows))
    second = next(r for r in records if r.key == "2")
    assert [p.code for p in second.problems] == ["guillemet_non_ferme"]
