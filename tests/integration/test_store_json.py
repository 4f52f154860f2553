"""JSON columns are read by orjson (some eight times faster than the standard decoder:
three JSON columns a consent, read for every fiche pushed and processed), and a value
only the standard decoder reads is still read."""

from __future__ import annotations

import math

import pytest
import sqlalchemy as sa

from hub.store.engine import create_engine, read_json, unpooled_engine

pytestmark = pytest.mark.integration

_ROWS = sa.Table("json_rows", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                 sa.Column("value", sa.JSON))


@pytest.mark.parametrize("make", [create_engine, unpooled_engine])
def test_the_stores_engines_read_json_columns_with_orjson(db_url, make, monkeypatch):
    engine = make(db_url)
    read: list[object] = []
    monkeypatch.setattr("hub.store.engine.orjson.loads", lambda text: read.append(text) or [1])
    try:
        with engine.begin() as conn:
            _ROWS.create(conn)
            conn.execute(_ROWS.insert(), [{"id": 1, "value": ["orientation", "financement"]}])
            assert conn.execute(sa.select(_ROWS.c.value)).scalar_one() == [1]
            _ROWS.drop(conn)
    finally:
        engine.dispose()
    assert len(read) == 1


def test_a_value_only_the_standard_decoder_reads_is_still_read():
    assert math.isnan(read_json('{"weight": NaN}')["weight"])
    assert math.isinf(read_json(b"[-Infinity]")[0])
    assert read_json('["orientation", {"a": 1.5}]') == ["orientation", {"a": 1.5}]
