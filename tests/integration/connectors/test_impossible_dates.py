"""A date that no calendar holds (31/02, 29/02 of a year that is not leap, month 13) is
rejected (code `date_invalide`, as before) saying that it is impossible and why, where
(row, column), not as an unreadable writing: the agent sees a typo to fix, not a format
to learn."""

import pytest

from connectors.cli import main
from connectors.rejects import read_rejects
from tests.integration.connectors.test_agent_exports import HEADER, MEMBER, ROWS, configure, write

BORN = HEADER.index("Né(e) le")


def _rejects(tmp_path):
    return list(read_rejects(tmp_path / "etat" / "rejets.csv"))


@pytest.mark.parametrize(("written", "said_fr", "said_en"), [
    ("31/02/1980", "31 février", "31 February"),
    ("30/02/1980", "30 février", "30 February"),
    ("31/04/1980", "31 avril", "31 April"),
    ("29/02/1981", "29 février", "29 February"),
    ("29/02/81", "29 février", "29 February"),
    ("12/13/1980", "mois 13", "month 13"),
    ("00/03/1980", "jour 0", "day 0"),
])
def test_an_impossible_birth_date_is_rejected_as_impossible_naming_row_and_column(
        tmp_path, credentials, hub, written, said_fr, said_en):
    day_first, bad = list(ROWS[0]), list(ROWS[1])
    day_first[BORN], bad[BORN] = "15/03/1985", written  # the column is written day first
    write(tmp_path / "export.csv", [HEADER, day_first, bad, ROWS[2]])
    assert main(["run", configure(tmp_path, credentials, "export.csv")]) == 1
    [reject] = _rejects(tmp_path)
    assert (reject["ligne"], reject["colonne"], reject["code"]) == ("3", "Né(e) le",
                                                                    "date_invalide")
    assert "Date impossible" in reject["message_fr"] and said_fr in reject["message_fr"]
    assert "Impossible" in reject["message_en"] and said_en in reject["message_en"]
    assert "illisible" not in reject["message_fr"]
    year = written.rsplit("/", 1)[1]
    assert year not in reject["message_fr"] + reject["message_en"]  # the year is not told
    assert set(hub.accepted_versions(MEMBER)) == {"COM-2026-001", "COM-2026-003"}


def test_a_leap_day_of_a_leap_year_goes_and_an_unreadable_date_stays_unreadable(
        tmp_path, credentials, hub):
    leap, unreadable = list(ROWS[0]), list(ROWS[1])
    leap[BORN], unreadable[BORN] = "29/02/1980", "vers 1980"
    write(tmp_path / "export.csv", [HEADER, leap, unreadable])
    assert main(["run", configure(tmp_path, credentials, "export.csv")]) == 1
    assert hub.fiches[(MEMBER, "COM-2026-001")]["porteur"]["date_naissance"] == "1980-02-29"
    [reject] = _rejects(tmp_path)
    assert (reject["ligne"], reject["code"]) == ("3", "date_invalide")


@pytest.mark.parametrize(("column", "written"), [
    ("Né(e) le", "31/12/1899"),  # a date cell holding 0 or 1 in some spreadsheets
    ("Né(e) le", "1899-12-30"),
    ("Né(e) le", "01/01/2101"),
    ("Modifié le", "31/12/1899"),
])
def test_a_readable_date_out_of_range_is_said_out_of_range_not_unreadable(
        tmp_path, credentials, hub, column, written):
    bad = list(ROWS[1])
    bad[HEADER.index(column)] = written
    write(tmp_path / "export.csv", [HEADER, ROWS[0], bad, ROWS[2]])
    assert main(["run", configure(tmp_path, credentials, "export.csv")]) == 1
    [reject] = _rejects(tmp_path)
    assert (reject["ligne"], reject["colonne"], reject["code"]) == ("3", column,
                                                                    "date_invalide")
    fr, en = reject["message_fr"], reject["message_en"]
    assert "hors de la plage acceptée" in fr and "1900" in fr and "2100" in fr, fr
    assert "dans le tableur" in fr and "illisible" not in fr, fr
    assert "out of the accepted range" in en and "1900" in en and "2100" in en, en
    assert set(hub.accepted_versions(MEMBER)) == {"COM-2026-001", "COM-2026-003"}
