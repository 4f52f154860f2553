"""French values, read one way for the connectors and the hub (schemas.french_values)."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas import french_values as fv

TODAY = dt.date(2026, 12, 3)


def test_a_two_digit_birth_year_is_never_in_the_future():
    assert fv.to_date("12/8/64", past=True, today=TODAY) == dt.date(1964, 8, 12)
    assert fv.to_date("03/12/26", past=True, today=TODAY) == dt.date(2026, 12, 3)
    assert fv.to_date("04/12/26", past=True, today=TODAY) == dt.date(1926, 12, 4)


def test_a_two_digit_year_of_another_date_takes_the_nearest_century():
    assert fv.to_date("05/03/27", today=TODAY) == dt.date(2027, 3, 5)
    assert fv.to_date("05/03/98", today=TODAY) == dt.date(1998, 3, 5)


@given(st.dates(min_value=dt.date(1927, 1, 1), max_value=TODAY))
def test_any_past_date_written_with_two_digits_comes_back_whole(day):
    written = f"{day.day}/{day.month}/{day.year % 100:02d}"
    assert fv.to_date(written, past=True, today=TODAY) == day


@pytest.mark.parametrize("text", ["31/02/1987", "12/13/1990", "abc", "1/1/1850"])
def test_impossible_dates_are_refused_without_echoing_them(text):
    with pytest.raises(ValueError) as refused:
        fv.to_date(text, today=TODAY)
    assert text not in str(refused.value)


@pytest.mark.parametrize(("text", "number"), [
    ("15.000", 15000), ("250.000", 250000), ("1.234.567", 1234567), ("12 500,50", 12500.5),
    ("12\u00a0500,50 €", 12500.5), ("12.500,50", 12500.5), ("1,5", 1.5), ("1.5", 1.5),
    ("0.500", 0.5), ("3 000 EUR", 3000), ("-15.000", -15000), ("12,50", 12.5),
])
def test_numbers_read_dots_and_spaces_as_thousands_and_commas_as_decimals(text, number):
    assert fv.parse_number(text) == number


@pytest.mark.parametrize("text", ["06 12 34 56 78", "+33 (0)6 12 34 56 78", "0033612345678",
                                  "612345678", "06.12.34.56.78", "06-12-34-56-78",
                                  "+33612345678", "(+33) 6 12 34 56 78"])
def test_phones_in_any_french_writing_give_the_national_form(text):
    assert fv.parse_phone(text) == "0612345678"


@pytest.mark.parametrize("text", ["06 12 34", "+44 20 7946 0958", "00 00 00 00 00"])
def test_phones_that_are_not_french_numbers_are_refused(text):
    with pytest.raises(ValueError):
        fv.parse_phone(text)


@pytest.mark.parametrize("text", ["NC", "nc", "N.C.", "Néant", "neant", "-", "N/A", "",
                                  "Non communiqué", "  —  "])
def test_ways_of_writing_no_value_are_blank(text):
    assert fv.is_blank(text)


@pytest.mark.parametrize("text", ["Nantes", "0", "Naf", "12"])
def test_real_values_are_not_blank(text):
    assert not fv.is_blank(text)


def test_naf_codes_get_their_dot_and_siret_loses_its_spaces():
    assert [fv.naf_code(t) for t in ("5610A", "56.10A", "56 10 a", "5610a")] == ["56.10A"] * 4
    assert fv.remove_spaces("123 456\u00a0789 00012") == "12345678900012"
    with pytest.raises(ValueError):
        fv.naf_code("561")


def test_lists_split_on_every_separator_of_the_row():
    assert fv.split_list("Local / Formation, Réseau ;Logement", ["/", ",", ";"]) == [
        "Local", "Formation", "Réseau", "Logement"]
