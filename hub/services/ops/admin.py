"""Operator actions: initialise the store and the hub key; what a command says of a
database outage."""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Iterator

import sqlalchemy as sa

from hub.config import Settings
from hub.errors import ConfigurationError, DatabaseUnreadable, HubError, StoreUnavailable
from hub.store import backup as copies
from hub.store import set_aside
from hub.store.engine import outage
from hub.store.migrate import migrations_current, upgrade

log = logging.getLogger(__name__)


def command_error(exc: BaseException) -> HubError | None:
    """The hub's error for a database outage a command met outside a unit of work (a
    backup, a restore, an export reading the log: the database stopped, frozen, or ending
    the session), as every other command says it; None for any other error."""
    return outage(exc)


def initialise(settings: Settings) -> dict[str, int]:
    """Migrate the database to the latest schema, make sure the keys exist (in the key
    directory, outside the data directory), bring the keys of a former layout up to date,
    remove the erasure answers kept more than a day ago, and re-index the fiches indexed
    under other blocking rules than the settings' or whose record forms another
    normalisation wrote."""
    from hub.bootstrap import Hub
    from hub.services.delivery.publisher import NullPublisher
    from hub.services.matching.reindex import reindex_blocking, reindex_forms
    from hub.services.privacy.erasure_retries import forget_expired
    from hub.services.privacy.key_rotation import upgrade_keys

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with _start_errors(settings), one_at_a_time(settings):
        if set_aside.put_back(settings.database_url.reveal(), beside_a_store="warn"):
            log.warning("the store an interrupted restore of an earlier release had set aside "
                        "(schema %s) is put back as public", set_aside.ASIDE)
        _refuse_an_unfinished_restore(settings)
        _refuse_to_migrate_under_live_processes(settings)
        upgrade(settings.database_url.reveal())
        hub = Hub.from_settings(settings, publisher=NullPublisher())
        try:
            forget_expired(hub)
            return {**upgrade_keys(hub), "index_reindexe": reindex_blocking(hub),
                    "formes_reecrites": reindex_forms(hub)}
        finally:
            hub.close()


