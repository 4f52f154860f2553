"""A worker transaction claims queued outbox rows from the table besides the rows its task
names, up to HUB_WORKER_CLAIM_SIZE: the oldest unprocessed rows first; on PostgreSQL rows
another transaction holds are skipped, so two workers split a queue."""

from __future__ import annotations

import datetime as dt
import os

import pytest
import sqlalchemy as sa

from hub.services.accounts.auth import Caller
from hub.services.ingest import accept as ingest
from hub.services.ingest import processing, worker_slots
from hub.services.ingest.processing import pipeline_status
from hub.store.repositories import Outbox
from hub.store.tables import outbox
from tests.conftest import _drop_pg_database, _fresh_pg_database
from tests.factories import make_fiche, other_porteur, record_consents

pytestmark = pytest.mark.integration

NOW = dt.datetime(2026, 12, 6, tzinfo=dt.UTC)
OWNER = Caller("cci-puy-de-dome", "CCI", "cci", "accompagnement")


def _outbox(engine: sa.Engine, processed: int, pending: int) -> None:
    with engine.begin() as conn:
        conn.execute(outbox.insert(), [
            {"topic": "fiche", "ref_id": n, "created_at": NOW, "published_at": NOW,
             "publish_count": 1, "processed_at": NOW if n < processed else None}
            for n in range(processed + pending)])


def _ids(rows) -> list[int]:
    return [row.id for row in rows]


def test_a_claim_of_queued_rows_takes_the_oldest_unprocessed_ones_besides_its_own(db_engine):
    _outbox(db_engine, processed=3, pending=6)  # ids 1-3 processed, 4-9 pending
    with db_engine.begin() as conn:
        assert _ids(Outbox(conn).claim_queued(3, besides=[5])) == [4, 6, 7]
        assert Outbox(conn).claim_queued(0, besides=[]) == []
        assert _ids(Outbox(conn).claim_queued(10, besides=[])) == [4, 5, 6, 7, 8, 9]


def test_two_transactions_claiming_queued_rows_split_them(postgres_url):
    url = _fresh_pg_database(postgres_url)
    engine = sa.create_engine(url)
    try:
        _outbox(engine, processed=0, pending=6)
        with engine.connect() as first, engine.connect() as second:
            taken = _ids(Outbox(first).claim_queued(4, besides=[]))
            assert _ids(Outbox(second).claim_queued(4, besides=[])) == [5, 6]
            assert taken == [1, 2, 3, 4]
            first.rollback()
            second.rollback()
    finally:
        engine.dispose()
        _drop_pg_database(url)


def test_a_task_naming_one_row_processes_the_fiches_queued_up_to_the_claim_size(hub):
    hub = hub.with_settings(worker_transaction_size=2, worker_claim_size=5)
    fiches = [make_fiche(fiche_id=f"Q-{n}", porteur=other_porteur(n)) for n in range(7)]
    record_consents(hub, fiches)
    ingest.push_batch(hub, OWNER, fiches)
    ids = hub.publisher.published[0]
    outcome = processing.process_outbox(hub, ids[-1:])  # its own row and the 4 oldest
    assert outcome.claimed == 5
    assert pipeline_status(hub)["outbox_pending"] == 2
    assert processing.process_outbox(hub, ids[:1]).claimed == 2  # its row done: the rest
    assert pipeline_status(hub)["processed"] == 7


def test_a_claim_size_at_most_the_transaction_size_takes_the_task_rows_only(hub):
    hub = hub.with_settings(worker_transaction_size=5, worker_claim_size=5)
    fiches = [make_fiche(fiche_id=f"Q-{n}", porteur=other_porteur(n)) for n in range(4)]
    record_consents(hub, fiches)
    ingest.push_batch(hub, OWNER, fiches)
    assert processing.process_outbox(hub, hub.publisher.published[0][:1]).claimed == 1
    assert pipeline_status(hub)["outbox_pending"] == 3


