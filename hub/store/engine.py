"""Create engines: SQLite in WAL mode for the embedded default, PostgreSQL at scale."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy import event

from hub.errors import DatabaseUnreadable, StoreFull, StoreTimeout, StoreUnavailable
from hub.store.deadlines import DatabaseSilent, Deadlines, answer_within
from hub.store.sqlite_writers import GatedConnection, WriterQueue, WriterTurnTimeout

BEGIN_OPTION = "capactif_sqlite_begin"
# A worker's SQLite reads the database file through a memory map of up to this size by
# default (HUB_SQLITE_MMAP_MB, `Hub.from_settings(mapped_reads=True)`; the pages are the
# system's file cache, shared, not the process's own memory) rather than copying each page
# it reads into its own cache: an online match reads some eighty index rows at random
# places of the file, and at 200,000 indexed fiches their statements took half the time
# mapped (0.49 against 0.95 ms for the rows, 0.16 against 0.24 ms for the keys;
# bench/_store_index.py). Pages the WAL holds are read from it as before; writes never go
# through the map. The API and the command line never map: a file cut short under a
# mapped reader (a backup copied over the live file) stops the process with SIGBUS, where
# an unmapped one gets an error the API answers with 503 `database_unreadable`.
SQLITE_MMAP_BYTES = 2047 * 2**20
log = logging.getLogger(__name__)


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
    except (*OUTAGES, sa.exc.DBAPIError) as exc:
        error = outage(exc)
        if error is None:
            raise
        raise error from exc


OUTAGES = (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.TimeoutError)
# Errors of a database that answers too late: a statement or lock timeout, no answer
# within the client-side deadline, no connection within connect_timeout, SQLite busy.
_LATE = ("QueryCanceled", "LockNotAvailable", DatabaseSilent.__name__, WriterTurnTimeout.__name__)
_LATE_MESSAGES = ("timeout expired", "database is locked")


# SQLITE_FULL (ENOSPC), SQLITE_IOERR_WRITE (a write refused: EFBIG past a file-size
# limit, EIO), PostgreSQL's disk_full.
_SQLITE_WRITE_REFUSED = (13, 778)
_POSTGRESQL_DISK_FULL = "53100"
_full_said_at: float | None = None


def _store_full() -> StoreFull:
    """The error of a database whose disk is full or refuses writes, said in the log at
    most every 30 s (a full disk is the operator's to mend, not a passing outage)."""
    global _full_said_at
    if _full_said_at is None or time.monotonic() - _full_said_at > 30:
        _full_said_at = time.monotonic()
        log.error("base de données pleine (store_full) : son disque est plein ou refuse "
                  "d'écrire ; libérez de la place, les fiches acceptées attendent dans l'outbox "
                  "/ the database's disk is full or refuses writes (store_full): free some "
                  "room; accepted fiches wait in the outbox")
    return StoreFull(
        "Le disque de la base de données du hub est plein ou refuse d'écrire : libérez de la "
        "place ; le hub reprend seul ensuite.",
        "The hub database's disk is full or refuses writes: free some room; the hub resumes "
        "by itself then.",
    )


_SQLITE_DAMAGED = (11, 26)  # SQLITE_CORRUPT, SQLITE_NOTADB (their primary codes)


def damaged(exc: BaseException) -> bool:
    """Whether `exc` says the SQLite file is damaged or no database at all."""
    code = getattr(getattr(exc, "orig", None), "sqlite_errorcode", None)
    return isinstance(exc, sa.exc.DatabaseError) and code is not None \
        and code & 0xFF in _SQLITE_DAMAGED


# PostgreSQL ended the session of a client idle in its transaction longer than
# idle_in_transaction_session_timeout (a process paused or stuck): psycopg raises it as an
# InternalError, yet the transaction was only rolled back, and the next one may succeed.
_SESSION_ENDED_IDLE = "25P03"


def outage(exc: BaseException) -> StoreUnavailable | None:
    """The hub's error (503) when `exc` is an outage of the store, a session the server
    ended as idle in its transaction, or a damaged SQLite file, else None (the error is
    the caller's: a constraint, a bug)."""
    ended = getattr(getattr(exc, "orig", None), "sqlstate", None) == _SESSION_ENDED_IDLE
    return store_outage(exc) if isinstance(exc, OUTAGES) or ended or damaged(exc) else None


def store_outage(exc: BaseException) -> StoreUnavailable:
    """The hub's error for a database error met in an operation (never its text: a
    driver message may quote a statement's values)."""
    original = getattr(exc, "orig", None)
    if damaged(exc):
        return DatabaseUnreadable(
            "La base SQLite du hub est endommagée : arrêtez le hub, mettez le fichier de côté "
            "et restaurez la dernière sauvegarde (capactif restore DOSSIER).",
            "The hub's SQLite database is damaged: stop the hub, move the file aside and "
            "restore the last backup (capactif restore FOLDER).")
    if (getattr(original, "sqlite_errorcode", None) in _SQLITE_WRITE_REFUSED
            or getattr(original, "sqlstate", None) == _POSTGRESQL_DISK_FULL):
        return _store_full()
    if (isinstance(exc, sa.exc.TimeoutError) or type(original).__name__ in _LATE
            or any(text in str(original) for text in _LATE_MESSAGES)):
        return StoreTimeout(
            "La base de données du hub n'a pas répondu à temps ; réessayez.",
            "The hub database did not answer in time; retry.",
        )
    return StoreUnavailable(
        "La base de données du hub est indisponible ou occupée ; réessayez.",
        "The hub database is unavailable or busy; retry.",
    )


def read_json(text: str | bytes) -> Any:
    """A JSON column's value: read by orjson, some eight times faster than the standard
    decoder (three JSON columns a consent, read for every fiche pushed and processed);
    a value only the standard decoder reads (NaN, Infinity) by it. As for the fiches'
    payloads, which the worker reads by orjson too, an integer past 64 bits reads as a
    float (the hub writes none: its JSON columns hold names, ids, weights and counts)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def create_engine(database_url: str, *, pool_size: int = 5,
                  deadlines: Deadlines | None = None,
                  sqlite_mmap_bytes: int = 0) -> sa.Engine:
    """An engine for `database_url`; nothing connects until first use. With `deadlines`,
    no call waits longer than they say (see hub.store.deadlines); without, for ever.
    SQLite reads its file through a memory map of `sqlite_mmap_bytes` (0: none)."""
    if database_url.startswith("sqlite"):
        return _sqlite_engine(database_url, deadlines, sqlite_mmap_bytes)
    waits = {"pool_timeout": deadlines.pool_wait_s} if deadlines else {}
    return _server_engine(database_url, deadlines, pool_size=pool_size, max_overflow=10,
                          pool_pre_ping=True, **waits)


def unpooled_engine(database_url: str, deadlines: Deadlines | None = None) -> sa.Engine:
    """An engine that keeps no connection open between uses: for a thread of a process
    that forks (a Celery worker's parent), so no child inherits a live connection."""
    if database_url.startswith("sqlite"):
        return sa.create_engine(database_url, poolclass=sa.pool.NullPool,
                                json_deserializer=read_json)
    return _server_engine(database_url, deadlines, poolclass=sa.pool.NullPool)


def _server_engine(database_url: str, deadlines: Deadlines | None, **options: Any) -> sa.Engine:
    """A PostgreSQL engine, with the deadlines' connection arguments and client-side
    deadline when given."""
    options["json_deserializer"] = read_json
    if deadlines is None:
        return sa.create_engine(database_url, **options)
    engine = sa.create_engine(database_url, **options, connect_args=_planner_options(
        deadlines.postgresql_connect_args(database_url)))
    answer_within(engine, deadlines)
    return engine


def _planner_options(connect_args: dict[str, Any]) -> dict[str, Any]:
    """The connection arguments with the hub's planner settings ahead of the options given
    (the URL's or PGOPTIONS, which may set them otherwise). The hub's statements are
    lookups by key in tables it reads all the time (in memory, or on SSD):
    - JIT off: on a table never analysed (autovacuum off, just restored or loaded) the
      planner overestimates them past `jit_above_cost`, and compiling the candidate read
      took some 17 ms, longer than the read;
    - `random_page_cost` 1.1 (the default, 4, prices a page read out of order as a
      spinning disk's seek): at 4 the planner read the whole fiches, outbox and consents
      tables to find a hundred rows by key (a hash join), a cost growing with the table
      (docs/measurements.md, throughput: "PostgreSQL's share").
    Only where the deadlines send server options at all: a deployment behind PgBouncer in
    transaction mode, which refuses them, turns the deadlines off and sets all of these
    on the database role (docs/deploy.md)."""
    if "options" not in connect_args:
        return connect_args
    options = ["-c jit=off", "-c random_page_cost=1.1", connect_args["options"]]
    return {**connect_args, "options": " ".join(options)}


def _sqlite_engine(database_url: str, deadlines: Deadlines | None,
                   mmap_bytes: int = 0) -> sa.Engine:
    path = sa.engine.make_url(database_url).database
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    busy_ms = deadlines.sqlite_busy_ms if deadlines else 60000
    pooled = {"pool_timeout": deadlines.pool_wait_s} if deadlines and path and path != ":memory:" else {}
    engine = sa.create_engine(database_url, **pooled, json_deserializer=read_json, connect_args={
        "timeout": busy_ms / 1000, "check_same_thread": False, "factory": GatedConnection})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, open transactions, so that writers take
        # the write lock at BEGIN (IMMEDIATE) and never deadlock on lock upgrade.
        dbapi_connection.isolation_level = None
        if path and path != ":memory:":
            _close_to_others(Path(path))
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        # Deleted rows are zeroed, not left in free pages (see hub.store.purge).
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.execute(f"PRAGMA mmap_size={int(mmap_bytes)}")
        cursor.close()

    turn_s = None if deadlines and deadlines.lock_s <= 0 else busy_ms / 1000  # None: no limit
    writers = WriterQueue(Path(path), turn_s) if path and path != ":memory:" else None

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        mode = connection.get_execution_options().get(BEGIN_OPTION, "IMMEDIATE")
        driver_connection = connection.connection.dbapi_connection
        assert isinstance(driver_connection, GatedConnection)
        left_s = None
        if writers is not None and mode == "IMMEDIATE":
            try:
                left_s = writers.enter(driver_connection)
            except WriterTurnTimeout as exc:  # a database error, like SQLite's own "locked"
                raise sa.exc.OperationalError(f"BEGIN {mode}", None, exc) from exc
        try:
            if left_s is None:
                connection.exec_driver_sql(f"BEGIN {mode}")
            else:  # the turn and the write lock share one deadline
                _begin_within(connection, driver_connection, mode, left_s, busy_ms)
        except BaseException:
            driver_connection.leave()
            raise
    # The turn ends with the driver connection's COMMIT or ROLLBACK (GatedConnection).

    @event.listens_for(engine, "checkin")
    @event.listens_for(engine, "invalidate")
    def _on_return(dbapi_connection: Any, _record: Any, *_args: Any) -> None:
        if isinstance(dbapi_connection, GatedConnection):
            dbapi_connection.leave()  # a connection never goes back holding its turn

    return engine


def _begin_within(connection: sa.Connection, driver_connection: Any, mode: str,
                  left_s: float, busy_ms: int) -> None:
    """BEGIN waiting at most `left_s` for SQLite's write lock, then the usual busy
    timeout again (for the statements of the transaction); the timeout is left alone
    when the turn came at once (the PRAGMAs go to the driver, past SQLAlchemy)."""
    short_ms = round(left_s * 1000)
    if short_ms >= busy_ms:
        connection.exec_driver_sql(f"BEGIN {mode}")
        return
    driver_connection.execute(f"PRAGMA busy_timeout={short_ms}")
    try:
        connection.exec_driver_sql(f"BEGIN {mode}")
    finally:
        driver_connection.execute(f"PRAGMA busy_timeout={busy_ms}")



def _close_to_others(path: Path) -> None:
    """The SQLite file (created by the first connection under whatever umask), its WAL
    and shared-memory files closed to group and others: they are created with the file's
    mode, so the WAL, made when the connection turns WAL on just after, is born closed."""
    for found in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        with contextlib.suppress(OSError):  # absent, or another account's: left as it is
            mode = stat.S_IMODE(found.stat().st_mode)
            if mode & 0o077:
                os.chmod(found, mode & 0o700)