def _refuse_to_migrate_under_live_processes(settings: Settings) -> None:
    """A migration while hub processes beat on the store: those of the release before
    would go on beside the new ones under the old schema (before 0034 the key locks were
    advisory locks, after it row locks: neither release sees the other's, and one person's
    fiches end split over two porteurs). A current store starts beside them (the same
    release's processes). Run under `one_at_a_time`: the processes of a deployment starting
    together beat only once started, after their `init`."""
    from hub.bootstrap import utc_now
    from hub.services.ops.heartbeat import live_processes

    engine = sa.create_engine(settings.database_url.reveal(), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("alembic_version") or migrations_current(conn):
                return
        alive = live_processes(engine, settings, utc_now())
    finally:
        engine.dispose()
    if alive:
        raise ConfigurationError(
            f"{alive} processus du hub battent encore sur cette base, qui attend une "
            "migration : arrêtez les workers et le planificateur de la version "
            "précédente (docs/deploy.md, section 6), puis démarrez ; un processus arrêté "
            f"net cesse de compter après {3 * settings.heartbeat_interval_s:g} s.",
            f"{alive} hub processes still beat on this store, which a migration awaits: "
            "stop the previous release's workers and scheduler (docs/deploy.md, "
            "section 6), then start; a process killed stops counting after "
            f"{3 * settings.heartbeat_interval_s:g} s.")


def _refuse_an_unfinished_restore(settings: Settings) -> None:
    """A restore loaded its copy and stopped before replaying the journal: served, the copy
    would bring back what was erased or withdrawn since. Only the restore finishes it."""
    engine = sa.create_engine(settings.database_url.reveal(), poolclass=sa.pool.NullPool)
    try:
        unfinished = copies.unfinished_restore(engine)
    finally:
        engine.dispose()
    if unfinished is not None:
        raise ConfigurationError(
            "Une restauration n'est pas allée au bout : la base tient la copie chargée, ni "
            "migrée ni rejouée (ce qui a été effacé ou retiré depuis y reviendrait). Lancez "
            "de nouveau `capactif restore DOSSIER` avec la même sauvegarde, puis démarrez.",
            "A restore did not finish: the store holds the copy it loaded, neither migrated "
            "nor replayed (what was erased or withdrawn since would come back). Run "
            "`capactif restore FOLDER` again with the same backup, then start.")


# The advisory lock `init` takes on PostgreSQL (any fixed number: "capactif" in ASCII)
_INIT_LOCK = 0x6361706163746966


@contextlib.contextmanager
def one_at_a_time(settings: Settings) -> Iterator[None]:
    """PostgreSQL: one `init` (or a restore's migration) at a time on the database.
    `serve` and `worker` run it at start, and the processes of a deployment starting
    together ran the migrations at once: all but one stopped (a duplicate type or table).
    The others wait, saying so, then find the store current. SQLite: writers already take
    turns. The lock is a session's: behind a pgbouncer in transaction pooling it holds
    nothing (docs/deploy.md)."""
    if settings.is_sqlite:
        yield
        return
    # not the hub's engine: its statement deadline would end the wait for another init
    # (a re-index of a large store takes minutes); 0 is no limit, as libpq reads it.
    # Keepalives: a holder whose host vanished frees the lock within minutes, not hours.
    engine = sa.create_engine(settings.database_url.reveal(), isolation_level="AUTOCOMMIT",
                              poolclass=sa.pool.NullPool, connect_args={
                                  "connect_timeout": math.ceil(settings.database_connect_timeout_s),
                                  "keepalives": 1, "keepalives_idle": 30,
                                  "keepalives_interval": 10, "keepalives_count": 3})
    try:
        with engine.connect() as conn:
            key = {"key": _INIT_LOCK}
            if not conn.exec_driver_sql("SELECT pg_try_advisory_lock(%(key)s)", key).scalar():
                log.warning("waiting for another capactif init (or restore) on this database "
                            "to finish…")
                conn.exec_driver_sql("SELECT pg_advisory_lock(%(key)s)", key)
            try:
                yield
            finally:
                conn.exec_driver_sql("SELECT pg_advisory_unlock(%(key)s)", key)
    finally:
        engine.dispose()


@contextlib.contextmanager
def _start_errors(settings: Settings) -> Iterator[None]:
    """The database errors met at start, as one error saying what to fix."""
    try:
        yield
    except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
        raise _unreachable(settings, exc) from exc
    except sa.exc.DatabaseError as exc:
        if not settings.is_sqlite:
            raise
        raise _unreadable(settings) from exc
    except sa.exc.ArgumentError as exc:  # a dialect or driver SQLAlchemy cannot load
        raise ConfigurationError(
            f"HUB_DATABASE_URL ({settings.database_url}) nomme un pilote que le hub ne sait "
            "pas charger ; exemples : sqlite:////chemin/hub.sqlite3 | "
            "postgresql+psycopg://user@host/base. Corrigez la variable, puis relancez.",
            f"HUB_DATABASE_URL ({settings.database_url}) names a driver the hub cannot load; "
            "examples: sqlite:////path/hub.sqlite3 | postgresql+psycopg://user@host/base. "
            "Fix the variable, then start again.") from exc


def _unreadable(settings: Settings) -> DatabaseUnreadable:
    """A SQLite file that is not a database, or a damaged one (SQLite says no more)."""
    path = sa.engine.make_url(settings.database_url.reveal()).database
    return DatabaseUnreadable(
        f"Le fichier {path} n'est pas une base SQLite lisible (endommagé, tronqué ou d'un "
        "autre type) : arrêtez le hub, mettez ce fichier de côté, puis restaurez la dernière "
        "sauvegarde (capactif restore DOSSIER) ou relancez pour partir d'une base vide.",
        f"The file {path} is not a readable SQLite database (damaged, truncated or of "
        "another kind): stop the hub, move this file aside, then restore the last backup "
        "(capactif restore FOLDER) or start again with an empty database.")


def _unreachable(settings: Settings, exc: sa.exc.DBAPIError) -> StoreUnavailable:
    """The database at start, named without its password, and the driver's reason (the
    server's answer or the refused connection, which carry no secret)."""
    reason = (str(exc.orig).strip().splitlines() or [type(exc.orig).__name__])[0]
    return StoreUnavailable(
        f"La base {settings.database_url} est injoignable ({reason}) : vérifiez "
        "HUB_DATABASE_URL et que le serveur tourne, puis relancez.",
        f"The database {settings.database_url} cannot be reached ({reason}): check "
        "HUB_DATABASE_URL and that the server runs, then start again.")
