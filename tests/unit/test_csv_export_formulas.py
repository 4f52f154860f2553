"""The access log's CSV for people never hands a spreadsheet a formula: a member's name
(from the network file) starting with = + - @, a tab or a carriage return is written
behind an apostrophe, the spreadsheet's mark for text."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from hub.audit.csv_export import CsvLabels, csv_chunks
from hub.audit.events import AccessEvent
from hub.domain.spreadsheet import FORMULA_START, inert_cell

NAMES = ["=HYPERLINK(\"https://exemple.invalid\";\"CCI\")", "+33 CCI", "-Mairie", "@SUM(A1)",
         "\t=1+1", "\r=1+1"]


@pytest.mark.parametrize("name", NAMES)
def test_a_member_name_starting_a_formula_is_exported_as_text(name):
    event = AccessEvent(at=datetime(2026, 3, 1, 9, tzinfo=UTC), actor_member="cci-63",
                        action="porteur_view", outcome="allowed", seq=1)
    labels = CsvLabels(UTC, members={"cci-63": name})
    text = "".join(csv_chunks([event], labels)).removeprefix("\ufeff")
    header, row, end = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    assert row[header.index("Membre")] == "'" + name
    assert not [cell for cell in row if cell.startswith(FORMULA_START)]
    assert end == ["Fin de l'export", "1"]


@pytest.mark.parametrize("text", ["CCI du Puy-de-Dôme", "Mairie d'Ambert", "'déjà marqué", ""])
def test_a_cell_that_starts_no_formula_is_kept_as_it_is(text):
    assert inert_cell(text) == text
