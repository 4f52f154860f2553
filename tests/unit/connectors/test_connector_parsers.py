"""French office values become schema values: dates, numbers, phone numbers."""

import pytest

from connectors import parsers
from schemas.formats import is_french_phone


@pytest.mark.parametrize(
    ("text", "expected"),
    [("05/03/1984", "1984-03-05"), ("5/3/1984", "1984-03-05"), ("1984-03-05", "1984-03-05"),
     ("05.03.1984", "1984-03-05"), ("05/03/1984 00:00", "1984-03-05"), ("05/03/84", "1984-03-05")],
)
def test_french_dates_become_iso_dates(text, expected):
    assert parsers.parse_date(text) == expected


@pytest.mark.parametrize("text", ["31/02/1987", "32/01/2000", "hier", "05/03/1850", "1984"])
def test_impossible_or_unreadable_dates_are_refused(text):
    with pytest.raises(ValueError):
        parsers.parse_date(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12 500,50", 12500.5), ("12\u00a0500,50 €", 12500.5), ("1.234,5", 1234.5),
     ("1,234.5", 1234.5), ("45000", 45000), ("0,5", 0.5), ("3 000 EUR", 3000)],
)
def test_decimal_commas_and_thousands_separators_are_read(text, expected):
    assert parsers.parse_number(text) == expected


def test_a_whole_amount_stays_an_integer():
    assert isinstance(parsers.parse_number("12 500,00"), int)


@pytest.mark.parametrize(
    "text",
    ["06 12 34 56 78", "06.12.34.56.78", "0612345678", "+33 6 12 34 56 78",
     "+33 (0)6 12 34 56 78", "0033612345678", "06-12-34-56-78", "612345678", "33612345678"],
)
def test_every_french_phone_writing_becomes_the_national_form(text):
    assert parsers.parse_phone(text) == "0612345678"
    assert is_french_phone(parsers.parse_phone(text))


@pytest.mark.parametrize("text", ["06 12 34", "00 12 34 56 78", "+44 20 7946 0958", "abc"])
def test_non_french_or_short_phone_numbers_are_refused(text):
    with pytest.raises(ValueError):
        parsers.parse_phone(text)


def test_a_local_date_time_gets_the_paris_offset():
    assert parsers.parse_datetime("05/07/2024 14:30") == "2024-07-05T14:30:00+02:00"
    assert parsers.parse_datetime("05/01/2024") == "2024-01-05T00:00:00+01:00"
    assert parsers.parse_datetime("2024-01-05T10:00:00Z") == "2024-01-05T10:00:00+00:00"


def test_codes_get_back_the_leading_zeros_a_spreadsheet_dropped():
    assert parsers.pad_code("1001", 5) == "01001"
    assert parsers.pad_code("2A004", 5) == "2A004"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("5 déc. 2026", "2026-12-05"), ("1er mars 1984", "1984-03-01"),
     ("samedi 5 décembre 2026", "2026-12-05"), ("5-déc.-26", "2026-12-05"),
     ("05 AOÛT 1999", "1999-08-05"), ("7 févr. 1981 00:00", "1981-02-07")],
)
def test_dates_written_with_a_french_month_name_become_iso_dates(text, expected):
    assert parsers.parse_date(text) == expected


@pytest.mark.parametrize("text", ["31 févr. 1987", "5 brumaire 2026", "5 déc.", "déc. 2026"])
def test_impossible_or_incomplete_written_dates_are_refused(text):
    with pytest.raises(ValueError):
        parsers.parse_date(text)


@pytest.mark.parametrize("text", ["vers 5 mars 2026", "avant 5 mars 2026",
                                  "environ 1er avril 1980", "5 mars 0026"])
def test_a_written_date_with_a_word_other_than_a_weekday_or_a_padded_year_is_refused(text):
    with pytest.raises(ValueError):
        parsers.parse_date(text)


@pytest.mark.parametrize("text", ["le 5 mars 2026", "jeudi 5 mars 2026", "jeu. 5 mars 2026",
                                  "le jeudi 5 mars 2026", "Jeudi, 5 mars 2026"])
def test_a_written_date_after_a_weekday_or_le_is_read(text):
    assert parsers.parse_date(text) == "2026-03-05"


def test_a_written_date_and_time_is_a_paris_date_time():
    assert parsers.parse_datetime("samedi 5 déc. 2026 à 14h30") == "2026-12-05T14:30:00+01:00"
    assert parsers.parse_datetime("5 décembre 2026") == "2026-12-05T00:00:00+01:00"


def test_a_two_digit_year_in_a_format_the_mapping_gives_takes_the_fields_century():
    assert parsers.to_date("01/02/45", ["%d/%m/%y"], past=True).isoformat() == "1945-02-01"
    assert parsers.to_date("02-01-45", ["%m-%d-%y"], past=True).isoformat() == "1945-02-01"
    assert parsers.to_date("01.02.2045", ["%d.%m.%Y"], past=True).isoformat() == "2045-02-01"
