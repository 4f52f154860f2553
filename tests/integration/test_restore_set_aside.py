"""A restore of an earlier release interrupted on PostgreSQL: that release renamed the
store's `public` schema to `capactif_before_restore`, created an empty `public`, ran
pg_restore into it, then dropped the schema set aside right after. A kill between two
of these steps left the store aside: `public` missing, empty, or holding the copy not yet
migrated nor replayed. `capactif init` (which `serve` and `worker` run at start) and
`capactif restore` now put it back themselves where that is certain (the copy's access
log a prefix of the store's, told by positions and leaf hashes, never by clocks), and
otherwise say exactly what to do (init in its log, changing nothing); before, `init`
migrated an empty store (the hub served without its data), or the unreplayed copy, or
stopped on a missing schema, and the set-aside schema stayed for ever."""

from __future__ import annotations

import hashlib
import json
import logging
import subprocess

import pytest
import sqlalchemy as sa

from hub.errors import ConfigurationError
from hub.services.ops import recovery
from hub.services.ops.admin import initialise
from hub.store import backup as copies
from hub.store.tables import fiches
from tests.integration.test_backup_restore import _fiche
from tests.integration.world import push_and_process

pytestmark = [pytest.mark.integration,
              pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)]

ASIDE = "capactif_before_restore"


def _run(hub, *statements: str) -> None:
    engine = sa.create_engine(hub.settings.database_url.reveal())
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


def _state(hub) -> tuple[set[str], set[str] | None]:
    """(the schemas among public and the aside, the fiche ids in public, None without it)."""
    engine = sa.create_engine(hub.settings.database_url.reveal())
    try:
        with engine.connect() as conn:
            schemas = set(conn.exec_driver_sql(
                "SELECT nspname FROM pg_namespace WHERE nspname IN ('public', %(aside)s)",
                {"aside": ASIDE}).scalars())
            if not sa.inspect(conn).has_table("fiches", schema="public"):
                return schemas, None
            return schemas, set(conn.execute(sa.select(fiches.c.fiche_id)).scalars())
    finally:
        engine.dispose()


def _interrupted(network, tmp_path, step: str):
    """The store holding F-1 (in the backup) and F-9 (since), then the earlier release's
    restore cut short after `step`."""
    hub = network[0]
    push_and_process(hub, _fiche("F-1", b"Copienom", None))
    recovery.backup(hub, tmp_path / "sauvegarde")
    push_and_process(hub, _fiche("F-9", b"Gardenom", 3))
    hub.close()
    _run(hub, f"ALTER SCHEMA public RENAME TO {ASIDE}")
    if step in {"empty_public", "copy_loaded"}:
        _run(hub, "CREATE SCHEMA public")
    if step == "copy_loaded":  # that release's pg_restore, into the empty public
        url = sa.engine.make_url(hub.settings.database_url.reveal())
        subprocess.run(["pg_restore", "--no-owner", "--schema=public", "--dbname",
                        copies._libpq(url), str(tmp_path / "sauvegarde" / "hub.pgdump")],
                       env=copies._tool_env(url), check=True)
    return hub


def _served_since(hub, minutes: int = 1):
    """A hub served on the copy loaded: `public` gains an access event of its own where
    the store set aside holds another (same position, another leaf hash), stamped
    `minutes` after that one (before it when negative: a host whose clock runs behind)."""
    _run(hub, f"INSERT INTO public.audit_entries SELECT * FROM {ASIDE}.audit_entries "
              "ORDER BY seq DESC LIMIT 1",
         f"UPDATE public.audit_entries SET at = at + interval '{minutes} minute', "
         "leaf_hash = sha256(leaf_hash) "
         "WHERE seq = (SELECT max(seq) FROM public.audit_entries)",
         "UPDATE public.fiches SET fiche_id = 'F-77'")
    return hub


@pytest.mark.parametrize("step", ["renamed", "empty_public"])
def test_init_puts_back_the_store_an_interrupted_restore_set_aside(network, tmp_path, step):
    hub = _interrupted(network, tmp_path, step)
    initialise(hub.settings)
    assert _state(hub) == ({"public"}, {"F-1", "F-9"})  # the store as it was, nothing aside


