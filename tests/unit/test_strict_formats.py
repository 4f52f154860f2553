"""Format checkers match whole strings of ASCII digits, and birth dates are plausible."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

import schemas
from consent.model import parse_time
from schemas.formats import (
    FORMAT_CHECKERS,
    is_birth_date,
    is_datetime,
    is_email,
    is_french_phone,
    is_insee_code,
    is_naf_code,
    is_postal_code,
    is_siret,
)
from tests.factories import make_fiche

VALID = {
    "siret": "73282932000074",
    "code-postal": "63600",
    "code-insee": "63003",
    "code-naf": "56.10A",
    "telephone-fr": "04 73 82 10 45",
    "email": "mh.chassaing63@exemple.fr",
    "date": "1988-04-12",
    "date-naissance": "1988-04-12",
    "date-time": "2026-11-20T09:30:00+01:00",
}
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def test_every_checker_has_a_valid_example():
    assert set(VALID) == set(FORMAT_CHECKERS)
    assert all(FORMAT_CHECKERS[name](value) for name, value in VALID.items())


@pytest.mark.parametrize("name", sorted(VALID))
@pytest.mark.parametrize("tail", ["\n", "\r\n", " ", "\t", "\x00", "\u00a0"])
def test_a_valid_value_with_anything_after_it_is_refused(name, tail):
    assert FORMAT_CHECKERS[name](VALID[name] + tail) is False


@pytest.mark.parametrize("name", sorted(VALID))
@pytest.mark.parametrize("head", ["\n", " ", "\u00a0"])
def test_a_valid_value_with_anything_before_it_is_refused(name, head):
    assert FORMAT_CHECKERS[name](head + VALID[name]) is False


@pytest.mark.parametrize("name", sorted(VALID))
@pytest.mark.parametrize("digits", [ARABIC_INDIC, FULL_WIDTH], ids=["arabic-indic", "full-width"])
def test_non_ascii_digits_are_refused(name, digits):
    assert FORMAT_CHECKERS[name](VALID[name].translate(digits)) is False


@given(st.text(max_size=20))
def test_no_checker_raises_and_every_accepted_value_is_ascii_without_line_breaks(text):
    for name, check in FORMAT_CHECKERS.items():
        if check(text):
            assert text.isascii() and "\n" not in text and text == text.strip(), name


@given(st.from_regex(r"\A[0-9]{14}\Z"))
def test_siret_accepts_only_what_the_luhn_key_accepts(digits):
    luhn = sum(int(c) * 2 - 9 * (int(c) > 4) if i % 2 else int(c)
               for i, c in enumerate(reversed(digits))) % 10 == 0
    poste = digits.startswith("356000000") and sum(map(int, digits)) % 5 == 0
    assert is_siret(digits) is (poste if digits.startswith("356000000") else luhn)


@given(st.from_regex(r"\A[0-9]{14}\Z"), st.sampled_from(["\n", " ", "٠", "０"]))
def test_siret_with_a_trailing_character_is_refused_never_raises(digits, tail):
    assert is_siret(digits + tail) is False


@given(st.sampled_from([is_postal_code, is_insee_code, is_naf_code, is_email, is_french_phone]),
       st.text(alphabet="0123456789.@ +-AZaz\n٠١０１", max_size=16))
def test_format_checkers_never_raise(check, text):
    assert check(text) in (True, False)


TODAY = dt.date(2026, 12, 3)


@pytest.mark.parametrize(("value", "valid"), [
    ("1988-04-12", True), ("2012-12-03", True), ("2012-12-04", False), ("1916-12-04", True),
    ("1915-12-04", True), ("1915-12-03", False), ("2064-01-01", False), ("2026-12-03", False),
    ("1900-01-01", False),
    ("1988-02-30", False), ("12/04/1988", False), ("1988-4-12", False), ("2008-02-29", True)])
def test_birth_dates_are_in_the_past_and_give_an_age_of_14_to_110(value, valid):
    assert is_birth_date(value, today=TODAY) is valid


@given(st.dates(min_value=dt.date(1800, 1, 1), max_value=dt.date(2200, 12, 31)))
def test_a_birth_date_is_accepted_exactly_when_the_age_is_between_14_and_110(born):
    age = TODAY.year - born.year - ((TODAY.month, TODAY.day) < (born.month, born.day))
    assert is_birth_date(born.isoformat(), today=TODAY) is (14 <= age <= 110)


def test_a_fiche_with_a_birth_date_in_the_future_is_rejected_at_its_path():
    fiche = make_fiche()
    fiche["porteur"]["date_naissance"] = "2064-05-01"
    fiche["porteur"]["adresse"]["code_postal"] = "63600\n"
    fiche["projet"]["siret"] = "73282932000074\n"
    fiche["projet"]["code_naf"] = "56.10A".translate(FULL_WIDTH)
    errors = schemas.validator("fiche").errors(fiche)
    assert {(e.path, e.code) for e in errors} >= {
        ("$.porteur.date_naissance", "format"), ("$.projet.siret", "format"),
        ("$.porteur.adresse.code_postal", "format"),
        ("$.projet.code_naf", "format")}


@pytest.mark.parametrize("value", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"])
def test_a_date_time_with_no_instant_in_utc_is_refused(value):
    """Its offset takes it past year 9999 or before year 1: the consent's times are read
    in UTC, and the push of such a consent was a 500."""
    assert not is_datetime(value)


@pytest.mark.parametrize("value", ["9999-12-31T23:30:00Z", "9000-01-01T00:00:01Z",
                                   "1969-12-31T23:59:59Z", "0001-01-01T00:00:00Z"])
def test_a_date_time_outside_1970_to_9000_is_refused_as_a_query_date_is(value):
    """An expiry in 9999 had an instant in UTC but none in Paris, where the DPO's report
    dates it (a 500 there): body date-times share the API's query bounds."""
    assert not is_datetime(value)


@pytest.mark.parametrize("value", ["2026-11-05t10:00:00z", "2026-11-05T10:00:00.5z"])
def test_a_date_time_the_format_accepts_is_read_as_the_format_reads_it(value):
    """RFC 3339 allows a lower-case t and z; the consent's times were read without them."""
    assert is_datetime(value)
    assert parse_time(value) == dt.datetime.fromisoformat(value.upper()).astimezone(dt.UTC)
