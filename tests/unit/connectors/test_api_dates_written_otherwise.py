"""Dates as APIs write them, and what the member is told when one cannot be read: ten
zeros were 1 January 1970 (only 2001 to 2286 are Unix time without a unit), an HTTP date
(RFC 1123: `Sun, 06 Dec 2026 10:00:00 GMT`) was not read at all, and an impossible date
from an API asked the member to fix it « dans le tableur »."""

import datetime as dt

import pytest

from connectors import parsers
from connectors.mapping import Mapping


@pytest.mark.parametrize("text", ["0000000000", "0000000000000", "0978307199"])
def test_digits_before_2001_are_not_unix_time(text):
    with pytest.raises(ValueError):
        parsers.to_datetime(text)


def test_the_first_second_of_2001_is_unix_time():
    assert parsers.to_datetime("0978307200") == dt.datetime(2001, 1, 1, tzinfo=dt.UTC)


@pytest.mark.parametrize("text", ["Sun, 06 Dec 2026 10:00:00 GMT",
                                  "Sun, 06 Dec 2026 11:00:00 +0100"])
def test_an_http_date_is_read(text):
    assert parsers.to_datetime(text) == dt.datetime(2026, 12, 6, 10, tzinfo=dt.UTC)


def _problems(source: str, value: str) -> list[str]:
    mapping = Mapping.from_dict({
        "version": 1, "identifiant": {"source": "$.id" if source == "$" else "N° dossier"},
        "champs": {"porteur.date_naissance": {
            "source": "$.birth" if source == "$" else "Né(e) le", "type": "date"}}})
    record = {"id": "1", "birth": value} if source == "$" else {"N° dossier": "1",
                                                                "Né(e) le": value}
    _, problems = mapping.apply(record)
    return [p.message_fr for p in problems]


def test_an_impossible_date_from_an_api_is_to_be_fixed_at_the_source():
    [message] = _problems("$", "1985-02-30")
    assert "tableur" not in message and "source" in message
    [message] = _problems("colonne", "30/02/1985")
    assert "tableur" in message
