"""Create engines: SQLite in WAL mode for the embedded default, PostgreSQL at scale."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event


def create_engine(database_url: str, *, pool_size: int = 5) -> sa.Engine:
    """An engine for `database_url`; nothing connects until first use."""
    if database_url.startswith("sqlite"):
        return _sqlite_engine(database_url)
    return sa.create_engine(database_url, pool_size=pool_size, max_overflow=10, pool_pre_ping=True)


def _sqlite_engine(database_url: str) -> sa.Engine:
    path = sa.engine.make_url(database_url).database
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(database_url, connect_args={"timeout": 60, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        # Let SQLAlchemy, not the driver, open transactions, so that writers take
        # the write lock at BEGIN (IMMEDIATE) and never deadlock on lock upgrade.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):  # type: ignore[no-untyped-def]
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
