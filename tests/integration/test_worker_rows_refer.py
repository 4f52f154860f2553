"""The worker's index records and fiche links name fiches and porteurs that exist, on both
databases, though no foreign key checks them row by row any longer (migration 0035: four
checks a processed fiche cost PostgreSQL a fifth of its CPU on the worker's inserts)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.integration.dedup_world import (
    CCI,
    COMMUNE,
    NAMES_ONLY,
    PERSON,
    PFIL,
    RETYPED,
    fiche_of,
    hub_for,
    porteur_of,
    push,
)

pytestmark = pytest.mark.integration

_ORPHANS = {
    table: sa.text(
        f"SELECT count(*) FROM {table} t LEFT JOIN fiches f ON f.id = t.fiche_pk "
        f"LEFT JOIN porteurs p ON p.id = t.porteur_id WHERE f.id IS NULL OR p.id IS NULL")
    for table in ("match_records", "fiche_links")
}


@pytest.fixture
def world(db_url, tmp_path):
    yield from hub_for(db_url, tmp_path)


def test_the_worker_index_records_and_links_carry_no_foreign_key_checked_row_by_row(db_engine):
    inspector = sa.inspect(db_engine)
    assert inspector.get_foreign_keys("match_records") == []
    assert inspector.get_foreign_keys("fiche_links") == []


def test_every_index_record_and_link_the_worker_writes_names_a_fiche_and_a_porteur(world):
    hub, _clock = world
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", PERSON))  # a new porteur
    push(hub, CCI, fiche_of(CCI, "C-1", RETYPED),  # linked to A-1's porteur
         fiche_of(CCI, "C-2", {"nom": "Vernet", "prenom": "Paul", "date_naissance": "1975-02-03"}))
    push(hub, PFIL, fiche_of(PFIL, "P-1", NAMES_ONLY))  # a provisional porteur, reviewed
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", PERSON, version=2))  # refreshed
    assert porteur_of(hub, CCI, "C-1") == porteur_of(hub, COMMUNE, "A-1")
    with hub.engine.connect() as conn:
        counts = {table: conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
                  for table in _ORPHANS}
        orphans = {table: conn.execute(query).scalar_one() for table, query in _ORPHANS.items()}
    assert counts["match_records"] == 4 and counts["fiche_links"] >= 4
    assert orphans == {"match_records": 0, "fiche_links": 0}