def _at(n: int, postcode: str) -> dict:
    return {**other_porteur(n), "adresse": {"ligne": f"{n + 1} rue Haute", "code_postal": postcode,
                                            "commune": "Ambert"}}


def test_a_batch_is_queued_by_place_each_fiche_s_versions_together_in_order(hub):
    """Workers claim consecutive outbox rows: written by postcode, two workers' transactions
    of one push hold fiches of different places, which seldom share a matching key."""
    fiches = [make_fiche(fiche_id="P-1", porteur=_at(1, "63600")),
              make_fiche(fiche_id="P-2", porteur=_at(2, "63120")),
              make_fiche(fiche_id="P-1", version=2, porteur=_at(1, "63000")),
              make_fiche(fiche_id="P-3", porteur=_at(3, "63000")),
              make_fiche(fiche_id="P-4", porteur=_at(4, "63120"))]
    record_consents(hub, fiches)
    answer = ingest.push_batch(hub, OWNER, fiches)
    assert [item["index"] for item in answer["results"]] == [0, 1, 2, 3, 4]  # answered in order
    with hub.engine.connect() as conn:
        queued = conn.execute(sa.text(
            "SELECT f.fiche_id, v.version FROM outbox o JOIN fiche_versions v ON v.id = o.ref_id "
            "JOIN fiches f ON f.id = v.fiche_pk ORDER BY o.id")).all()
    assert [tuple(row) for row in queued] == [
        ("P-3", 1), ("P-2", 1), ("P-4", 1), ("P-1", 1), ("P-1", 2)]


def test_with_two_live_workers_a_transaction_takes_half_the_claim_size(hub):
    """Two whole pushes each span every place: two workers split the claim size, so their
    transactions take halves of one push (`test_a_batch_is_queued_by_place...`)."""
    hub = hub.with_settings(worker_transaction_size=2, worker_claim_size=6)
    with hub.uow() as uow:  # two worker processes of this host beating (both run)
        for pid in (os.getpid(), os.getppid()):
            uow.ops.beat(kind="worker", host=worker_slots._this_host(), pid=pid, now=hub.clock())
        uow.commit()
    fiches = [make_fiche(fiche_id=f"Q-{n}", porteur=other_porteur(n)) for n in range(12)]
    record_consents(hub, fiches)
    ingest.push_batch(hub, OWNER, fiches)
    ids = hub.publisher.published[0]
    assert processing.process_outbox(hub, ids[-1:]).claimed == 3  # its own row and 2 oldest
    assert pipeline_status(hub)["outbox_pending"] == 9


def test_a_task_whose_rows_one_transaction_claimed_whole_opens_no_other_claim(hub):
    """The first transaction of a task takes the task's later rows with the queued ones:
    the task's later chunks have nothing of their own left to claim, and open no
    transaction for them (each was a claim, a count of the queue and a read of the
    workers' beats, for nothing)."""
    hub = hub.with_settings(worker_transaction_size=2, worker_claim_size=6)
    fiches = [make_fiche(fiche_id=f"Q-{n}", porteur=other_porteur(n)) for n in range(6)]
    record_consents(hub, fiches)
    ingest.push_batch(hub, OWNER, fiches)
    transactions: list[int] = [0]
    claimed_in: set[int] = set()

    def _begun(_conn: sa.Connection) -> None:
        transactions[0] += 1

    def _sent(_conn, _cursor, statement, _params, _context, _many) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().startswith("SELECT outbox.id, outbox.topic"):
            claimed_in.add(transactions[0])

    sa.event.listen(hub.engine, "begin", _begun)
    sa.event.listen(hub.engine, "before_cursor_execute", _sent)
    try:
        outcome = processing.process_outbox(hub, hub.publisher.published[0])
    finally:
        sa.event.remove(hub.engine, "begin", _begun)
        sa.event.remove(hub.engine, "before_cursor_execute", _sent)
    assert outcome.claimed == 6
    assert len(claimed_in) == 1
    assert pipeline_status(hub)["processed"] == 6
