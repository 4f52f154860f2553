"""The candidate read finds each index record and its fiche's data key by the fiche's
number alone (migration 0050): on SQLite `fiche_pk` is the rowid of `match_records` and
`fiche_keys`, one search in one tree a row instead of the primary-key index then the
table; PostgreSQL keeps its bigint keys. A store indexed before the upgrade (or after a
downgrade) keeps its records and keys, and they still find and open their fiches. (The
stores "before" are written by this release, then taken down to the revision before:
this release writes columns the revision before did not have, such as `consent_end_us`.)"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command

from hub.store.erasure_tables import fiche_keys
from hub.store.matching_repository import _stored_records_sql
from hub.store.matching_tables import match_records
from hub.store.migrate import alembic_config
from hub.store.tables import fiches
from tests.factories import other_porteur
from tests.integration.world import fiche, push_and_process

pytestmark = pytest.mark.integration

BEFORE = "0049"  # the revision before the index rows were keyed by the fiche's number
TABLES = (match_records, fiche_keys)


def _porteur_of(hub, fiche_id: str) -> str:
    with hub.engine.connect() as conn:
        return conn.execute(sa.select(fiches.c.porteur_id).where(
            fiches.c.fiche_id == fiche_id)).scalar_one()


def _rows(hub) -> dict[str, list[dict]]:
    """Each table's rows as stored at the store's revision, less when the consent ends
    (its unit changed since, 0052)."""
    hub.engine.dispose()
    with hub.engine.connect() as conn:
        stored = [sa.Table(table.name, sa.MetaData(), autoload_with=conn) for table in TABLES]
        return {table.name: [
            {k: v for k, v in row.items() if not k.startswith("consent_end")}
            for row in conn.execute(sa.select(table).order_by(table.c.fiche_pk)).mappings()]
            for table in stored}


def _searches(hub) -> list[str]:
    """SQLite's plan of the candidate read: how it finds each table's rows."""
    with hub.engine.connect() as conn:
        plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + _stored_records_sql(2), (1, 2))
        return sorted(detail for *_ids, detail in plan)


def _key_types(hub) -> dict[str, str]:
    """PostgreSQL: the type of each table's `fiche_pk`."""
    with hub.engine.connect() as conn:
        return dict(conn.exec_driver_sql(
            "SELECT table_name, data_type FROM information_schema.columns WHERE "
            "column_name = 'fiche_pk' AND table_name IN ('match_records', 'fiche_keys')"
        ).all())


def _keyed_by_fiche(hub) -> bool:
    hub.engine.dispose()  # a connection opened before a migration may plan on the old tables
    if hub.engine.dialect.name == "sqlite":
        searches = _searches(hub)  # e.g. "SEARCH r USING INTEGER PRIMARY KEY (rowid=?)"
        return [s.split()[:2] for s in searches] == [["SEARCH", "k"], ["SEARCH", "r"]] \
            and all("USING INTEGER PRIMARY KEY (rowid=?)" in s for s in searches)
    return _key_types(hub) == {"match_records": "bigint", "fiche_keys": "bigint"}


def test_the_candidate_read_finds_a_record_and_its_key_by_the_fiche_number_alone(network):
    hub = network[0]
    push_and_process(hub, fiche("F-1"), fiche("F-2"))

    assert _keyed_by_fiche(hub)
    assert _porteur_of(hub, "F-2") == _porteur_of(hub, "F-1")


def test_a_store_indexed_before_keeps_its_records_and_keys_through_the_upgrade(network):
    hub = network[0]
    config = alembic_config(hub.settings.database_url.reveal())
    push_and_process(hub, fiche("F-1"), fiche("F-2", porteur=other_porteur(2)))
    command.downgrade(config, BEFORE)
    before = _rows(hub)

    command.upgrade(config, "heads")
    after, keyed = _rows(hub), _keyed_by_fiche(hub)
    push_and_process(hub, fiche("F-3"))  # F-1's person, pushed again

    assert after == before and len(after["match_records"]) == 2
    assert keyed
    assert _porteur_of(hub, "F-3") == _porteur_of(hub, "F-1") != _porteur_of(hub, "F-2")


def test_a_downgrade_keeps_the_records_and_keys_the_release_before_reads(network):
    hub = network[0]
    push_and_process(hub, fiche("F-1"))
    before = _rows(hub)
    config = alembic_config(hub.settings.database_url.reveal())

    command.downgrade(config, BEFORE)
    after = _rows(hub)
    command.upgrade(config, "heads")
    push_and_process(hub, fiche("F-2"))  # the same person, on the tables taken down and up

    assert after == before
    assert _porteur_of(hub, "F-2") == _porteur_of(hub, "F-1")
    assert _keyed_by_fiche(hub)
