"""The routing token (migration 0038): every write to `members` or `subscriptions`, by any
path, draws a new one in its own transaction, and a worker reads the members and
subscriptions again only when it moved (one statement a transaction instead of two and
the building of every member and subscription). Both databases."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import threading
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from hub.services.delivery.deliveries import routing_network
from hub.services.delivery.subscriptions import replace_subscriptions
from hub.services.ingest import processing
from hub.store.delivery_repository import Deliveries
from tests.conftest import _drop_pg_database, _fresh_pg_database
from tests.integration.dedup_world import CCI, COMMUNE, PERSON, PFIL, fiche_of, hub_for, push
from tests.integration.statements import statements_sent, texts
from tests.waiting import wait_until

pytestmark = pytest.mark.integration

_NOW = dt.datetime(2026, 12, 6, tzinfo=dt.UTC)
_MEMBER = sa.text(
    "INSERT INTO members (id, name, kind, role, contact_email, territory, created_at, "
    "updated_at, status) VALUES ('bge-x', 'BGE', 'bge', 'accompagnement', 'b@exemple.fr', "
    "'[]', :now, :now, 'active')")
_SUBSCRIPTION = sa.text(
    "INSERT INTO subscriptions (member_id, criteria, source, updated_at) "
    "VALUES ('bge-x', :criteria, 'api', :now)")
# each write, and whether it changes what routing reads
_WRITES = [
    ("a member added", _MEMBER),
    ("a member's role changed", sa.text("UPDATE members SET role = 'financement' "
                                        "WHERE id = 'bge-x'")),
    ("a subscription added", _SUBSCRIPTION),
    ("a subscription changed", sa.text("UPDATE subscriptions SET criteria = :criteria "
                                       "WHERE member_id = 'bge-x'")),
    ("a subscription removed", sa.text("DELETE FROM subscriptions WHERE member_id = 'bge-x'")),
    ("a member removed", sa.text("DELETE FROM members WHERE id = 'bge-x'")),
]


def _token(engine: sa.Engine) -> str | None:
    with engine.connect() as conn:
        return Deliveries(conn, None).routing_token()  # type: ignore[arg-type]


def test_every_write_to_members_or_subscriptions_draws_a_new_routing_token(db_engine):
    seen = [_token(db_engine)]
    for what, statement in _WRITES:
        with db_engine.begin() as conn:
            conn.execute(statement, {"now": _NOW, "criteria": json.dumps({"communes": [what]})})
        seen.append(_token(db_engine))
        assert seen[-1] != seen[-2], what
    assert len(set(seen)) == len(seen)


def test_a_write_rolled_back_or_to_another_table_leaves_the_routing_token(db_engine):
    before = _token(db_engine)
    with db_engine.connect() as conn:
        conn.execute(_MEMBER, {"now": _NOW})
        conn.rollback()
    with db_engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO porteurs (id, created_at, status) "
                             "VALUES ('p-1', :now, 'active')"), {"now": _NOW})
    assert _token(db_engine) == before


@pytest.fixture
def world(db_url, tmp_path) -> Iterator:
    yield from hub_for(db_url, tmp_path)


def _reads_routing(statement: str) -> bool:
    """A statement reading the members or subscriptions tables."""
    return statement.lstrip().upper().startswith("SELECT") and any(
        f"FROM {table}" in statement for table in ("members", "subscriptions"))


def _processed_reading(hub, fiche_id: str, name: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Push a fiche, then process it: the routing reads of its processing."""
    ids = push(hub, COMMUNE, fiche_of(COMMUNE, fiche_id, {**PERSON, "nom": name}),
               process=False)
    with statements_sent(hub.engine, _reads_routing) as reads:
        processing.process_outbox(hub, ids)
    return texts(reads)


