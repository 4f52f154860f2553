"""The rows a batch adds to the store's busiest tables travel by COPY on PostgreSQL: the
blocking keys (some twenty a fiche), the match records, the new porteurs and their links,
and the pushed fiches' data keys. The server then parses no statement and no JSON
document, and writes a page of new rows at a time (bench/_profile_worker.py, 2,000
fiches: the match records' insert cost its backend 2.1 ms of CPU a hundred fiches as a
JSON document, 0.7 ms by COPY)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from hub.services.ingest import processing
from tests.integration.dedup_world import CCI, fiche_of, push
from tests.integration.statements import statements_sent
from tests.integration.test_lock_table_use import strangers
from tests.integration.test_online_matching import pg_world  # noqa: F401 (fixture)

pytestmark = pytest.mark.integration

COPIED = {"match_keys", "match_records", "porteurs", "fiche_links", "fiche_keys"}


def _inserts(statement: str) -> bool:
    """An SQL insert (not a COPY, which SQLAlchemy's events do not see)."""
    return statement.split()[:2] == ["INSERT", "INTO"]


def _count(hub, table: str) -> int:
    with hub.engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()


def test_a_batch_of_new_porteurs_adds_its_keys_records_porteurs_links_and_data_keys_by_copy(
        pg_world):  # noqa: F811
    hub, _clock = pg_world
    with statements_sent(hub.engine, _inserts) as sent:
        ids = push(hub, CCI, *[fiche_of(CCI, f"K-{i}", person)
                               for i, person in enumerate(strangers(4, 0))], process=False)
        assert processing.process_outbox(hub, ids).claimed == 4
    inserted = {statement.split()[2] for statement, _parameters in sent}
    assert inserted & COPIED == set(), inserted
    assert [_count(hub, t) for t in ("match_records", "porteurs", "fiche_links", "fiche_keys")
            ] == [4, 4, 4, 4]
    assert _count(hub, "match_keys") >= 4 * 10
