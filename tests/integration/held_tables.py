"""A store held by another session, as a long transaction holds it: the hub's statements
on it wait for the lock deadline, then fail (`store_timeout`)."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator

import sqlalchemy as sa


@contextlib.contextmanager
def table_locked(db_url: str, table: str) -> Iterator[None]:
    """`table` locked (ACCESS EXCLUSIVE: not even read) by another PostgreSQL session."""
    engine = sa.create_engine(db_url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
            yield
    finally:
        engine.dispose()


@contextlib.contextmanager
def store_held(db_url: str) -> Iterator[None]:
    """SQLite: another writer's turn (the writer gate), as a long writer holds it;
    PostgreSQL: the access log's table locked by another session."""
    if db_url.startswith("sqlite"):
        gate = os.open(sa.engine.make_url(db_url).database + ".gate", os.O_RDWR | os.O_CREAT,
                       0o600)
        try:
            fcntl.flock(gate, fcntl.LOCK_EX)
            yield
        finally:
            os.close(gate)
        return
    with table_locked(db_url, "audit_entries"):
        yield