def test_init_puts_back_the_store_beside_a_copy_loaded_but_never_replayed(
        network, tmp_path, caplog):
    """That release dropped the schema set aside right after a complete pg_restore: beside
    it, `public` holds the copy, neither migrated nor replayed (its newest access event is
    older than the store's). Served, it would bring back what was erased since."""
    hub = _interrupted(network, tmp_path, "copy_loaded")
    with caplog.at_level(logging.WARNING, logger="hub.store.set_aside"):
        initialise(hub.settings)
    [message] = [r.getMessage() for r in caplog.records if r.name == "hub.store.set_aside"]
    assert "capactif restore" in message
    assert _state(hub) == ({"public"}, {"F-1", "F-9"})  # the store as it was


@pytest.mark.parametrize("minutes", [1, -2])
def test_init_does_not_guess_when_public_served_since_and_says_what_to_do(
        network, tmp_path, caplog, minutes):
    """`public` holds an access event the store set aside does not (a hub served on the
    copy): init cannot tell which store to keep, changes nothing, and says what to run.
    Whatever the clock of the host that served: before, an event stamped before the
    store's newest (a clock two minutes behind) had init drop `public`, and everything
    received since with it."""
    hub = _served_since(_interrupted(network, tmp_path, "copy_loaded"), minutes)
    with caplog.at_level(logging.WARNING, logger="hub.store.set_aside"):
        initialise(hub.settings)
    [message] = [r.getMessage() for r in caplog.records if r.name == "hub.store.set_aside"]
    assert ASIDE in message and "capactif restore" in message and "DROP SCHEMA" in message
    assert _state(hub) == ({"public", ASIDE}, {"F-77"})  # nothing changed


def test_restore_refuses_a_live_hub_before_it_puts_anything_back(network, tmp_path):
    """A process beat lately on the copy loaded: restore stops before it changes anything.
    Before, it put the store set aside back first, then found the process alive."""
    hub = _interrupted(network, tmp_path, "copy_loaded")
    _run(hub, "INSERT INTO public.process_heartbeats (id, kind, host, pid, started_at, "
              "seen_at) VALUES ('worker:h:1', 'worker', 'h', 1, now(), now())")
    with pytest.raises(ConfigurationError):
        recovery.restore(hub.settings, tmp_path / "sauvegarde")
    assert _state(hub) == ({"public", ASIDE}, {"F-1"})  # nothing changed


@pytest.mark.parametrize("step", ["renamed", "empty_public", "copy_loaded"])
def test_restore_again_turns_the_interrupted_one_back_then_restores(network, tmp_path, step):
    hub = _interrupted(network, tmp_path, step)
    recovery.restore(hub.settings, tmp_path / "sauvegarde", force=True)
    assert _state(hub) == ({"public"}, {"F-1"})  # the copy's, nothing left aside


def test_a_restore_that_fails_beside_a_store_set_aside_leaves_both_as_they_were(
        network, tmp_path):
    """The copy is damaged (cut short, its manifest's digest made to match): the load
    fails, and the store set aside and the one in `public` are both still there. Before,
    the restore dropped `public` and put the aside back, committed, before loading."""
    hub = _served_since(_interrupted(network, tmp_path, "copy_loaded"))
    folder = tmp_path / "sauvegarde"
    copy = folder / "hub.pgdump"
    copy.write_bytes(copy.read_bytes()[:200])
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["sha256"] = hashlib.sha256(copy.read_bytes()).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ConfigurationError):
        recovery.restore(hub.settings, folder, force=True)
    assert _state(hub) == ({"public", ASIDE}, {"F-77"})
    _run(hub, f"DROP SCHEMA public CASCADE; ALTER SCHEMA {ASIDE} RENAME TO public")
    assert _state(hub) == ({"public"}, {"F-1", "F-9"})  # the store set aside, whole
