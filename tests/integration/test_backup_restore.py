"""Backup → erasure and withdrawal → restore, on SQLite and PostgreSQL: the erased porteur
stays erased (no key the hub holds opens anything of it in the restored store, it left the
match index, its erasure is recorded again), the withdrawn consent stays withdrawn, a
fiche sharing the erased one's KEK bucket still opens, and the access log verifies across
the restore from the backup's last signed head."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import subprocess
import sys

import pytest
import sqlalchemy as sa

from hub.audit.merkle import verify_consistency
from hub.bootstrap import Hub
from hub.errors import ConfigurationError, DataErased
from hub.services.audit import trail as audit
from hub.services.delivery import webhooks
from hub.services.delivery.feed import read_feed
from hub.services.ingest.fiches import read_own_fiche
from hub.services.ops import recovery
from hub.services.ops.heartbeat import Heartbeat
from hub.services.privacy import consents, erasure
from hub.store.matching_tables import match_records
from hub.store.tables import fiches
from tests import forensics
from tests.factories import other_porteur
from tests.fakes.publisher import RecordingPublisher
from tests.integration.world import OWNER, THIERS, fiche, push_and_process

pytestmark = pytest.mark.integration

ERASED, SAME_BUCKET, WITHDRAWN = b"Effacenom", b"Gardenom", b"Retirenom"


def _fiche(fiche_id, name, other):
    document = fiche(fiche_id)
    if other is not None:
        document["porteur"] = other_porteur(other)
    document["porteur"]["nom"] = name.decode()
    return document


def _reopen(hub: Hub) -> Hub:
    return Hub.from_settings(hub.settings, publisher=RecordingPublisher(), clock=hub.clock)


def test_a_restored_backup_keeps_the_erasures_and_withdrawals_made_since(network, tmp_path):
    hub, _clock, _cci, _pfil = network
    push_and_process(hub, _fiche("F-1", ERASED, None),
                     preuve={"type": "autre", "valeur": f"signé par {ERASED.decode()}"})
    forensics.next_fiche_shares_the_bucket_of(hub, "F-1")
    push_and_process(hub, _fiche("F-2", SAME_BUCKET, 1))
    withdrawn = _fiche("F-3", WITHDRAWN, 2)
    push_and_process(hub, withdrawn)
    audit.publish_head(hub)
    manifest = recovery.backup(hub, tmp_path / "sauvegarde")
    assert "cles" in manifest and not any((tmp_path / "sauvegarde").glob("*.key"))

    erased = erasure.request_erasure(hub, OWNER, {"fiche_id": "F-1"})
    consent_id = hub.consents.by_reference(OWNER.member_id, withdrawn["consentement"]["reference"]).id
    consents.withdraw_consent(hub, OWNER, consent_id)
    erased_pk = _pk(hub, "F-1")
    hub.close()

    done = recovery.restore(hub.settings, tmp_path / "sauvegarde")

    assert done.erasures_replayed == [erased["effacement"]] and done.keys_unrecoverable == 0
    assert done.withdrawals_replayed == [consent_id]
    restored = _reopen(hub)
    try:
        with pytest.raises(DataErased):
            read_own_fiche(restored, OWNER, OWNER.member_id, "F-1")
        kept = read_own_fiche(restored, OWNER, OWNER.member_id, "F-2")
        assert kept["fiche"]["porteur"]["nom"] == "Gardenom"
        assert restored.consents.get(consent_id).withdrawn
        # the copy held the erased fiche's consent proof as text: nothing of it stays
        [proof] = [c.proof_value for c in restored.consents.for_porteur([(OWNER.member_id, "F-1")])]
        assert proof == ""
        assert erasure.read_erasure(restored, OWNER, erased["effacement"])["fiches_effacees"] == 1
        with restored.engine.connect() as conn:
            assert conn.execute(sa.select(match_records).where(
                match_records.c.fiche_pk == erased_pk)).first() is None
        _assert_nothing_opens_the_erased_porteur(restored)
        _assert_log_consistent_from(restored, manifest["tete_journal_acces"])
    finally:
        restored.close()


def test_a_feed_cursor_taken_before_a_restore_reads_every_delivery_made_after_it(
        network, tmp_path):
    """The copy's feed positions are behind what partners were given since: a delivery
    made after the restore, before the partner's next poll, got a position at or under
    its cursor and was never read. Positions now resume far past anything handed out."""
    hub, _clock, _cci, _pfil = network
    recovery.backup(hub, tmp_path / "sauvegarde")
    push_and_process(hub, _fiche("F-1", b"Avantnom", None))
    push_and_process(hub, _fiche("F-2", b"Avantnom", 1))
    cursor = read_feed(hub, THIERS, 0, 100)["next_cursor"]
    assert cursor >= 2
    hub.close()
    recovery.restore(hub.settings, tmp_path / "sauvegarde")
    restored = _reopen(hub)
    try:
        push_and_process(restored, _fiche("F-3", b"Apresnom", 2))
        page = read_feed(restored, THIERS, cursor, 100)
        assert [d["fiche"]["fiche_id"] for d in page["deliveries"] if "fiche" in d] == ["F-3"]
        assert page["cursor_ahead"] is False
    finally:
        restored.close()


def _erasure_notices(hub: Hub, erasure_id: str) -> dict[str, str]:
    from hub.store.delivery_tables import deliveries

    with hub.engine.connect() as conn:
        rows = conn.execute(sa.select(deliveries.c.recipient_id, deliveries.c.idempotency_key,
                                      deliveries.c.payload)
                            .where(deliveries.c.event == erasure.ERASED)).all()
    found = {r.recipient_id: r.idempotency_key for r in rows if erasure_id in (r.payload or "")}
    assert found
    return found


def test_a_restore_answers_an_erasure_s_notices_as_before_it(network, tmp_path):
    """A restore recorded the erasure's notices again without whether the requester is
    told of each recipient: decided afterwards, with the fiches erased, it was no one,
    and the requester read its erasure with no notice. The journal keeps the decision;
    the notices sent again keep their delivery ids (the same key, the hub's)."""
    hub, _clock, _cci, _pfil = network
    push_and_process(hub, _fiche("F-1", ERASED, None))
    webhooks.dispatch_webhooks(hub)  # sent (one never sent is named in no notice)
    recovery.backup(hub, tmp_path / "sauvegarde")
    erased = erasure.request_erasure(hub, OWNER, {"fiche_id": "F-1"})["effacement"]
    before = erasure.read_erasure(hub, OWNER, erased)["avis"]
    assert {a["membre"] for a in before} >= {"cci-thiers", "pfil-livradois"}
    ids = _erasure_notices(hub, erased)
    hub.close()
    recovery.restore(hub.settings, tmp_path / "sauvegarde")
    restored = _reopen(hub)
    try:
        after = erasure.read_erasure(restored, OWNER, erased)["avis"]
        assert [a["membre"] for a in after] == [a["membre"] for a in before]
        assert _erasure_notices(restored, erased) == ids
    finally:
        restored.close()


def test_a_restore_refuses_to_run_under_a_live_worker(network, tmp_path):
    hub, _clock, _cci, _pfil = network
    recovery.backup(hub, tmp_path / "sauvegarde")
    beat = Heartbeat(hub.settings, "worker", hub.clock)
    beat.beat_once()
    with pytest.raises(ConfigurationError, match="still alive"):
        recovery.restore(hub.settings, tmp_path / "sauvegarde")


def test_a_damaged_backup_is_refused_before_anything_changes(network, tmp_path):
    hub, _clock, _cci, _pfil = network
    recovery.backup(hub, tmp_path / "sauvegarde")
    copy = next(p for p in (tmp_path / "sauvegarde").iterdir() if p.name != recovery.MANIFEST)
    copy.write_bytes(copy.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(ConfigurationError, match="damaged"):
        recovery.restore(hub.settings, tmp_path / "sauvegarde")


def _unreadable_copy(folder):
    """The backup's copy cut in half, its manifest's digest written for the cut copy: what
    a copy damaged before its digest was taken, or one the tool of this machine cannot
    read (a newer pg_dump's format), looks like to the restore."""
    manifest = json.loads((folder / recovery.MANIFEST).read_text())
    copy = folder / manifest["fichier"]
    copy.write_bytes(copy.read_bytes()[: copy.stat().st_size // 2])
    manifest["sha256"] = hashlib.sha256(copy.read_bytes()).hexdigest()
    (folder / recovery.MANIFEST).write_text(json.dumps(manifest))


def test_a_restore_that_fails_leaves_the_store_as_it_was(network, tmp_path):
    """On PostgreSQL the restore dropped the store's schema, then ran pg_restore: when
    that failed (a copy it cannot read), the hub was left with an empty database, every
    fiche accepted since the backup and before it lost. On SQLite the WAL was deleted
    before the copy was read."""
    hub, _clock, _cci, _pfil = network
    recovery.backup(hub, tmp_path / "sauvegarde")
    push_and_process(hub, _fiche("F-9", b"Gardenom", 3))
    _unreadable_copy(tmp_path / "sauvegarde")
    hub.close()
    with pytest.raises(ConfigurationError):
        recovery.restore(hub.settings, tmp_path / "sauvegarde")
    kept = _reopen(hub)
    try:
        assert read_own_fiche(kept, OWNER, OWNER.member_id, "F-9")["fiche"]["porteur"]["nom"] \
            == "Gardenom"
    finally:
        kept.close()


ON_POSTGRESQL = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)

# `capactif restore` killed (kill -9 of the command alone) as pg_restore starts
_KILLED_AS_PG_RESTORE_STARTS = """
import os, signal, subprocess, sys
from pathlib import Path
from hub.config import Settings
from hub.services.ops import recovery

class Popen(subprocess.Popen):
    def __init__(self, args, *rest, **options):
        super().__init__(args, *rest, **options)
        if args[0] == "pg_restore":
            os.kill(os.getpid(), signal.SIGKILL)

subprocess.Popen = Popen
recovery.restore(Settings.from_env(), Path(sys.argv[1]), force=True)
"""


@contextlib.contextmanager
def _store(hub):
    """A connection of its own to the hub's store (the hub itself may be closed)."""
    engine = sa.create_engine(hub.settings.database_url.reveal())
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def _fiche_ids(hub):
    with _store(hub) as conn:
        return set(conn.execute(sa.select(fiches.c.fiche_id)).scalars())


@ON_POSTGRESQL
def test_a_restore_killed_midway_leaves_the_store_as_it_was_and_runs_again(network, tmp_path):
    """The store's schema was renamed aside, then an empty one created, in two
    statements: a kill between them or during pg_restore left the hub without its data,
    a message advising to drop the only copy, and a next run that stopped on it."""
    hub, _clock, _cci, _pfil = network
    push_and_process(hub, _fiche("F-1", b"Copienom", None))
    recovery.backup(hub, tmp_path / "sauvegarde")
    push_and_process(hub, _fiche("F-9", b"Gardenom", 3))
    hub.close()
    env = {**os.environ, "HUB_DATA_DIR": str(hub.settings.data_dir),
           "HUB_DATABASE_URL": hub.settings.database_url.reveal()}
    killed = subprocess.run([sys.executable, "-c", _KILLED_AS_PG_RESTORE_STARTS,
                             str(tmp_path / "sauvegarde")], env=env, capture_output=True,
                            timeout=300)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert _fiche_ids(hub) == {"F-1", "F-9"}  # as it was

    recovery.restore(hub.settings, tmp_path / "sauvegarde", force=True)
    assert _fiche_ids(hub) == {"F-1"}  # the copy's


@ON_POSTGRESQL
def test_a_restore_keeps_the_extensions_installed_in_the_store_s_schema(network, tmp_path):
    """pg_trgm (or pg_stat_statements) installed by the DBA in `public` went with the
    schema set aside, then dropped with it, on a restore that succeeded."""
    hub, _clock, _cci, _pfil = network
    with hub.engine.begin() as conn:
        conn.exec_driver_sql("CREATE EXTENSION pg_trgm")
        conn.exec_driver_sql("CREATE INDEX dba_members_trgm ON members USING gin (name gin_trgm_ops)")
    recovery.backup(hub, tmp_path / "sauvegarde")
    hub.close()
    recovery.restore(hub.settings, tmp_path / "sauvegarde")
    with _store(hub) as conn:
        assert conn.exec_driver_sql(
            "SELECT e.extnamespace::regnamespace::text FROM pg_extension e "
            "WHERE e.extname = 'pg_trgm'").scalar_one() == "public"
        assert conn.exec_driver_sql("SELECT public.similarity('abc', 'abc')").scalar_one() == 1
        assert conn.exec_driver_sql(
            "SELECT count(*) FROM pg_indexes WHERE indexname = 'dba_members_trgm'"
        ).scalar_one() == 1


@ON_POSTGRESQL
def test_a_restore_leaves_the_database_s_other_schemas_alone(network, tmp_path):
    """The copy held the whole database: its restore stopped on `schema "reporting"
    already exists` as soon as the database held a schema besides the store's."""
    hub, _clock, _cci, _pfil = network
    with hub.engine.begin() as conn:
        conn.exec_driver_sql("CREATE SCHEMA reporting")
        conn.exec_driver_sql("CREATE TABLE reporting.seen (n int)")
        conn.exec_driver_sql("INSERT INTO reporting.seen VALUES (1)")
    recovery.backup(hub, tmp_path / "sauvegarde")
    with hub.engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO reporting.seen VALUES (2)")
    hub.close()
    recovery.restore(hub.settings, tmp_path / "sauvegarde")
    with _store(hub) as conn:
        assert list(conn.exec_driver_sql("SELECT n FROM reporting.seen ORDER BY n").scalars()) \
            == [1, 2]


@ON_POSTGRESQL
def test_a_restored_store_has_the_planner_s_statistics_of_its_tables(network, tmp_path):
    """pg_restore writes rows and indexes but no statistics: the restored hub ran on the
    planner's guesses until an ANALYZE (never, where autovacuum is off)."""
    hub, _clock, _cci, _pfil = network
    push_and_process(hub, fiche("F-1"))
    recovery.backup(hub, tmp_path / "sauvegarde")
    hub.close()
    recovery.restore(hub.settings, tmp_path / "sauvegarde")
    with _store(hub) as conn:
        unanalysed = conn.exec_driver_sql(
            "SELECT relname FROM pg_stat_user_tables WHERE schemaname = 'public' "
            "AND n_live_tup > 0 AND last_analyze IS NULL AND last_autoanalyze IS NULL "
            "ORDER BY relname").scalars().all()
        analysed = conn.exec_driver_sql(
            "SELECT count(*) FROM pg_stats WHERE schemaname = 'public' "
            "AND tablename IN ('fiches', 'match_keys', 'deliveries')").scalar_one()
    assert unanalysed == []
    assert analysed > 0


def test_a_backup_of_the_other_kind_of_store_is_refused_before_anything_changes(
        network, tmp_path):
    """A PostgreSQL copy given to a SQLite hub (or the reverse, after a move to the scale
    mode) was handed to the wrong tool: a traceback, or an emptied database."""
    hub, _clock, _cci, _pfil = network
    recovery.backup(hub, tmp_path / "sauvegarde")
    manifest = json.loads((tmp_path / "sauvegarde" / recovery.MANIFEST).read_text())
    manifest["base"] = "postgresql" if manifest["base"] == "sqlite" else "sqlite"
    (tmp_path / "sauvegarde" / recovery.MANIFEST).write_text(json.dumps(manifest))
    push_and_process(hub, _fiche("F-9", b"Gardenom", 3))
    hub.close()
    with pytest.raises(ConfigurationError, match="store"):
        recovery.restore(hub.settings, tmp_path / "sauvegarde")
    kept = _reopen(hub)
    try:
        read_own_fiche(kept, OWNER, OWNER.member_id, "F-9")
    finally:
        kept.close()


def test_a_backup_into_a_folder_that_exists_is_refused_saying_so(network, tmp_path):
    """`capactif backup --output` naming a folder that exists (yesterday's backup) stopped
    with a FileExistsError traceback; nothing in the folder is touched."""
    hub, _clock, _cci, _pfil = network
    recovery.backup(hub, tmp_path / "hier")
    before = {p.name: p.read_bytes() for p in (tmp_path / "hier").iterdir()}
    with pytest.raises(ConfigurationError, match="already exists"):
        recovery.backup(hub, tmp_path / "hier")
    assert {p.name: p.read_bytes() for p in (tmp_path / "hier").iterdir()} == before


def _pk(hub, fiche_id):
    with hub.engine.connect() as conn:
        return conn.execute(sa.select(fiches.c.id).where(fiches.c.fiche_id == fiche_id)).scalar_one()


def _assert_nothing_opens_the_erased_porteur(hub):
    blob = b"".join(forensics.store_bytes(hub, forensics.wal_position(hub)))
    held = forensics.keys_held(hub.settings.key_folder, hub.settings.data_dir)
    opened = b"\n".join(forensics.opened(
        forensics.unwrapped(held, forensics.wrapped_found(hub, blob)), forensics.sealed_values(blob)))
    assert SAME_BUCKET in opened  # the attack works on what was kept...
    assert ERASED.lower() not in opened.lower()  # ...and never on the erased porteur


def _assert_log_consistent_from(hub, before):
    after = audit.publish_head(hub)
    proof = hub.audit.consistency_proof(before["size"], after["size"])
    assert after["size"] > before["size"]
    assert verify_consistency(before["size"], after["size"], proof,
                              bytes.fromhex(before["root_hash"]), bytes.fromhex(after["root_hash"]))


def test_a_database_copied_back_by_hand_is_not_ready_until_restore_replays_the_journal(
        network, tmp_path):
    from fastapi.testclient import TestClient

    from hub.api.app import create_app
    from hub.store import backup as copies

    hub, _clock, _cci, _pfil = network
    push_and_process(hub, _fiche("F-1", ERASED, None))
    recovery.backup(hub, tmp_path / "sauvegarde")
    erasure.request_erasure(hub, OWNER, {"fiche_id": "F-1"})
    hub.close()
    copy = next(p for p in (tmp_path / "sauvegarde").iterdir() if p.name != recovery.MANIFEST)
    copies.load(hub.settings.database_url.reveal(), copy)  # what an operator might do by hand
    (hub.settings.broker_dir / "queue").mkdir(parents=True, exist_ok=True)
    restored = _reopen(hub)
    try:
        with TestClient(create_app(hub=restored), client=("127.0.0.1", 50000)) as client:
            answer = client.get("/readyz")  # as the operator: the details are theirs
        assert answer.status_code == 503
        assert "capactif restore" in answer.json()["verifications"]["cles"]["detail"]
    finally:
        restored.close()
    recovery.restore(hub.settings, tmp_path / "sauvegarde")
    restored = _reopen(hub)
    try:
        with TestClient(create_app(hub=restored)) as client:
            assert client.get("/readyz").status_code == 200
    finally:
        restored.close()


def test_the_postgresql_tools_get_the_password_in_their_environment_not_on_their_command_line(
        postgres_url, tmp_path, monkeypatch):
    """A command line is readable by every local user (`ps`): pg_dump and psql are given
    the store's URL without its password, and the password as PGPASSWORD (this server
    trusts local connections, so the dump and the restore run for real all the same)."""
    from hub.store import backup

    url = sa.engine.make_url(postgres_url)
    with_password = url.set(password="pw-of-the-store").render_as_string(hide_password=False)
    seen: list[tuple[list[str], dict[str, str] | None]] = []
    run, popen = subprocess.run, subprocess.Popen

    def run_seen(command, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append((list(command), kwargs.get("env")))
        return run(command, *args, **kwargs)

    class PopenSeen(popen):  # type: ignore[misc,valid-type]
        def __init__(self, command, *args, **kwargs):  # type: ignore[no-untyped-def]
            seen.append((list(command), kwargs.get("env")))
            super().__init__(command, *args, **kwargs)

    monkeypatch.setattr(backup.subprocess, "run", run_seen)
    monkeypatch.setattr(backup.subprocess, "Popen", PopenSeen)
    backup.dump(with_password, tmp_path / "copy")
    backup.load(with_password, tmp_path / "copy")
    engine = sa.create_engine(postgres_url)  # the session's template: left as it was
    try:
        assert backup.unfinished_restore(engine) == ""  # loaded by hand: not replayed
        with engine.begin() as conn:
            backup.finish_restore(conn)
    finally:
        engine.dispose()

    connecting = [(command, env) for command, env in seen
                  if any(str(url.database) in part for part in command[1:])]
    assert {command[0] for command, _env in connecting} == {"pg_dump", "psql"}
    assert not any("pw-of-the-store" in part for command, _env in seen for part in command)
    for command, env in connecting:
        assert not any("pw-of-the-store" in part for part in command)
        assert env is not None and env["PGPASSWORD"] == "pw-of-the-store"


@ON_POSTGRESQL
def test_a_backup_carries_no_lock_stripe_row_and_the_restored_hub_writes_them_again(
        network, tmp_path):
    """The stripes' rows hold no data, only the workers' key locks (written on demand): a
    copy need not carry them; the restored store's workers write those they lock."""
    hub, _clock, _cci, _pfil = network
    push_and_process(hub, fiche("F-1"))
    with _store(hub) as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM match_lock_stripes").scalar_one() > 0
    recovery.backup(hub, tmp_path / "sauvegarde")
    hub.close()
    recovery.restore(hub.settings, tmp_path / "sauvegarde")
    with _store(hub) as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM match_lock_stripes").scalar_one() == 0
    restored = _reopen(hub)
    try:
        push_and_process(restored, fiche("F-2"))
    finally:
        restored.close()
    with _store(hub) as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM match_lock_stripes").scalar_one() > 0
        assert set(conn.execute(sa.select(fiches.c.fiche_id)).scalars()) == {"F-1", "F-2"}
