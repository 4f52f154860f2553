"""Consistent copies of the store and their restoration.

SQLite: the online backup API (a consistent snapshot while the hub runs). PostgreSQL:
`pg_dump` in its custom format (one snapshot transaction) and `pg_restore` into a new
`public` schema. A restore that fails leaves the store as it was: the SQLite copy is read
whole before anything is touched; on PostgreSQL the store's schema is set aside
(renamed) during `pg_restore` and put back if it fails. The key directory is never part
of a copy (see hub.journal).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import sqlalchemy as sa

from hub.errors import ConfigurationError


def dump(database_url: str, target: Path) -> None:
    """Write a consistent copy of the database at `database_url` to `target` (0600)."""
    url = sa.engine.make_url(database_url)
    if url.get_backend_name() == "sqlite":
        _sqlite_copy(Path(url.database or ""), target)
    else:
        _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(target), _libpq(url)])
    os.chmod(target, 0o600)


def load(database_url: str, source: Path) -> None:
    """Replace the database at `database_url` by the copy in `source`. Nothing may use
    the database meanwhile (the restore command checks that no worker is alive)."""
    url = sa.engine.make_url(database_url)
    if url.get_backend_name() == "sqlite":
        _check_sqlite_copy(source)
        database = Path(url.database or "")
        for suffix in ("-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        _sqlite_copy(source, database)
        return
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        _pg_restore_or_put_back(engine, url, source)
    finally:
        engine.dispose()


_ASIDE = "capactif_before_restore"  # the store's schema while pg_restore runs


def _pg_restore_or_put_back(engine: sa.Engine, url: sa.URL, source: Path) -> None:
    """pg_restore into a new `public` schema, the store's own set aside meanwhile: a
    failure (a copy this pg_restore cannot read, a full disk) puts it back, so the hub
    is never left with an emptied database."""
    with engine.connect() as conn:
        if conn.exec_driver_sql("SELECT 1 FROM pg_namespace WHERE nspname = %(name)s",
                                {"name": _ASIDE}).first() is not None:
            raise ConfigurationError(
                f"Le schéma {_ASIDE} existe : une restauration précédente a été interrompue "
                "et il contient la base d'avant. Renommez-le en public (après avoir supprimé "
                "public) pour la retrouver, ou supprimez-le, puis relancez.",
                f"Schema {_ASIDE} exists: an earlier restore was cut short and it holds the "
                "database as it was. Rename it to public (after dropping public) to get it "
                "back, or drop it, then run again.")
        conn.exec_driver_sql(f"ALTER SCHEMA public RENAME TO {_ASIDE}")
        conn.exec_driver_sql("CREATE SCHEMA public")
    try:
        _run(["pg_restore", "--no-owner", "--single-transaction", "--exit-on-error",
              "--dbname", _libpq(url), str(source)])
    except BaseException:
        with engine.connect() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            conn.exec_driver_sql(f"ALTER SCHEMA {_ASIDE} RENAME TO public")
        raise
    with engine.connect() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA {_ASIDE} CASCADE")


def _check_sqlite_copy(source: Path) -> None:
    """The copy reads whole as a SQLite database, before the store is touched."""
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            verdict = src.execute("PRAGMA quick_check").fetchone()
        finally:
            src.close()
    except sqlite3.DatabaseError as exc:
        verdict = (str(exc),)
    if verdict != ("ok",):
        raise ConfigurationError(
            f"La copie {source.name} n'est pas une base SQLite lisible : rien n'a été changé.",
            f"The copy {source.name} is not a readable SQLite database: nothing was changed.")


def _sqlite_copy(source: Path, target: Path) -> None:
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=WAL")
    finally:
        dst.close()
        src.close()


def _libpq(url: sa.URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _run(command: list[str]) -> None:
    if shutil.which(command[0]) is None:
        raise ConfigurationError(
            f"{command[0]} est introuvable : installez le client PostgreSQL de la même version "
            "que le serveur (paquet postgresql-client).",
            f"{command[0]} not found: install the PostgreSQL client of the server's version.")
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        # the tool's message names objects, never row contents; the URL is not repeated
        raise ConfigurationError(
            f"{command[0]} a échoué (code {done.returncode}) : {done.stderr.strip()[-300:]}",
            f"{command[0]} failed (code {done.returncode}): {done.stderr.strip()[-300:]}")
