"""Physical forgetting after an erasure, where the store allows it.

SQLite: connections run with `secure_delete` (freed cells and pages are zeroed), and a
TRUNCATE checkpoint copies the WAL into the database and empties the WAL file, so the
page images holding the erased rows leave it. PostgreSQL cannot be made to forget (dead
tuples until VACUUM, old bytes in pages, WAL segments until recycled, WAL archives): a
VACUUM of the tables an erasure writes removes the dead tuples; the guarantee on
PostgreSQL rests on the destroyed key-encryption keys (hub.keyring).
"""

from __future__ import annotations

import logging
import time

import sqlalchemy as sa

_VACUUMED = ("fiche_keys", "match_keys", "match_records", "consents")
_log = logging.getLogger("hub")


def purge_freed_space(engine: sa.Engine, *, attempts: int = 50, pause_s: float = 0.1) -> bool:
    """True when nothing the last erasure removed remains in the WAL (SQLite) or as a dead
    tuple that VACUUM could remove (PostgreSQL); False (and a warning) when that has to
    wait for the next purge: never an error, for the erasure is committed before."""
    if engine.dialect.name == "sqlite":
        return _truncate_wal(engine, attempts, pause_s)
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in _VACUUMED:
                conn.exec_driver_sql(f"VACUUM {table}")
    except sa.exc.OperationalError as exc:
        # The erasure is committed by now: a VACUUM held past the database's deadlines
        # (another one running, a large table) must not fail it, nor skip its audit event
        # and notices. The dead tuples wait for the next VACUUM or autovacuum.
        _log.warning("VACUUM after an erasure did not finish (%s); the next one removes "
                     "the dead tuples.", type(exc.orig).__name__)
        return False
    return True


def _truncate_wal(engine: sa.Engine, attempts: int, pause_s: float) -> bool:
    """A TRUNCATE checkpoint waits for readers of older snapshots; retried a bounded number
    of times (a reader holding one longer delays the purge, never the erasure's commit)."""
    raw = engine.raw_connection()  # no BEGIN: a checkpoint runs outside any transaction
    try:
        for _attempt in range(attempts):
            cursor = raw.cursor()
            busy, _frames, _done = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            cursor.close()
            if not busy:
                return True
            time.sleep(pause_s)
    finally:
        raw.close()
    _log.warning("SQLite WAL checkpoint still busy after an erasure; retried at the next one.")
    return False
