"""The planner's statistics gathered after a load that wrote the store whole (a restore):
every table of the store's schema analysed; one that cannot be (a lock held past the
database's deadlines) never fails what it follows."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa

from hub.store.statistics import gather_statistics
from tests.conftest import _drop_pg_database, _fresh_pg_database

pytestmark = pytest.mark.integration

_NEVER_ANALYSED = sa.text(
    "SELECT count(*) FROM pg_stat_user_tables WHERE schemaname = 'public' "
    "AND last_analyze IS NULL AND last_autoanalyze IS NULL")


@pytest.fixture
def pg_url(postgres_url):
    url = _fresh_pg_database(postgres_url)
    yield url
    _drop_pg_database(url)


def test_every_table_of_the_store_is_analysed(pg_url):
    engine = sa.create_engine(pg_url)
    try:
        assert gather_statistics(engine)
        with engine.connect() as conn:
            assert conn.execute(_NEVER_ANALYSED).scalar_one() == 0
    finally:
        engine.dispose()


def test_a_table_locked_past_the_deadline_leaves_a_warning_not_an_error(pg_url, caplog):
    holder = sa.create_engine(pg_url)
    engine = sa.create_engine(pg_url, connect_args={"options": "-c lock_timeout=200"})
    try:
        with holder.begin() as conn, caplog.at_level(logging.WARNING, "hub.store.statistics"):
            conn.exec_driver_sql("LOCK TABLE fiches IN ACCESS EXCLUSIVE MODE")
            assert gather_statistics(engine) is False
        assert "ANALYZE of the store's tables did not finish (LockNotAvailable)" in caplog.text
    finally:
        engine.dispose()
        holder.dispose()


def test_on_sqlite_nothing_is_run(sqlite_url):
    engine = sa.create_engine(sqlite_url)
    try:
        assert gather_statistics(engine)
        with engine.connect() as conn:
            assert conn.exec_driver_sql(
                "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'").scalar_one() == 0
    finally:
        engine.dispose()
