"""How far a listing read while contacts changed can move the cursor (ListingWatch)."""

import datetime as dt

from connectors.listing_watch import ListingWatch, answered_at


def _at(minute: int, second: int = 0) -> dt.datetime:
    return dt.datetime(2026, 12, 6, 10, minute, second, tzinfo=dt.UTC)


def _watch(*pages: tuple[dt.datetime, list[dt.datetime | None]]) -> ListingWatch:
    watch = ListingWatch()
    for answered, stamps in pages:
        watch.page(answered, stamps)
    return watch


OLD = [dt.datetime(2025, 1, day, tzinfo=dt.UTC) for day in range(1, 7)]


def test_a_listing_with_no_change_dated_from_its_start_sets_no_bound():
    watch = _watch((_at(0), OLD[:2]), (_at(1), OLD[2:4]), (_at(2), OLD[4:]))
    assert watch.settled_until() is None


def test_a_change_made_before_the_second_page_holds_the_cursor_at_the_first_pages_newest():
    watch = _watch((_at(0), OLD[:2]), (_at(1), OLD[3:5]), (_at(2), [OLD[5], _at(0, 30)]))
    assert watch.settled_until() == OLD[1]


def test_the_pages_answered_before_the_first_change_are_trusted():
    watch = _watch((_at(0), OLD[:2]), (_at(1), OLD[2:4]), (_at(2), [OLD[4]]),
                   (_at(3), [OLD[5], _at(1, 30), _at(2, 30)]))
    assert watch.settled_until() == OLD[3]


def test_a_change_within_the_clocks_slack_of_a_page_is_taken_as_made_before_it():
    watch = _watch((_at(0), OLD[:2]), (_at(1), OLD[2:4]), (_at(2), [OLD[4], _at(1, 1)]))
    assert watch.settled_until() == OLD[1]


def test_a_listing_whose_pages_hold_no_date_after_a_change_holds_the_cursor_where_it_was():
    watch = _watch((_at(0), [None]), (_at(1), [_at(0, 30)]))
    assert watch.settled_until() == dt.datetime.min.replace(tzinfo=dt.UTC)


def test_the_apis_clock_is_read_from_its_date_header():
    assert answered_at("Sun, 06 Dec 2026 10:02:03 GMT") == _at(2, 3)
    assert answered_at("pas une date").tzinfo is not None
