"""How the store reads the outbox's pending rows (migration 0033). Processed rows are kept:
the sweep (pending rows published before a time, after an id, in id order) must read the
pending rows' index, never walk every row ever processed by id (200,000 processed rows:
0.45 ms -> 20 ms a page under SQLite's write lock, 1M: 140 ms); the claim reads its ids by
the primary key."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from hub.store.repositories import Outbox
from hub.store.tables import outbox
from tests.integration.statements import query_plan, statements_sent

pytestmark = pytest.mark.integration

NOW = dt.datetime(2026, 12, 5, tzinfo=dt.UTC)


def _plans(conn: sa.Connection, read) -> str:  # type: ignore[no-untyped-def]
    """The plan of every statement `read(Outbox(conn))` runs, one text."""
    with statements_sent(conn) as sent:
        read(Outbox(conn))
    return "\n".join(step for statement, parameters in sent
                     for step in query_plan(conn, statement, parameters))


@pytest.fixture
def conn(db_url):
    """A store whose outbox holds 3,000 processed rows and 5 pending ones."""
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(outbox.insert(), [
            {"topic": "fiche", "ref_id": n, "created_at": NOW, "published_at": NOW,
             "publish_count": 1, "processed_at": None if n >= 3000 else NOW}
            for n in range(3005)])
        if engine.dialect.name == "postgresql":  # as autovacuum keeps it; SQLite never is
            conn.exec_driver_sql("ANALYZE outbox")
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def test_the_sweep_reads_the_pending_rows_by_their_index(conn):
    plan = _plans(conn, lambda rows: rows.stale(NOW + dt.timedelta(hours=1), 100, after_id=10))
    assert "ix_outbox_pending" in plan
    assert "TEMP B-TREE" not in plan and "Sort" not in plan  # in id order as read


def test_the_claim_reads_its_rows_by_the_primary_key(conn):
    plan = _plans(conn, lambda rows: rows.claim([3001, 3002]))
    assert "SCAN outbox" not in plan and "Seq Scan" not in plan


def test_the_pending_count_reads_the_pending_rows_index(conn):
    plan = _plans(conn, lambda rows: rows.pending_count())
    assert "ix_outbox_pending" in plan


def test_the_claim_of_queued_rows_and_their_count_read_the_pending_rows_index(conn):
    plan = _plans(conn, lambda rows: (rows.claim_queued(3, besides=[3001]), rows.queued(500)))
    assert plan.count("ix_outbox_pending") == 2
    assert "TEMP B-TREE" not in plan and "Sort" not in plan  # in id order as read
