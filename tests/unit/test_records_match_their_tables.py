"""A record built from a whole table row (`sa.select(table)`) names every column of that
table: a column added by a migration must reach its record, or reading the row fails
at run time (as merge history once did when merge events gained the deciding account)."""

import dataclasses

import pytest

from hub.store import records
from hub.store.console_tables import users
from hub.store.delivery_tables import subscriptions
from hub.store.matching_tables import merge_events
from hub.store.tables import fiches, members

WHOLE_ROW_RECORDS = [
    (records.MergeEvent, merge_events),
    (records.User, users),
    (records.Subscription, subscriptions),
    (records.Member, members),
    (records.StoredFiche, fiches),
]


def _fields(record: type) -> set[str]:
    if dataclasses.is_dataclass(record):
        return {field.name for field in dataclasses.fields(record)}
    return set(record._fields)  # type: ignore[attr-defined]  # a NamedTuple


@pytest.mark.parametrize(("record", "table"), WHOLE_ROW_RECORDS,
                         ids=[record.__name__ for record, _ in WHOLE_ROW_RECORDS])
def test_a_whole_row_record_names_every_column_of_its_table(record, table):
    missing = {column.name for column in table.columns} - _fields(record)
    assert not missing, f"{record.__name__} lacks {sorted(missing)} of table {table.name}"
