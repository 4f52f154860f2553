"""The store an earlier release's interrupted restore left aside, on PostgreSQL.

That release renamed `public` to `capactif_before_restore`, created an empty `public`,
ran pg_restore into it, then dropped the schema set aside, each step committed alone. A
kill between two steps left the store aside, and `public` missing, empty, or holding the
copy (neither migrated nor replayed: the restore had not finished). Today's restore
replaces `public` in one transaction (hub.store.backup) and never sets anything aside.
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
    `public` is missing or holds no table (the restore was cut short before its copy was
    in). Where `public` holds tables too, `init` cannot tell the copy half restored from
    a store that served since (that release's guide said to keep the schema until the
    restored store was checked): it `warn`s, saying what to run, and changes nothing, so
    an upgrade does not stop a hub that serves; a restore `wait`s (changes nothing):
    its load replaces `public` and drops the schema set aside in one transaction, so a
    load that fails leaves both as they were. True if it put it back."""
    url = sa.engine.make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return False
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            if not conn.exec_driver_sql("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE "
                                        "nspname = %(aside)s)", {"aside": ASIDE}).scalar():
                return False
            if conn.exec_driver_sql(_PUBLIC_HOLDS_A_TABLE).scalar():
                if beside_a_store == "warn":
                    log.warning("%s", BOTH_HOLD_A_STORE)
                return False
            conn.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
            conn.exec_driver_sql(f"ALTER SCHEMA {ASIDE} RENAME TO public")
        return True
    finally:
        engine.dispose()


# What `init` logs when `public` holds tables beside the store set aside.
BOTH_HOLD_A_STORE = (
    f"Schema {ASIDE} holds the store as it was before an interrupted restore (an "
    "earlier release), and schema public holds a store too (the copy loaded, neither "
    "migrated nor replayed, or what the hub received since): nothing was changed. To "
    "restore, run `capactif restore FOLDER` again (the copy replaces public and the "
    "schema set aside is dropped, in one transaction). To go back to the former store: `DROP SCHEMA public "
    f"CASCADE; ALTER SCHEMA {ASIDE} RENAME TO public;`. To keep public: `DROP SCHEMA "
    f"{ASIDE} CASCADE;` (it keeps data erased since, so do not leave it).")