def test_a_worker_reads_the_members_and_subscriptions_again_only_once_they_changed(world):
    hub, _clock = world
    first = _processed_reading(hub, "A-1", "Chassaing")
    assert any("FROM members" in s for s in first) and any("FROM subscriptions" in s
                                                           for s in first)
    assert _processed_reading(hub, "A-2", "Vernet") == []
    replace_subscriptions(hub, CCI, [{"communes": ["63003"]}])
    again = _processed_reading(hub, "A-3", "Bouchet")
    assert len([s for s in again if "FROM members" in s]) == 1
    assert len([s for s in again if "FROM subscriptions" in s]) == 1
    with hub.uow() as uow:
        recipients = {row.recipient_id for row in uow.connection.execute(sa.text(
            "SELECT d.recipient_id FROM deliveries d JOIN fiches f ON f.id = d.fiche_pk "
            "WHERE f.fiche_id = 'A-3'"))}
    assert recipients == {CCI.member_id, PFIL.member_id}


@pytest.fixture
def pg_engine(postgres_url) -> Iterator[sa.Engine]:
    url = _fresh_pg_database(postgres_url)
    engine = sa.create_engine(url)
    yield engine
    engine.dispose()
    _drop_pg_database(url)


def _waits_for_a_lock_or_is_done(engine: sa.Engine, pid: int, done: threading.Event) -> bool:
    with engine.connect() as probe:
        return done.is_set() or bool(probe.execute(sa.text(
            "SELECT count(*) FROM pg_stat_activity WHERE pid = :pid "
            "AND wait_event_type = 'Lock'"), {"pid": pid}).scalar_one())


def test_writers_of_members_and_subscriptions_never_wait_on_each_other_for_the_token(
        pg_engine):
    """`capactif members load` updates a member, then replaces each member's subscriptions
    in turn; a subscription PUT of a member it has not reached deletes that member's rows.
    With one token row both waited on the other (the load on the PUT's rows, the PUT's
    trigger on the row the load held): a deadlock. Appended token rows wait on no one."""
    with pg_engine.begin() as conn:
        for member in ("x", "y"):
            conn.execute(sa.text(_MEMBER.text.replace("'bge-x'", f"'{member}'")), {"now": _NOW})
        conn.execute(sa.text(_SUBSCRIPTION.text.replace("'bge-x'", "'y'")),
                     {"now": _NOW, "criteria": json.dumps({"communes": ["63003"]})})
    before = _token(pg_engine)
    load, api = pg_engine.connect(), pg_engine.connect()
    done, failures = threading.Event(), []

    def put() -> None:
        try:
            api.execute(sa.text("DELETE FROM subscriptions WHERE member_id = 'y'"))
            api.commit()
        except sa.exc.DBAPIError as exc:
            failures.append(exc)
            api.rollback()
        finally:
            done.set()

    try:
        load.execute(sa.text("UPDATE members SET name = 'X' WHERE id = 'x'"))
        pid = api.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        api.commit()
        putting = threading.Thread(target=put)
        putting.start()
        wait_until(lambda: _waits_for_a_lock_or_is_done(pg_engine, pid, done), 60,
                   "the PUT's delete done or waiting")
        load.execute(sa.text("DELETE FROM subscriptions WHERE member_id = 'y'"))
        load.commit()
        putting.join()
    finally:
        load.close()
        api.close()
    assert failures == []
    assert _token(pg_engine) not in (None, before)


def test_without_a_token_row_the_network_is_read_in_every_transaction(world, caplog):
    hub, _clock = world
    with hub.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM routing_changes"))
    with caplog.at_level(logging.WARNING, "hub.store.token_memo"):
        first = _processed_reading(hub, "B-1", "Chassaing")
        second = _processed_reading(hub, "B-2", "Vernet")
    assert any("FROM subscriptions" in s for s in first)
    assert any("FROM subscriptions" in s for s in second)
    assert caplog.text.count("no change token stored") == 1


def test_the_network_a_worker_keeps_holds_no_credential_nor_contact_of_a_member(world):
    hub, _clock = world
    with hub.uow() as uow:
        members, _network, _subscriptions = routing_network(uow)
    assert members
    for member in members.values():
        assert {f.name for f in dataclasses.fields(member)} == {
            "id", "role", "territory", "webhook_url"}


