"""A PostgreSQL table held by another session, as a long transaction holds it: the hub's
statements on it wait for the lock deadline, then fail (`store_timeout`)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import sqlalchemy as sa


@contextlib.contextmanager
def table_locked(db_url: str, table: str) -> Iterator[None]:
    """`table` locked (ACCESS EXCLUSIVE: not even read) by another session, inside."""
    engine = sa.create_engine(db_url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
            yield
    finally:
        engine.dispose()
