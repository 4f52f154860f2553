"""Crypto-shredding with the wrapped keys stored in the database."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from consent.shredding import decrypt_fields, encrypt_fields, new_key, unwrap_key
from consent.sql_keys import SqlPorteurKeys
from consent.tables import define_tables
from hub.errors import DataErased, UnreadableData

pytestmark = pytest.mark.integration
T0 = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
KEYS_TABLE = define_tables(sa.MetaData()).porteur_keys


def test_erasure_makes_every_stored_copy_unreadable(db_engine):
    master = new_key()
    keys = SqlPorteurKeys(db_engine, master)
    sealed = encrypt_fields(keys.key_for("por_1", T0), {"nom": "Durand"}, "por_1")
    assert SqlPorteurKeys(db_engine, master).key_for("por_1", T0) == keys.key_for("por_1", T0)
    keys.destroy("por_1", T0)
    keys.destroy("por_1", T0 + dt.timedelta(days=1))  # idempotent
    with pytest.raises(DataErased):
        keys.key_for("por_1", T0)
    with db_engine.connect() as conn:
        row = conn.execute(sa.select(KEYS_TABLE)).mappings().one()
    assert row["wrapped_key"] is None and row["destroyed_at"] is not None
    with pytest.raises(UnreadableData):
        decrypt_fields(keys.key_for("por_2", T0), sealed, "por_1")


def test_wrapped_key_in_the_database_is_not_the_data_key(db_engine):
    master = new_key()
    keys = SqlPorteurKeys(db_engine, master)
    data_key = keys.key_for("por_1", T0)
    with db_engine.connect() as conn:
        wrapped = conn.execute(sa.select(KEYS_TABLE.c.wrapped_key)).scalar_one()
    assert data_key not in wrapped
    assert unwrap_key(master, wrapped) == data_key


def test_porteur_erased_without_a_key_never_gets_one(db_engine):
    keys = SqlPorteurKeys(db_engine, new_key())
    keys.destroy("por_7", T0)
    assert keys.is_erased("por_7")
    with pytest.raises(DataErased):
        keys.key_for("por_7", T0)
