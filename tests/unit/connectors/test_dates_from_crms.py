"""Dates as CRMs and LibreOffice write them: an ISO date-time with an offset or `Z` takes
the day it is then in Paris; a two-digit year in a date-time (LibreOffice's French
default JJ/MM/AA) takes the nearest century, as documented."""

import datetime as dt

import pytest

from connectors.parsers import parse_date, parse_datetime, to_datetime


@pytest.mark.parametrize(("written", "day"), [
    ("1985-04-02T22:00:00.000Z", "1985-04-03"),  # midnight in Paris (summer time), in UTC
    ("1985-01-02T23:00:00Z", "1985-01-03"),  # midnight in Paris (winter time)
    ("1985-04-03T00:00:00+02:00", "1985-04-03"),
    ("1985-04-02T21:59:59.000Z", "1985-04-02"),
    ("1985-04-03T00:00:00", "1985-04-03"),  # no offset: the day written
])
def test_a_moment_with_an_offset_takes_the_day_it_is_then_in_paris(written, day):
    assert parse_date(written, past=True) == day


@pytest.mark.parametrize(("written", "moment"), [
    ("07/12/26", "2026-12-07T00:00:00+01:00"),
    ("7/12/26 14:30", "2026-12-07T14:30:00+01:00"),
    ("07.12.26 14:30:15", "2026-12-07T14:30:15+01:00"),
])
def test_a_two_digit_year_in_a_date_time_takes_the_nearest_century(written, moment):
    assert parse_datetime(written) == moment


def test_a_two_digit_year_in_a_date_time_is_near_today_whatever_the_year():
    near = to_datetime("01/01/99")
    assert abs(near.date() - dt.date.today()) < dt.timedelta(days=50 * 366)


def test_an_impossible_short_date_is_still_refused():
    with pytest.raises(ValueError):
        parse_datetime("31/02/26")
