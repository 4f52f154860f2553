"""The worker's reads on PostgreSQL find their rows by index whatever the planner knows of
the tables. A database never analysed (autovacuum off, just restored, just loaded) gave
the planner no statistics: it took a batch of a hundred porteurs to hold half the
deliveries and read the whole table for their followers (and the whole fiches table,
which had no index by porteur), a cost growing with every fiche processed; its inflated
estimates also had the candidate read compiled by JIT, whose compiling took longer than
the read. The hub's connections run without JIT and price a page read out of order as
memory or SSD does (at the default, a disk's seek, a hundred fiches were found by reading
the whole table); a deployment may give its own settings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from consent.sql import _TABLES as CONSENT_TABLES
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts.members import load_network
from tests.factories import make_fiche, make_network, record_consents
from tests.fakes.publisher import RecordingPublisher
from tests.integration.statements import query_plan, statements_sent

pytestmark = pytest.mark.integration

OWNER, RECIPIENT, OTHER = "cci-puy-de-dome", "pfil-livradois-forez", "adie-auvergne"
MEMBERS = ["cci-puy-de-dome", "pfil-livradois-forez"]  # the `hub` fixture's network
PORTEURS = 4000  # enough rows that reading a table whole costs more than its index


@pytest.fixture
def pg_hub(postgres_url, tmp_path, monkeypatch) -> Iterator[Hub]:
    from tests.conftest import _drop_pg_database, _fresh_pg_database

    monkeypatch.delenv("PGOPTIONS", raising=False)
    url = _fresh_pg_database(postgres_url)
    try:
        yield from _hub_on(url, tmp_path)
    finally:
        _drop_pg_database(url)


def _hub_on(url: str, tmp_path: Path) -> Iterator[Hub]:
    """A hub on the database at `url`, its three members loaded."""
    hub = Hub.from_settings(Settings(data_dir=tmp_path / "data", database_url=url),
                            publisher=RecordingPublisher())
    try:
        load_network(hub, make_network(tmp_path / "network.json", [OWNER, RECIPIENT, OTHER]),
                     tmp_path / "credentials")
        yield hub
    finally:
        hub.close()


def _porteurs_fiches_and_deliveries(hub: Hub) -> None:
    """PORTEURS porteurs, each with a fiche of OWNER and a delivery to RECIPIENT (a
    sealed payload of some kilobytes, as real ones); the even ones also a cancelled
    delivery to OTHER. Written by SQL, and never analysed."""
    with hub.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO porteurs (id, created_at, status) SELECT 'prt_' || g, now(), "
            "'active' FROM generate_series(1, %(n)s) AS g", {"n": PORTEURS})
        conn.exec_driver_sql(
            "INSERT INTO fiches (member_id, fiche_id, current_version, processed_version, "
            "porteur_id, created_at, updated_at) SELECT %(owner)s, 'F-' || g, 1, 1, "
            "'prt_' || g, now(), now() FROM generate_series(1, %(n)s) AS g",
            {"owner": OWNER, "n": PORTEURS})
        conn.exec_driver_sql(
            "INSERT INTO deliveries (recipient_id, position, event, porteur_id, fiche_pk, "
            "purpose, policy_version, fields, payload, idempotency_key, channel, status, "
            "attempts, created_at) SELECT CASE WHEN g > %(n)s THEN %(other)s "
            "ELSE %(recipient)s END, g, 'created', 'prt_' || p, "
            "(SELECT id FROM fiches WHERE fiche_id = 'F-' || p), "
            "'accompagnement', 'v1', '[]', repeat(md5(g::text), 100), 'key-' || g, 'feed', "
            "CASE WHEN g > %(n)s THEN 'cancelled' ELSE 'feed' END, 0, now() "
            "FROM generate_series(1, %(n)s + %(n)s / 2) AS g, "
            "LATERAL (SELECT CASE WHEN g > %(n)s THEN 2 * (g - %(n)s) ELSE g END) AS n(p)",
            {"n": PORTEURS, "recipient": RECIPIENT, "other": OTHER})


def _tables_read_whole(conn: sa.Connection) -> dict[str, int]:
    """Sequential scans of the deliveries and fiches tables so far in this transaction."""
    return dict(conn.exec_driver_sql(
        "SELECT relname, seq_scan FROM pg_stat_xact_user_tables "
        "WHERE relname IN ('deliveries', 'fiches')").all())


def _planner_settings(hub: Hub) -> tuple[str, str]:
    with hub.engine.connect() as conn:
        return (conn.exec_driver_sql("SHOW jit").scalar(),
                conn.exec_driver_sql("SHOW random_page_cost").scalar())


def test_a_hub_connection_to_postgresql_plans_for_lookups_in_memory_without_jit(pg_hub):
    assert _planner_settings(pg_hub) == ("off", "1.1")


def test_a_deployment_may_give_its_own_planner_settings(postgres_url, tmp_path, monkeypatch):
    monkeypatch.setenv("PGOPTIONS", "-c jit=on -c random_page_cost=4")
    hub = Hub.from_settings(Settings(data_dir=tmp_path / "data", database_url=postgres_url),
                            publisher=RecordingPublisher())
    try:
        assert _planner_settings(hub) == ("on", "4")
    finally:
        hub.close()


def test_with_the_deadlines_off_the_hub_sends_no_server_option(postgres_url, tmp_path,
                                                                monkeypatch):
    """Behind PgBouncer in transaction mode, which refuses server options, the deadlines
    are turned off and the planner settings go on the database role (docs/deploy.md)."""
    monkeypatch.delenv("PGOPTIONS", raising=False)
    settings = Settings(data_dir=tmp_path / "data", database_url=postgres_url,
                        database_statement_timeout_s=0, database_lock_timeout_s=0,
                        database_idle_in_transaction_timeout_s=0)
    hub = Hub.from_settings(settings, publisher=RecordingPublisher())
    try:
        with hub.engine.connect() as conn:
            sources = conn.exec_driver_sql(
                "SELECT source FROM pg_settings WHERE name IN ('jit', 'random_page_cost', "
                "'statement_timeout', 'lock_timeout', 'idle_in_transaction_session_timeout')"
            ).scalars().all()
        assert "client" not in sources
    finally:
        hub.close()


def test_a_batch_s_followers_are_read_by_index_on_a_database_never_analysed(pg_hub):
    _porteurs_fiches_and_deliveries(pg_hub)
    batch = [f"prt_{n}" for n in range(1, 2 * 100, 2)] + [f"prt_{n}" for n in range(2, 102, 2)]
    with pg_hub.uow() as uow:
        before = _tables_read_whole(uow.connection)
        followers = uow.deliveries.followers_of_porteurs(batch)
        assert _tables_read_whole(uow.connection) == before
    assert followers["prt_1"] == {OWNER, RECIPIENT}
    assert followers["prt_2"] == {OWNER, RECIPIENT}  # its delivery to OTHER was cancelled


def test_a_batch_s_followers_are_its_fiches_owners_and_the_recipients_of_its_deliveries(hub):
    with hub.engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO porteurs (id, created_at, status) VALUES "
            "('prt_a', CURRENT_TIMESTAMP, 'active'), ('prt_b', CURRENT_TIMESTAMP, 'active'), "
            "('prt_c', CURRENT_TIMESTAMP, 'active')"))
        conn.execute(sa.text(
            "INSERT INTO fiches (member_id, fiche_id, current_version, porteur_id, created_at, "
            "updated_at) VALUES (:owner, 'F-1', 1, 'prt_a', CURRENT_TIMESTAMP, "
            "CURRENT_TIMESTAMP), (:recipient, 'F-2', 1, 'prt_a', CURRENT_TIMESTAMP, "
            "CURRENT_TIMESTAMP), (:owner, 'F-3', 1, 'prt_b', CURRENT_TIMESTAMP, "
            "CURRENT_TIMESTAMP)"), {"owner": MEMBERS[0], "recipient": MEMBERS[1]})
        for position, (porteur, status) in enumerate((("prt_b", "feed"), ("prt_b", "feed"),
                                                      ("prt_c", "cancelled")), start=1):
            conn.execute(sa.text(  # a fiche of the porteur sent (a notice makes no follower)
                "INSERT INTO deliveries (recipient_id, position, event, porteur_id, fiche_pk, "
                "purpose, policy_version, fields, payload, idempotency_key, channel, status, "
                "attempts, created_at) VALUES (:recipient, :position, 'created', :porteur, "
                "(SELECT max(id) FROM fiches), 'accompagnement', 'v1', '[]', 'x', :key, "
                "'feed', :status, 0, CURRENT_TIMESTAMP)"),
                {"recipient": MEMBERS[1], "position": position, "porteur": porteur,
                 "key": f"key-{position}", "status": status})
    with statements_sent(hub.engine, lambda text: "SELECT" in text.upper()) as reads, \
            hub.uow() as uow:
        followers = uow.deliveries.followers_of_porteurs(["prt_a", "prt_b", "prt_c", "prt_d"])
    assert followers == {"prt_a": set(MEMBERS), "prt_b": set(MEMBERS), "prt_c": set(),
                         "prt_d": set()}
    assert len(reads) == 1  # one a transaction



def _many_consents(hub: Hub) -> None:
    """PORTEURS consents of OWNER for fiches F-1... with their state rows, copies by SQL
    of one recorded through the registry (never analysed)."""
    record_consents(hub, [make_fiche(member=OWNER, fiche_id="F-0")])
    columns = [column.name for column in CONSENT_TABLES.consents.c]
    made = {"id": "'cns_copy_' || g", "reference": "'ref-' || g", "fiche_id": "'F-' || g",
            "consent_id": "'cns_copy_' || g"}
    state_columns = [column.name for column in CONSENT_TABLES.states.c if column.name != "id"]
    with hub.engine.begin() as conn:
        conn.exec_driver_sql(
            f"INSERT INTO consents ({', '.join(columns)}) SELECT "
            f"{', '.join(made.get(c, c) for c in columns)} FROM consents "
            "CROSS JOIN generate_series(1, %(n)s) AS g", {"n": PORTEURS})
        conn.exec_driver_sql(
            f"INSERT INTO consent_states ({', '.join(state_columns)}) SELECT "
            f"{', '.join(made.get(c, c) for c in state_columns)} FROM consent_states "
            "CROSS JOIN generate_series(1, %(n)s) AS g", {"n": PORTEURS})


def test_a_batch_s_consent_histories_are_read_by_index_on_a_database_never_analysed(pg_hub):
    _many_consents(pg_hub)
    with statements_sent(pg_hub.engine, _from("consent_states")) as sent:
        found = pg_hub.consents.for_porteur([(OWNER, f"F-{n}") for n in range(1, 101)])
    assert len(found) == 100 and all(len(record.history) == 1 for record in found)
    [(statement, parameters)] = sent
    plan = "\n".join(query_plan(pg_hub.engine, statement, parameters))
    assert "uq_consent_states_consent_state" in plan, plan


def test_a_consent_asked_twice_gets_its_history_once(pg_hub):
    """Each consent's history is its own rows, once, however many times a caller names it
    (the lookup consent by consent must not repeat a history for a repeated id)."""
    _many_consents(pg_hub)
    with pg_hub.engine.connect() as conn:
        ids = list(conn.exec_driver_sql("SELECT id FROM consents ORDER BY id LIMIT 10").scalars())
        once = pg_hub.consents._histories(conn, ids)
        twice = pg_hub.consents._histories(conn, ids + ids[:5])
    assert once and twice == once


@pytest.fixture
def sqlite_hub(sqlite_template, tmp_path) -> Iterator[Hub]:
    import shutil

    path = tmp_path / "hub.sqlite3"
    shutil.copyfile(sqlite_template, path)
    yield from _hub_on(f"sqlite:///{path}", tmp_path)


def _many_sqlite_consents(hub: Hub) -> None:
    """PORTEURS consents of OWNER (and as many of RECIPIENT) for fiches F-1..., copies by
    SQL of one recorded through the registry, with their state rows."""
    [original] = record_consents(hub, [make_fiche(member=OWNER, fiche_id="F-0")])
    columns = [column.name for column in CONSENT_TABLES.consents.c]
    state_columns = [column.name for column in CONSENT_TABLES.states.c if column.name != "id"]
    with hub.engine.begin() as conn:
        for member in (OWNER, RECIPIENT):
            made = {"id": f"'cns_{member}_' || g", "reference": "'ref-' || g",
                    "fiche_id": "'F-' || g", "consent_id": f"'cns_{member}_' || g",
                    "member_id": f"'{member}'"}
            series = ("WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s "
                      f"WHERE g < {PORTEURS}) ")
            conn.exec_driver_sql(
                f"INSERT INTO consents ({', '.join(columns)}) {series}SELECT "
                f"{', '.join(made.get(c, c) for c in columns)} FROM consents CROSS JOIN s "
                "WHERE consents.id = ?", (original.id,))
            conn.exec_driver_sql(
                f"INSERT INTO consent_states ({', '.join(state_columns)}) {series}SELECT "
                f"{', '.join(made.get(c, c) for c in state_columns)} FROM consent_states "
                "CROSS JOIN s WHERE consent_states.consent_id = ?", (original.id,))


@pytest.mark.parametrize("members", [[OWNER], [OWNER, RECIPIENT]])
def test_on_sqlite_a_batch_s_consents_are_looked_up_by_fiche_not_read_in_the_table_s_order(
        sqlite_hub, members):
    """SQLite read a row value `(member_id, fiche_id) IN (VALUES ...)` by walking the whole
    table (in `recorded_at` order, for the ORDER BY): every worker transaction read every
    consent the hub held. Member by member, each fiche is a look-up in (member, fiche)."""
    _many_sqlite_consents(sqlite_hub)
    wanted = [(member, f"F-{n}") for member in members for n in range(1, 11)]
    with statements_sent(sqlite_hub.engine, _from("consents")) as sent:
        found = sqlite_hub.consents.for_porteur(wanted)
    assert sorted((r.member_id, r.fiche_id) for r in found) == sorted(wanted)
    assert [r.recorded_at for r in found] == sorted(r.recorded_at for r in found)
    [(statement, parameters)] = sent
    plan = query_plan(sqlite_hub.engine, statement, parameters)
    assert not [step for step in plan if step.startswith("SCAN consents")], plan
    assert any("ix_consents_member_fiche" in step for step in plan), plan


def test_on_sqlite_the_consents_of_a_batch_naming_1200_members_are_read(sqlite_hub):
    """An OR term a member: SQLite refuses some 1,000 terms ("Expression tree is too
    large"), an error the worker retried as an outage, forever. In groups of members."""
    _many_sqlite_consents(sqlite_hub)
    wanted = [(f"membre-{n}", "F-1") for n in range(1197)]
    wanted += [(OWNER, "F-2"), (RECIPIENT, "F-1"), (OWNER, "F-1")]
    found = sqlite_hub.consents.for_porteur(wanted)
    assert sorted((r.member_id, r.fiche_id) for r in found) == sorted(wanted[-3:])
    assert [(r.recorded_at, r.id) for r in found] == sorted((r.recorded_at, r.id) for r in found)


def _webhooks_due_and_dead(hub: Hub) -> None:
    """Beside the feed deliveries, a few webhooks: two pending (one due), one dead."""
    with hub.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO deliveries (recipient_id, position, event, porteur_id, purpose, "
            "policy_version, fields, payload, idempotency_key, channel, status, attempts, "
            "next_attempt_at, created_at) SELECT %(other)s, 100000 + g, 'created', 'prt_' || g, "
            "'accompagnement', 'v1', '[]', 'x', 'hook-' || g, 'webhook', "
            "(ARRAY['pending', 'pending', 'dead'])[g], 0, "
            "now() + (ARRAY[interval '-1 minute', interval '1 hour', NULL])[g], now() "
            "FROM generate_series(1, 3) AS g", {"other": OTHER})


def test_feed_and_sent_deliveries_stay_out_of_the_due_index(pg_hub):
    """The worker's feed deliveries (most of what it writes) and the webhooks sent cost no
    entry in the index a dispatch searches (migration 0043)."""
    with pg_hub.engine.connect() as conn:
        condition = conn.exec_driver_sql(
            "SELECT pg_get_expr(i.indpred, i.indrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'ix_deliveries_due'"
        ).scalar()
    assert condition is not None and "'pending'" in condition and "'dead'" in condition
    assert "'feed'" not in condition and "'sent'" not in condition


def test_the_webhooks_due_and_the_dead_letters_are_read_by_index_on_a_database_never_analysed(
        pg_hub):
    _porteurs_fiches_and_deliveries(pg_hub)
    _webhooks_due_and_dead(pg_hub)
    with pg_hub.uow() as uow:
        before = _tables_read_whole(uow.connection)
        now = pg_hub.clock()
        for _ in range(8):  # past the driver's threshold for preparing a statement
            due = uow.deliveries.due_recipients(now)
            dead = (uow.deliveries.dead_count(), uow.deliveries.dead_count(OTHER),
                    uow.deliveries.dead_by_recipient())
        assert _tables_read_whole(uow.connection) == before
    assert due == [OTHER]
    assert dead == (1, 1, {OTHER: 1})


def _fiche_pks(hub: Hub, numbers: range) -> dict[int, int]:
    """The pk of each fiche F-n of `numbers`."""
    with hub.engine.connect() as conn:
        return {int(fiche_id[2:]): pk for pk, fiche_id in conn.execute(
            sa.text("SELECT id, fiche_id FROM fiches WHERE fiche_id IN :ids").bindparams(
                sa.bindparam("ids", expanding=True)), {"ids": [f"F-{n}" for n in numbers]})}


def test_who_was_sent_a_batch_s_fiches_is_read_by_index_on_a_database_never_analysed(pg_hub):
    """Every worker transaction asks who was sent data of its fiches already (a member's
    first delivery of a fiche is `created`); erasures, withdrawals and merges ask who
    received a fiche. With no index by fiche each read went through the whole deliveries
    table, payloads and all, once a transaction (migration 0060)."""
    _porteurs_fiches_and_deliveries(pg_hub)
    pks = _fiche_pks(pg_hub, range(1, 101))
    with pg_hub.uow() as uow:
        before = _tables_read_whole(uow.connection)
        sent = uow.deliveries.data_recipients(sorted(pks.values()))
        with_cancelled = uow.deliveries.data_recipients(sorted(pks.values()), with_cancelled=True)
        received = uow.deliveries.recipients_of_fiches([pks[2]])
        assert _tables_read_whole(uow.connection) == before
    assert sent[pks[1]] == sent[pks[2]] == {RECIPIENT}  # F-2's delivery to OTHER cancelled
    assert with_cancelled[pks[1]] == {RECIPIENT} and with_cancelled[pks[2]] == {RECIPIENT, OTHER}
    assert received == {RECIPIENT, OTHER}


def test_on_sqlite_who_was_sent_a_batch_s_fiches_is_looked_up_by_fiche(sqlite_hub):
    with statements_sent(sqlite_hub.engine, _from("deliveries")) as sent, \
            sqlite_hub.uow() as uow:
        assert uow.deliveries.data_recipients([1, 2, 3]) == {1: set(), 2: set(), 3: set()}
    [(statement, parameters)] = sent
    plan = query_plan(sqlite_hub.engine, statement, parameters)
    assert not [step for step in plan if step.startswith("SCAN deliveries")], plan
    assert any("ix_deliveries_fiche_pk" in step for step in plan), plan


def _from(table: str):  # type: ignore[no-untyped-def]
    return lambda text: f"FROM {table}" in text
