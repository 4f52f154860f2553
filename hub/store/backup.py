"""Consistent copies of the store and their restoration.

SQLite: the online backup API (a consistent snapshot while the hub runs). PostgreSQL:
`pg_dump` of the `public` schema in its custom format (one snapshot transaction), put
back in place of the store's `public` in one transaction (psql runs pg_restore's SQL).
A restore that fails or is killed leaves the store as it was: the SQLite copy is read
whole before anything is touched; on PostgreSQL nothing is committed before the copy's
last row. The key directory is never part of a copy (see hub.journal).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path
from typing import IO

import sqlalchemy as sa

from hub.errors import ConfigurationError
from hub.store.set_aside import ASIDE


def dump(database_url: str, target: Path) -> None:
    """Write a consistent copy of the database at `database_url` to `target` (0600)."""
    url = sa.engine.make_url(database_url)
    if url.get_backend_name() == "sqlite":
        _sqlite_copy(Path(url.database or ""), target)
    else:
        # The lock stripes' rows hold only the workers' key locks, written again as they
        # are locked (migration 0034): the copy has the table, empty.
        _run(["pg_dump", "--format=custom", "--no-owner", "--schema=public",
              "--exclude-table-data=match_lock_stripes", "--file", str(target), _libpq(url)],
             _tool_env(url))
    os.chmod(target, 0o600)


# The table a load creates in the copy it loads, in its own transaction, and the end of
# the restore drops once the journal is replayed: while it is there the store holds a copy
# neither migrated nor replayed (what was erased or withdrawn since would be served
# again), and `init` refuses to start on it.
UNFINISHED = "capactif_restore_unfinished"


def load(database_url: str, source: Path, copy_sha256: str = "") -> None:
    """Replace the database at `database_url` by the copy in `source`, marked unfinished
    (`UNFINISHED`, carrying `copy_sha256`) in the same transaction. Nothing may use the
    database meanwhile (the restore command checks that no worker is alive)."""
    url = sa.engine.make_url(database_url)
    if url.get_backend_name() == "sqlite":
        _check_sqlite_copy(source)
        _sqlite_load(source, Path(url.database or ""), copy_sha256)
        return
    _pg_replace_public(url, source, copy_sha256)


def unfinished_restore(engine: sa.Engine) -> str | None:
    """The digest of the copy a restore loaded and has not finished replaying (`""` when
    loaded by hand); None when no restore is unfinished."""
    with engine.connect() as conn:
        return unfinished_restore_in(conn)


def unfinished_restore_in(conn: sa.Connection) -> str | None:
    """`unfinished_restore` on an open connection (the readiness probe's)."""
    schema = None if conn.dialect.name == "sqlite" else "public"
    if not sa.inspect(conn).has_table(UNFINISHED, schema=schema):
        return None
    qualified = UNFINISHED if schema is None else f"{schema}.{UNFINISHED}"
    found = conn.exec_driver_sql(f"SELECT copy_sha256 FROM {qualified}").scalar()
    return "" if found is None else str(found)


def finish_restore(conn: sa.Connection) -> None:
    """The copy loaded is replayed: the store may serve (in the caller's transaction)."""
    qualified = UNFINISHED if conn.dialect.name == "sqlite" else f"public.{UNFINISHED}"
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {qualified}")


def _mark_unfinished(copy_sha256: str, qualified: str) -> str:
    digest = "".join(c for c in copy_sha256 if c in "0123456789abcdef")
    return (f"DROP TABLE IF EXISTS {qualified};\n"
            f"CREATE TABLE {qualified} (copy_sha256 text NOT NULL);\n"
            f"INSERT INTO {qualified} (copy_sha256) VALUES ('{digest}');\n")


# Run by psql before the copy's SQL, in the same transaction: the store's schema is
# emptied and made again, the extensions installed in it (pg_trgm, pg_stat_statements…)
# created again at their version (the copy holds `public` alone, never an extension).
# The store an earlier release's interrupted restore set aside goes in the same
# transaction (hub.store.set_aside): a load that fails leaves it too.
_EMPTY_PUBLIC = f"""\
BEGIN;
DROP SCHEMA IF EXISTS {ASIDE} CASCADE;
CREATE TEMP TABLE capactif_public_extensions ON COMMIT DROP AS
  SELECT e.oid AS position, e.extname, e.extversion FROM pg_catalog.pg_extension e
  JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE n.nspname = 'public';
DROP SCHEMA IF EXISTS public CASCADE;
CREATE SCHEMA public;
DO $capactif$
DECLARE e record;
BEGIN
  FOR e IN SELECT * FROM capactif_public_extensions ORDER BY position LOOP
    EXECUTE format('CREATE EXTENSION %I WITH SCHEMA public VERSION %L', e.extname, e.extversion);
  END LOOP;
END
$capactif$;
"""


def _pg_replace_public(url: sa.URL, source: Path, copy_sha256: str) -> None:
    """The store's `public` schema replaced by the copy's in one transaction: psql runs
    `_EMPTY_PUBLIC`, then the SQL pg_restore writes of the copy's `public`, and commits
    only once pg_restore has written it all. A failure (a copy this pg_restore cannot
    read, a full disk) or a kill at any point leaves the store as it was, and running
    the restore again starts it over. Other schemas are left alone (a view of theirs on
    a table of `public` goes with it: docs/deploy.md)."""
    for tool in ("pg_restore", "psql"):
        _require(tool)
    with tempfile.TemporaryFile() as psql_errors, tempfile.TemporaryFile() as restore_errors:
        psql = subprocess.Popen(["psql", "--no-psqlrc", "--quiet", "--set", "ON_ERROR_STOP=1",
                                 "--dbname", _libpq(url)], env=_tool_env(url),
                                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                stderr=psql_errors)
        assert psql.stdin is not None
        restore, killed = None, False
        try:
            psql.stdin.write(_EMPTY_PUBLIC.encode())
            restore = subprocess.Popen(["pg_restore", "--no-owner", "--schema=public",
                                        "--file=-", str(source)],
                                       stdout=subprocess.PIPE, stderr=restore_errors)
            assert restore.stdout is not None
            shutil.copyfileobj(restore.stdout, psql.stdin, 1 << 16)
            if restore.wait() == 0:
                psql.stdin.write(_mark_unfinished(copy_sha256, f"public.{UNFINISHED}").encode())
                psql.stdin.write(b"COMMIT;\n")
        except BrokenPipeError:
            pass  # psql stopped on an error: its message says which
        finally:
            if restore is not None:
                if restore.poll() is None:
                    restore.kill()
                    restore.wait()
                    killed = True
                assert restore.stdout is not None
                restore.stdout.close()
            with contextlib.suppress(BrokenPipeError):
                psql.stdin.close()  # no COMMIT written: psql's end rolls it all back
            psql.wait()
        if restore is not None and restore.returncode != 0 and not killed:
            _failed("pg_restore", restore.returncode, _text(restore_errors))
        if psql.returncode != 0:
            _failed("psql", psql.returncode, _text(psql_errors))


def _text(stream: IO[bytes]) -> str:
    stream.seek(0)
    return stream.read().decode(errors="replace")


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


def _sqlite_load(source: Path, database: Path, copy_sha256: str) -> None:
    """The copy written beside the store, marked unfinished, then put in its place by a
    rename: a kill at any point leaves either the store or the marked copy."""
    beside = database.with_name(f"{database.name}.restoring")
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{beside}{suffix}").unlink(missing_ok=True)
    _sqlite_copy(source, beside)
    marked = sqlite3.connect(beside)
    try:
        marked.executescript(f"BEGIN;\n{_mark_unfinished(copy_sha256, UNFINISHED)}COMMIT;\n")
        marked.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        marked.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    os.replace(beside, database)
    for suffix in ("-wal", "-shm"):
        Path(f"{beside}{suffix}").unlink(missing_ok=True)


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
    """The URL the PostgreSQL tools are given, without its password: a command line is
    readable by every local user (`ps`); the password goes in their environment
    (`_tool_env`)."""
    bare = sa.engine.URL.create("postgresql", username=url.username, host=url.host,
                                port=url.port, database=url.database, query=url.query)
    return bare.render_as_string(hide_password=False)


def _tool_env(url: sa.URL) -> dict[str, str] | None:
    """The tools' environment: this process's, with the URL's password as PGPASSWORD
    (None, inherited as it is, when the URL has none)."""
    if url.password is None:
        return None
    return {**os.environ, "PGPASSWORD": str(url.password)}


def _require(tool: str) -> None:
    if shutil.which(tool) is None:
        raise ConfigurationError(
            f"{tool} est introuvable : installez le client PostgreSQL de la même version "
            "que le serveur (paquet postgresql-client).",
            f"{tool} not found: install the PostgreSQL client of the server's version.")


def _run(command: list[str], env: dict[str, str] | None = None) -> None:
    _require(command[0])
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    if done.returncode != 0:
        _failed(command[0], done.returncode, done.stderr)


def _failed(tool: str, code: int, stderr: str) -> None:
    # the tool's message names objects, never row contents; the URL is not repeated
    raise ConfigurationError(f"{tool} a échoué (code {code}) : {stderr.strip()[-300:]}",
                             f"{tool} failed (code {code}): {stderr.strip()[-300:]}")
