"""Create engines: SQLite in WAL mode for the embedded default, PostgreSQL at scale."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

from hub.errors import StoreUnavailable
from hub.store.sqlite_writers import WriterQueue

BEGIN_OPTION = "capactif_sqlite_begin"


def reader_engine(engine: sa.Engine) -> sa.Engine:
    """The same engine (same pool) whose SQLite transactions begin DEFERRED: for
    components that mostly read (the consent registry), so that a read never waits
    for, or deadlocks with, a write transaction of the same process."""
    return engine.execution_options(**{BEGIN_OPTION: "DEFERRED"})


@contextlib.contextmanager
def store_errors() -> Iterator[None]:
    """Translate a database outage met outside a unit of work into StoreUnavailable
    (which tasks retry and the API answers with 503)."""
    try:
        yield
    except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
        raise StoreUnavailable(
            "La base de données du hub est indisponible ; réessayez.",
            "The hub database is unavailable; retry.",
        ) from exc


def create_engine(database_url: str, *, pool_size: int = 5) -> sa.Engine:
    """An engine for `database_url`; nothing connects until first use."""
    if database_url.startswith("sqlite"):
        return _sqlite_engine(database_url)
    return sa.create_engine(database_url, pool_size=pool_size, max_overflow=10, pool_pre_ping=True)


def unpooled_engine(database_url: str) -> sa.Engine:
    """An engine that keeps no connection open between uses: for a thread of a process
    that forks (a Celery worker's parent), so no child inherits a live connection."""
    return sa.create_engine(database_url, poolclass=sa.pool.NullPool)


def _sqlite_engine(database_url: str) -> sa.Engine:
    path = sa.engine.make_url(database_url).database
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(database_url, connect_args={"timeout": 60, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, open transactions, so that writers take
        # the write lock at BEGIN (IMMEDIATE) and never deadlock on lock upgrade.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        # Deleted rows are zeroed, not left in free pages (see hub.store.purge).
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    writers = WriterQueue(Path(path)) if path and path != ":memory:" else None

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        mode = connection.get_execution_options().get(BEGIN_OPTION, "IMMEDIATE")
        if writers is not None and mode == "IMMEDIATE":
            writers.enter(connection)
        try:
            connection.exec_driver_sql(f"BEGIN {mode}")
        except BaseException:
            WriterQueue.leave(connection.info)
            raise

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _on_end(connection: sa.Connection) -> None:
        WriterQueue.leave(connection.info)

    @event.listens_for(engine, "checkin")
    @event.listens_for(engine, "invalidate")
    def _on_return(_dbapi_connection: Any, record: Any, *_args: Any) -> None:
        WriterQueue.leave(record.info)  # a connection never goes back holding its turn

    return engine
