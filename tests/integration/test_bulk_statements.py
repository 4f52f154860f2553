"""The multi-row statements of hub.store.bulk read back exactly what they wrote, on
SQLite and on PostgreSQL, and on PostgreSQL cost one statement whatever the row count."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from hub.errors import StoreUnavailable
from hub.store import bulk
from hub.store.audit_tables import audit_heads
from hub.store.delivery_repository import Deliveries
from hub.store.matching_tables import match_keys
from hub.store.tables import fiche_versions, members, porteurs
from tests.integration.statements import statements_sent, texts

NOW = dt.datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=dt.UTC)


def test_inserted_rows_read_back_as_written_with_times_json_nulls_and_bytes(db_engine):
    rows = [{"id": f"m{n}", "name": f"Structure {n}", "kind": "cci", "role": "accueil",
             "contact_email": "x@example.org", "webhook_url": None if n % 2 else "https://h/x",
             "territory": ["63001", {"epci": n}]} for n in range(3)]
    written = [{**row, "created_at": NOW, "updated_at": NOW} for row in rows]
    heads = [{"tree_size": n, "root_hash": bytes([n]) * 32, "timestamp_ms": n,
              "key_id": "k", "signature": b"\x00\\'\"" * 16} for n in range(2)]
    with db_engine.begin() as conn:
        bulk.insert_rows(conn, members, written)
        bulk.insert_rows(conn, porteurs, [{"id": "prt_1", "created_at": NOW, "status": "active"}])
        bulk.insert_rows(conn, audit_heads, heads)
        bulk.insert_rows(conn, porteurs, [])
    with db_engine.connect() as conn:
        read = [dict(r._mapping) for r in conn.execute(
            sa.select(*(members.c[k] for k in rows[0])).order_by(members.c.id))]
        created = conn.execute(sa.select(porteurs.c.created_at)).scalar_one()
        stored = [(r.tree_size, r.root_hash, r.signature) for r in conn.execute(
            sa.select(audit_heads).order_by(audit_heads.c.tree_size))]
    assert read == rows
    assert created.replace(tzinfo=created.tzinfo or dt.UTC) == NOW
    assert stored == [(h["tree_size"], h["root_hash"], h["signature"]) for h in heads]


def test_updated_rows_change_only_the_rows_and_columns_named(db_engine):
    with db_engine.begin() as conn:
        conn.execute(sa.insert(porteurs), [{"id": f"prt_{n}", "created_at": NOW,
                                            "status": "active"} for n in range(4)])
        bulk.update_rows(conn, porteurs, "id", [{"id": "prt_2", "status": "merged"},
                                                {"id": "prt_0", "status": "provisional"}])
        bulk.update_rows(conn, porteurs, "id", [])
    with db_engine.connect() as conn:
        statuses = dict(conn.execute(sa.select(porteurs.c.id, porteurs.c.status)).all())
    assert statuses == {"prt_0": "provisional", "prt_1": "active", "prt_2": "merged",
                        "prt_3": "active"}


def test_among_selects_exactly_the_values_given(db_engine):
    with db_engine.begin() as conn:
        conn.execute(sa.insert(porteurs), [{"id": f"prt_{n}", "created_at": NOW,
                                            "status": "active"} for n in range(5)])
        def chosen(ids: list[str]) -> set[str]:
            return set(conn.execute(sa.select(porteurs.c.id).where(
                bulk.among(conn, porteurs.c.id, ids))).scalars())
        assert chosen(["prt_1", "prt_3", "prt_9"]) == {"prt_1", "prt_3"}
        assert chosen([]) == set()


AWKWARD_IDS = ['a"b', "back\\slash", "com,ma", "{brace}", "NULL", "with space", "é-ü", ""]


def test_among_selects_exactly_the_values_given_whatever_characters_they_hold(db_engine):
    with db_engine.begin() as conn:  # the array's text form must never split or merge ids
        conn.execute(sa.insert(porteurs), [{"id": i, "created_at": NOW, "status": "active"}
                                           for i in [*AWKWARD_IDS, "a", "b"]])
        for wanted in (AWKWARD_IDS, AWKWARD_IDS[2:], ["NULL", "with space"], ["a", "b"]):
            assert set(conn.execute(sa.select(porteurs.c.id).where(
                bulk.among(conn, porteurs.c.id, wanted))).scalars()) == set(wanted)


def test_feed_positions_are_reserved_consecutively_for_many_recipients_at_once(db_engine):
    with db_engine.begin() as conn:
        repository = Deliveries(conn, keys=None)  # type: ignore[arg-type]
        first = repository.reserve_positions({"b": 3, "a": 2, "c": 0})
        second = repository.reserve_positions({"a": 4, "b": 1})
        single = repository.next_positions("a", 1)
    assert first == {"a": 1, "b": 1}
    assert second == {"a": 3, "b": 4}
    assert single == 7


def test_the_feed_counters_of_many_recipients_move_in_one_statement(db_engine):
    """A worker transaction reserves positions for each of its recipients: one statement
    for all of them (on SQLite there was one a recipient, ~6 a transaction of 10 fiches)."""
    with db_engine.begin() as conn:
        repository = Deliveries(conn, keys=None)  # type: ignore[arg-type]
        repository.ensure_counters(["a", "b", "c", "d"])
        with statements_sent(db_engine) as sent:
            assert repository.reserve_positions({"d": 1, "a": 2, "b": 5, "c": 0}) == \
                {"a": 1, "b": 1, "d": 1}
            assert repository.reserve_positions({"a": 1, "b": 1, "d": 2}) == \
                {"a": 3, "b": 6, "d": 2}
    assert len([s for s in texts(sent) if s.lstrip().upper().startswith("UPDATE")]) == 2


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # SQLite: no round trips
@pytest.mark.parametrize("count", [2, 300])
def test_on_postgresql_many_rows_cost_one_statement(db_engine, count):
    with statements_sent(db_engine) as sent, db_engine.begin() as conn:
        bulk.insert_rows(conn, porteurs, [{"id": f"prt_{n}", "created_at": NOW,
                                           "status": "active"} for n in range(count)])
        bulk.update_rows(conn, porteurs, "id", [{"id": f"prt_{n}", "status": "merged"}
                                                for n in range(count)])
        conn.execute(sa.select(porteurs.c.id).where(
            bulk.among(conn, porteurs.c.id, [f"prt_{n}" for n in range(count)])))
    assert len([s for s in texts(sent) if "porteurs" in s]) == 3


def test_inserted_rows_answer_their_returned_columns(db_engine):
    rows = [{"id": f"prt_{n}", "created_at": NOW, "status": "active"} for n in range(3)]
    with db_engine.begin() as conn:
        answered = bulk.insert_returning(conn, porteurs, rows, ("id", "created_at"))
        assert bulk.insert_returning(conn, porteurs, [], ("id",)) == []
    assert sorted(row.id for row in answered) == ["prt_0", "prt_1", "prt_2"]
    assert {row.created_at.replace(tzinfo=row.created_at.tzinfo or dt.UTC)
            for row in answered} == {NOW}


def test_a_raising_update_never_lowers_the_column_it_guards(db_engine):
    with db_engine.begin() as conn:
        conn.execute(sa.insert(members), [
            {"id": f"m{n}", "name": "Structure", "kind": "cci", "role": "accueil",
             "contact_email": "x@example.org", "token_hash": f"t{n}", "created_at": NOW,
             "updated_at": NOW} for n in range(3)])
        later = NOW + dt.timedelta(days=1)
        bulk.update_rows(conn, members, "id", [{"id": "m0", "updated_at": later, "name": "A"},
                                               {"id": "m1", "updated_at": NOW - dt.timedelta(days=1),
                                                "name": "B"}], raising="updated_at")
    with db_engine.connect() as conn:
        read = {r.id: (r.name, r.updated_at.replace(tzinfo=r.updated_at.tzinfo or dt.UTC))
                for r in conn.execute(sa.select(members.c.id, members.c.name, members.c.updated_at))}
    assert read == {"m0": ("A", later), "m1": ("Structure", NOW), "m2": ("Structure", NOW)}


def test_copied_rows_read_back_as_written_with_ids_drawn_first(db_engine):
    rows = [{"name": f"Structure {n}", "kind": "cci", "role": "accueil",
             "contact_email": "x@example.org", "webhook_url": None if n % 2 else "https://h/x",
             "territory": ["63001", {"epci": n, "nom": 'quote " and \\\\ tab\t'}],
             "created_at": NOW, "updated_at": NOW} for n in range(3)]
    heads = [{"tree_size": n, "root_hash": bytes([n]) * 32, "timestamp_ms": n,
              "key_id": "k", "signature": b"\x00\\'\"\n" * 16} for n in range(2)]
    with db_engine.begin() as conn:
        bulk.copy_rows(conn, members, [{"id": f"m{n}", **row} for n, row in enumerate(rows)])
        bulk.copy_rows(conn, audit_heads, heads)
        bulk.copy_rows(conn, audit_heads, [])
        if conn.dialect.name == "postgresql":
            first, second = bulk.next_ids(conn, fiche_versions, 2), bulk.next_ids(conn, fiche_versions, 1)
            assert first == sorted(first) and second[0] > first[-1] and len(set(first)) == 2
    with db_engine.connect() as conn:
        read = [dict(r._mapping) for r in conn.execute(
            sa.select(*(members.c[k] for k in rows[0] if not k.endswith("_at")))
            .order_by(members.c.id))]
        stored = [(r.tree_size, r.root_hash, r.signature) for r in conn.execute(
            sa.select(audit_heads).order_by(audit_heads.c.tree_size))]
    assert read == [{k: v for k, v in row.items() if not k.endswith("_at")} for row in rows]
    assert stored == [(h["tree_size"], h["root_hash"], h["signature"]) for h in heads]


def test_a_copy_breaking_a_constraint_raises_what_an_insert_raises(db_engine):
    row = {"id": "prt_1", "created_at": NOW, "status": "active"}
    with db_engine.begin() as conn:
        bulk.copy_rows(conn, porteurs, [row])
    with db_engine.connect() as conn, pytest.raises(sa.exc.IntegrityError):
        bulk.copy_rows(conn, porteurs, [row])


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_connection_lost_during_a_copy_is_a_store_outage(hub):
    """The server ends the connection, then a COPY is sent: the unit of work answers the
    store's outage (the API's 503, the worker's retry), not the rollback's raw error."""
    with pytest.raises(StoreUnavailable), hub.uow() as uow:
        pid = uow.connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with hub.engine.connect() as other:
            other.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})")
        bulk.copy_rows(uow.connection, match_keys, [{"key": 1, "fiche_pk": 1}])


def _one_porteur(conn: sa.Connection, ident: str) -> list[tuple]:
    sql = ("SELECT id, status FROM porteurs WHERE id = %s" if conn.dialect.name == "postgresql"
           else "SELECT id, status FROM porteurs WHERE id = ?")
    return bulk.driver_rows(conn, sql, (ident,))


def test_driver_rows_read_inside_the_connection_s_transaction(db_engine):
    """Rows written earlier in the same transaction are read; after a commit, the read
    begins the next transaction as SQLAlchemy would (the writes of a rollback are gone)."""
    with db_engine.connect() as conn:
        conn.execute(sa.insert(porteurs), [{"id": "prt_1", "created_at": NOW, "status": "active"}])
        assert _one_porteur(conn, "prt_1") == [("prt_1", "active")]
        conn.commit()
        assert _one_porteur(conn, "prt_1") == [("prt_1", "active")]
        assert conn.in_transaction()
        conn.execute(sa.update(porteurs).values(status="merged"))
        conn.rollback()
        assert _one_porteur(conn, "prt_1") == [("prt_1", "active")]


def test_a_failing_driver_read_raises_what_sqlalchemy_raises(db_engine):
    with db_engine.connect() as conn, pytest.raises(sa.exc.DBAPIError) as raised:
        bulk.driver_rows(conn, "SELECT no_such_column FROM porteurs", ())
    assert "no_such_column" in str(raised.value)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_connection_lost_during_a_driver_read_is_a_store_outage(hub):
    """As for a COPY: the unit of work answers the store's outage (the API's 503, the
    worker's retry), and the pool throws the connection away."""
    with pytest.raises(StoreUnavailable), hub.uow() as uow:
        pid = uow.connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with hub.engine.connect() as other:
            other.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})")
        _one_porteur(uow.connection, "prt_1")


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("statement", ["copy", "read"])
def test_a_connection_closed_before_a_driver_statement_is_a_store_outage(hub, statement):
    """The driver connection already closed (its cursor cannot even be made): the error
    is SQLAlchemy's, so the unit of work answers the store's outage, not the driver's raw
    error."""
    with pytest.raises(StoreUnavailable), hub.uow() as uow:
        uow.connection.exec_driver_sql("SELECT 1")
        uow.connection.connection.driver_connection.close()
        if statement == "copy":
            bulk.copy_rows(uow.connection, match_keys, [{"key": 1, "fiche_pk": 1}])
        else:
            _one_porteur(uow.connection, "prt_1")


def test_rows_copied_as_tuples_read_back_as_written_and_a_duplicate_is_refused(db_engine):
    """`copy_tuples` (COPY on PostgreSQL, an insert on SQLite) writes exactly its rows, and
    refuses a row already there as an insert does, the transaction's rows with it."""
    rows = [(-(2**63), 1), (2**63 - 1, 1), (0, 2), (7, 3)]
    with db_engine.begin() as conn:
        bulk.copy_tuples(conn, match_keys, ("key", "fiche_pk"), rows)
        bulk.copy_tuples(conn, match_keys, ("key", "fiche_pk"), [])
    with db_engine.connect() as conn:
        written = conn.execute(sa.select(match_keys.c.key, match_keys.c.fiche_pk)).all()
    assert sorted(map(tuple, written)) == sorted(rows)
    with pytest.raises(sa.exc.IntegrityError), db_engine.begin() as conn:
        bulk.copy_tuples(conn, match_keys, ("key", "fiche_pk"), [(8, 4), (7, 3)])
    with db_engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(match_keys)).scalar() == 4
