"""The planner's statistics of the store's tables, gathered after a load that wrote them
whole (PostgreSQL).

pg_restore writes rows and indexes but no statistics, and until autovacuum's first
ANALYZE (never, where autovacuum is off) the planner guesses every table's make-up: it
took a porteur's rows to be 0.5 % of a table (docs/measurements.md, throughput). SQLite is left as it
is: its statements were written for its plans without `sqlite_stat1`.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa

_log = logging.getLogger(__name__)

_STORE_TABLES = "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"


def gather_statistics(engine: sa.Engine) -> bool:
    """ANALYZE every table of the store's schema (PostgreSQL; True at once on SQLite).
    False, with a warning, when it could not finish (deadlines, a lock): never an error,
    for what it follows is committed; autovacuum or the next ANALYZE does it then."""
    if engine.dialect.name != "postgresql":
        return True
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            tables = conn.exec_driver_sql(_STORE_TABLES).scalars().all()
            if tables:
                quote = conn.dialect.identifier_preparer.quote
                conn.exec_driver_sql("ANALYZE " + ", ".join(f"public.{quote(t)}" for t in tables))
    except sa.exc.OperationalError as exc:
        _log.warning("ANALYZE of the store's tables did not finish (%s): the planner works "
                     "from its guesses until autovacuum's or the next ANALYZE.",
                     type(exc.orig).__name__)
        return False
    return True
