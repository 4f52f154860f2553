"""The routing token (migration 0038): every write to `members` or `subscriptions`, by any
path, draws a new one in its own transaction, and a worker reads the members and
subscriptions again only when it moved (one statement a transaction instead of two and
the building of every member and subscription). Both databases."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from hub.services.delivery.subscriptions import replace_subscriptions
from hub.services.ingest import processing
from tests.integration.dedup_world import CCI, COMMUNE, PERSON, PFIL, fiche_of, hub_for, push

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


def _token(engine: sa.Engine) -> str:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT token FROM routing_changes")).scalar_one()


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


def _routing_reads(engine: sa.Engine) -> list[str]:
    """The statements reading the members or subscriptions tables, as they run."""
    seen: list[str] = []

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _seen(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT") and any(
                f"FROM {table}" in statement for table in ("members", "subscriptions")):
            seen.append(statement)

    return seen


def _processed_reading(hub, reads: list[str], fiche_id: str, name: str) -> list[str]:
    """Push a fiche, then process it: the routing reads of its processing."""
    ids = push(hub, COMMUNE, fiche_of(COMMUNE, fiche_id, {**PERSON, "nom": name}),
               process=False)
    reads.clear()
    processing.process_outbox(hub, ids)
    return list(reads)


def test_a_worker_reads_the_members_and_subscriptions_again_only_once_they_changed(world):
    hub, _clock = world
    reads = _routing_reads(hub.engine)
    first = _processed_reading(hub, reads, "A-1", "Chassaing")
    assert any("FROM members" in s for s in first) and any("FROM subscriptions" in s
                                                           for s in first)
    assert _processed_reading(hub, reads, "A-2", "Vernet") == []
    replace_subscriptions(hub, CCI, [{"communes": ["63003"]}])
    again = _processed_reading(hub, reads, "A-3", "Bouchet")
    assert len([s for s in again if "FROM members" in s]) == 1
    assert len([s for s in again if "FROM subscriptions" in s]) == 1
    with hub.uow() as uow:
        recipients = {row.recipient_id for row in uow.connection.execute(sa.text(
            "SELECT d.recipient_id FROM deliveries d JOIN fiches f ON f.id = d.fiche_pk "
            "WHERE f.fiche_id = 'A-3'"))}
    assert recipients == {CCI.member_id, PFIL.member_id}
