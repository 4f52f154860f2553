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