def test_a_writer_of_another_search_path_draws_the_routing_token_too(pg_engine):
    before = _token(pg_engine)
    with pg_engine.begin() as conn:
        schema = conn.execute(sa.text("SELECT current_schema()")).scalar_one()
        conn.execute(sa.text("SET LOCAL search_path TO ''"))
        conn.execute(sa.text(f'DELETE FROM "{schema}".subscriptions'))
    assert _token(pg_engine) not in (None, before)


def _rows(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM routing_changes")).scalar_one()


def _fold(engine: sa.Engine) -> int:
    with engine.begin() as conn:
        return Deliveries(conn, None).fold_routing_changes()  # type: ignore[arg-type]


def test_the_beat_folds_the_routing_changes_below_the_token_and_the_token_stays(db_engine):
    """PostgreSQL appends a row a write (migration 0041): the housekeeping folds those below
    the current token into one, and a worker's kept network stays valid."""
    for _round in range(3):
        for what, statement in _WRITES:
            with db_engine.begin() as conn:
                conn.execute(statement, {"now": _NOW, "criteria": json.dumps({"c": [what]})})
    token, rows = _token(db_engine), _rows(db_engine)
    assert _fold(db_engine) == rows - min(rows, 2)  # SQLite keeps its one row: nothing
    assert _rows(db_engine) == min(rows, 2) and _token(db_engine) == token
    assert _fold(db_engine) == 0 and _token(db_engine) == token
    with db_engine.begin() as conn:
        conn.execute(_MEMBER, {"now": _NOW})
    assert _token(db_engine) not in (None, token)


def _new_member(member_id: str) -> sa.TextClause:
    return sa.text(_MEMBER.text.replace("'bge-x'", f"'{member_id}'"))


def test_a_change_committed_below_the_highest_row_stays_seen_through_a_fold(pg_engine):
    """A transaction holding a lower id commits after one holding a higher id: only the
    count moved. Deleted, the rows below the token would take the count elsewhere, and
    may take it back to what a worker read before that commit, with the same highest token
    (the change hidden from it); folded, their weights keep it where the commit took it."""
    late = pg_engine.connect()
    try:
        late.execute(_new_member("bge-late"), {"now": _NOW})  # its row's id drawn, uncommitted
        with pg_engine.begin() as conn:
            conn.execute(_new_member("bge-early"), {"now": _NOW})  # a higher id, committed
        kept = _token(pg_engine)  # a worker's network, without the late member
        late.commit()
    finally:
        late.close()
    moved = _token(pg_engine)
    assert moved != kept
    _fold(pg_engine)
    assert _token(pg_engine) == moved != kept
    assert _rows(pg_engine) == 2  # the first and the late folded into one, the highest


def test_migration_0042_goes_down_and_up_again_after_folds_keeping_the_token(pg_engine):
    """Going down unfolds each folded row into as many rows as its weight, below every id:
    the count the old token reads is the sum the new one read. A second way down, after a
    fold of rows the first one unfolded, met ids it had already given (a duplicate key)."""
    from alembic import command

    from hub.store.migrate import alembic_config, upgrade

    url = pg_engine.url.render_as_string(hide_password=False)
    for _way in range(2):
        for what, statement in _WRITES:
            with pg_engine.begin() as conn:
                conn.execute(statement, {"now": _NOW, "criteria": json.dumps({"c": [what]})})
        _fold(pg_engine)
        summed = _token(pg_engine)
        pg_engine.dispose()
        command.downgrade(alembic_config(url), "0041")
        with pg_engine.connect() as conn:
            counted = conn.execute(sa.text(
                "SELECT count(*) || ':' || (SELECT token FROM routing_changes "
                "ORDER BY id DESC LIMIT 1) FROM routing_changes")).scalar_one()
        assert counted == summed
        pg_engine.dispose()
        upgrade(url)
        assert _token(pg_engine) == summed
