"""Numbers read from cells, console addresses and command lines are written in 0-9
only: « ² » passes `str.isdigit` and then fails `int` (a crash), « ٢٠٢٦ » and « 𝟐𝟎𝟐𝟔 »
were read as 2026, and a `$` let a month end with a line break."""

from __future__ import annotations

import argparse

import pytest

from connectors import parsers
from connectors.cli import parse_duration
from hub.domain.search_terms import query_terms
from hub.errors import BadRequest
from hub.services.console.indicators import Period
from hub.web.pages import french_month


@pytest.mark.parametrize("text", ["٢٣٤٥١", "²³⁴⁵¹", "𝟐𝟑𝟒𝟓𝟏"])
def test_an_excel_serial_date_is_written_in_0_to_9(text):
    with pytest.raises(ValueError):
        parsers.parse_date(text)


def test_a_code_is_padded_only_when_written_in_0_to_9():
    assert parsers.pad_code("1001", 5) == "01001"
    assert parsers.pad_code("¹⁰⁰¹", 5) == "¹⁰⁰¹"


@pytest.mark.parametrize("month", ["2٠٢6-01", "𝟐𝟎𝟐𝟔-01", "2026-01\n"])
def test_a_console_month_is_written_in_0_to_9(month):
    with pytest.raises(BadRequest):
        Period.parse(first=month)


def test_a_console_semester_is_written_in_0_to_9():
    with pytest.raises(BadRequest):
        Period.parse(semester="٢٠٢٦-S1")


@pytest.mark.parametrize("value", ["²⁰²⁶-01", "2026-²1", "2026-ab", "2026-13"])
def test_a_month_label_of_odd_text_is_shown_as_it_is(value):
    assert french_month(value) == value  # « 2026-²1 » and « 2026-ab » raised ValueError


def test_a_searched_date_is_written_in_0_to_9():
    assert query_terms("12/03/1985") != query_terms("١٢/٠٣/١٩٨٥")


@pytest.mark.parametrize("text", ["٩٠s", "²m", "9" * 40])
def test_a_duration_is_written_in_0_to_9(text):
    with pytest.raises(argparse.ArgumentTypeError):
        parse_duration(text)



def test_a_content_length_with_leading_zeros_is_its_number() -> None:
    """RFC 9110 allows leading zeros: 19 characters for 2 bytes was answered 413."""
    from hub.api.auth import _declared_size

    assert _declared_size("0000000000000000002") == 2
    assert _declared_size("0") == 0
    assert _declared_size("00") == 0
