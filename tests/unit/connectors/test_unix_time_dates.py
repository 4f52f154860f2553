"""Dates given as Unix time by an API: ten digits (seconds) or thirteen (milliseconds) are
read as such; any other number is read so only where the mapping says
`"horodatage": "secondes"` or `"millisecondes"`, and is otherwise rejected with a hint
naming that setting, never with the spreadsheet's "jj/mm/aaaa attendu"."""

import datetime as dt

import pytest

from connectors.base import Connector
from connectors.errors import RecordRejected
from connectors.mapping import Mapping

BIRTH = 479_347_200  # 1985-03-11 00:00 UTC: nine digits, read as a date only when told


class _Api(Connector):
    def changes(self, since):
        return []


def _source(birth=None, modification=None) -> _Api:
    return _Api(Mapping.from_dict({
        "version": 1, "identifiant": {"source": "$.id"},
        "modification": {"source": "$.updated_at", **(modification or {})},
        "champs": {"porteur.date_naissance": {"source": "$.birth", "type": "date",
                                              **(birth or {})}}}))


@pytest.mark.parametrize("stamp", [1_765_000_000, "1765000000", 1_765_000_000_000,
                                   1_765_000_000.25, "1765000000000"])
def test_ten_or_thirteen_digits_are_a_unix_time(stamp):
    record = _source().record({"id": 1, "updated_at": stamp})
    assert record.problems == ()
    assert record.modified_at == dt.datetime(2025, 12, 6, 5, 46, 40, tzinfo=dt.UTC) + (
        dt.timedelta(seconds=0.25) if isinstance(stamp, float) else dt.timedelta())


def test_a_date_field_in_unix_time_takes_its_day_in_paris():
    source = _source()
    fiche = source.to_fiche(source.record({"id": 1, "birth": 1_764_975_600}))  # 23:00 UTC
    assert fiche["porteur"]["date_naissance"] == "2025-12-06"


@pytest.mark.parametrize("unit, value", [("secondes", BIRTH), ("millisecondes", BIRTH * 1000),
                                         ("secondes", -86_400 * 365)])
def test_any_number_is_a_unix_time_where_the_mapping_says_so(unit, value):
    source = _source(birth={"horodatage": unit})
    fiche = source.to_fiche(source.record({"id": 1, "birth": value}))
    expected = "1985-03-11" if value > 0 else "1969-01-01"
    assert fiche["porteur"]["date_naissance"] == expected


def test_a_number_the_mapping_does_not_call_a_unix_time_names_the_setting():
    source = _source()
    with pytest.raises(RecordRejected) as caught:
        source.to_fiche(source.record({"id": 1, "birth": BIRTH}))
    [problem] = caught.value.problems
    assert problem.code == "date_invalide"
    assert '"horodatage": "secondes"' in problem.message_fr
    assert "jj/mm/aaaa" not in problem.message_fr and str(BIRTH) not in problem.message_fr


def test_a_modification_date_the_mapping_does_not_call_a_unix_time_names_the_setting():
    record = _source().record({"id": 1, "updated_at": 17_650_000})
    [problem] = record.problems
    assert '"horodatage"' in problem.message_fr and "17650000" not in problem.message_fr
    told = _source(modification={"horodatage": "secondes"}).record(
        {"id": 1, "updated_at": 17_650_000})
    assert told.modified_at == dt.datetime(1970, 7, 24, 6, 46, 40, tzinfo=dt.UTC)
