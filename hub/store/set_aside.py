"""The store an earlier release's interrupted restore left aside, on PostgreSQL.

That release renamed `public` to `capactif_before_restore`, created an empty `public`,
ran pg_restore into it, then dropped the schema set aside right after, each step
committed alone. A kill between two steps left the store aside, and `public` missing,
empty, or holding the copy (neither migrated nor replayed: the restore had not
finished). Today's restore replaces `public` in one transaction (hub.store.backup) and
never sets anything aside.
"""

from __future__ import annotations

import logging
from typing import Literal

import sqlalchemy as sa

ASIDE = "capactif_before_restore"
log = logging.getLogger(__name__)

_PUBLIC_HOLDS_A_TABLE = """\
SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
    AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                      AND d.deptype = 'e'))"""


def put_back(database_url: str, *, beside_a_store: Literal["warn", "wait"]) -> bool:
    """Put the store set aside back as `public`, in one transaction, where that is certain:
    `public` is missing, holds no table, or holds the copy that restore was loading (its
    access log a prefix of the store's: never migrated nor replayed, it would bring back
    what was erased since). Where `public` holds an access event the store set aside does
    not (a hub served on it since), which one to keep is the operator's choice:
    `init` `warn`s, saying what to run, and changes nothing, so an upgrade does not stop
    a hub that serves; a restore `wait`s (changes nothing): its load replaces `public`
    and drops the schema set aside in one transaction. True if it put it back."""
    url = sa.engine.make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return False
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            if not conn.exec_driver_sql("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE "
                                        "nspname = %(aside)s)", {"aside": ASIDE}).scalar():
                return False
            copy = conn.exec_driver_sql(_PUBLIC_HOLDS_A_TABLE).scalar()
            if copy and not _untouched_copy(conn):
                if beside_a_store == "warn":
                    log.warning("%s", BOTH_HOLD_A_STORE)
                return False
            conn.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
            conn.exec_driver_sql(f"ALTER SCHEMA {ASIDE} RENAME TO public")
        if copy:
            log.warning("%s", COPY_NEVER_REPLAYED)
        return True
    finally:
        engine.dispose()


def _untouched_copy(conn: sa.Connection) -> bool:
    """`public` holds nothing written after the copy was loaded: the copy's access log is
    a prefix of the store set aside's, so `public` is the copy, loaded whole or in part,
    exactly when its newest event (if any) is the set-aside store's event at the same
    position, leaf hash and all. A hub that served on the copy appended events the store
    set aside does not hold at those positions. No clock is read: a host whose clock
    runs behind would make served events look older."""
    regclass = "SELECT to_regclass(%(t)s)"
    if conn.exec_driver_sql(regclass, {"t": f"{ASIDE}.audit_entries"}).scalar() is None:
        return False  # nothing to tell them apart by
    if conn.exec_driver_sql(regclass, {"t": "public.audit_entries"}).scalar() is None:
        return True  # loaded in part, before its access log
    row = conn.exec_driver_sql(
        "SELECT a.leaf_hash IS NOT NULL AND a.leaf_hash = p.leaf_hash FROM "
        "(SELECT seq, leaf_hash FROM public.audit_entries ORDER BY seq DESC LIMIT 1) p "
        f"LEFT JOIN {ASIDE}.audit_entries a ON a.seq = p.seq").first()
    return row is None or bool(row[0])


# What `init` logs when `public` holds tables beside the store set aside.
BOTH_HOLD_A_STORE = (
    f"Schema {ASIDE} holds the store as it was before an interrupted restore (an "
    "earlier release), and schema public holds a store too, with access events the "
    "former does not hold (a hub served on the copy, neither migrated nor replayed when "
    "loaded): nothing was changed. To restore, run `capactif restore FOLDER` again (the "
    "copy replaces public and the schema set aside is dropped, in one transaction). To "
    "go back to the former store: `DROP SCHEMA public CASCADE; ALTER SCHEMA "
    f"{ASIDE} RENAME TO public;`. To keep public: `DROP SCHEMA {ASIDE} CASCADE;` (it "
    "keeps data erased since, so do not leave it).")

# What is logged when the copy an interrupted restore loaded is replaced by the former store.
COPY_NEVER_REPLAYED = (
    f"Schema public held the copy an interrupted restore (an earlier release) had loaded, "
    "never migrated nor replayed (it would bring back what was erased since): the store "
    f"as it was before that restore (schema {ASIDE}) was put back as public. To restore "
    "the copy, run `capactif restore FOLDER` again.")
