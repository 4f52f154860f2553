"""The console shows times in Paris, summer and winter, never in UTC."""

import datetime as dt

from hub.web.pages import french_date, french_datetime


def test_an_instant_is_shown_in_paris_time_in_winter_and_in_summer():
    assert french_datetime(dt.datetime(2026, 12, 3, 18, 39, tzinfo=dt.UTC)) == "03/12/2026 19:39"
    assert french_datetime("2026-07-14T08:00:00Z") == "14/07/2026 10:00"
    assert french_datetime(dt.datetime(2026, 12, 3, 18, 39)) == "03/12/2026 19:39"  # naive: UTC


def test_an_instant_late_in_the_evening_utc_is_dated_the_next_day_in_paris():
    assert french_date(dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC)) == "01/01/2027"
    assert french_date(dt.date(2026, 12, 31)) == "31/12/2026"
    # as SQLite gives it back: naive, UTC (the meeting sheet dated it the day before)
    assert french_date(dt.datetime(2026, 12, 31, 23, 30)) == "01/01/2027"


def test_an_instant_with_no_date_in_paris_is_shown_as_it_is_stored():
    """An expiry of 9999-12-31 23:30 UTC, accepted before body date-times were bounded:
    the DPO's report of the porteur was a 500."""
    late = dt.datetime(9999, 12, 31, 23, 30, tzinfo=dt.UTC)
    assert french_date(late) == "31/12/9999"
    assert french_datetime(late) == "31/12/9999 23:30"
