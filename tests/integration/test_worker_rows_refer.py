"""The worker's index records and fiche links name fiches and porteurs that exist, on both
databases, though no foreign key checks them row by row any longer (migration 0035: four
checks a processed fiche cost PostgreSQL a fifth of its CPU on the worker's inserts); and
every fiche names a porteur that exists, though PostgreSQL no longer checks `fiches`'s key
to `porteurs` (migration 0039) as the worker, a merge or a separation sets it; and every
delivery names a member that exists, though PostgreSQL no longer checks `deliveries`'s
key to `members` (migration 0043: a check and a key-share lock a delivery written)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from hub.domain.matching.model import CONFIRMED_FLAGS
from hub.services.matching import duplicates
from tests.integration.dedup_world import (
    CCI,
    COMMUNE,
    COORDINATOR,
    NAMES_ONLY,
    PERSON,
    PFIL,
    RETYPED,
    fiche_of,
    porteur_of,
    push,
    world_in_process,  # noqa: F401  (the `world` fixture)
)

pytestmark = pytest.mark.integration

_ORPHANS = {
    table: sa.text(
        f"SELECT count(*) FROM {table} t LEFT JOIN fiches f ON f.id = t.fiche_pk "
        f"LEFT JOIN porteurs p ON p.id = t.porteur_id WHERE f.id IS NULL OR p.id IS NULL")
    for table in ("match_records", "fiche_links")
}
_FICHES_WITHOUT_PORTEUR = sa.text(
    "SELECT count(*) FROM fiches f LEFT JOIN porteurs p ON p.id = f.porteur_id "
    "WHERE f.porteur_id IS NOT NULL AND p.id IS NULL")


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


def test_on_postgresql_deliveries_carry_no_foreign_key_to_members_checked_row_by_row(
        db_engine):
    keys = [fk["referred_table"] for fk in sa.inspect(db_engine).get_foreign_keys("deliveries")]
    assert keys == (["members"] if db_engine.dialect.name == "sqlite" else [])


def test_every_delivery_the_worker_writes_names_a_member_that_exists(world):
    hub, _clock = world
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", PERSON))
    push(hub, CCI, fiche_of(CCI, "C-1", RETYPED))  # linked: A-1's owner follows it
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", PERSON, version=2))
    with hub.engine.connect() as conn:
        count, orphans = conn.execute(sa.text(
            "SELECT count(*), count(*) - count(m.id) FROM deliveries d "
            "LEFT JOIN members m ON m.id = d.recipient_id")).one()
    assert count > 0 and orphans == 0


def test_on_postgresql_fiches_carry_no_foreign_key_to_porteurs_checked_row_by_row(db_engine):
    keys = [fk["referred_table"] for fk in sa.inspect(db_engine).get_foreign_keys("fiches")]
    assert "members" in keys  # the others stay
    assert ("porteurs" in keys) == (db_engine.dialect.name == "sqlite")


def test_every_fiche_names_a_porteur_that_exists_after_links_merges_and_separations(world):
    hub, _clock = world
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", PERSON))  # a new porteur
    push(hub, CCI, fiche_of(CCI, "C-1", RETYPED))  # linked to A-1's porteur
    push(hub, PFIL, fiche_of(PFIL, "P-1", NAMES_ONLY))  # a provisional porteur, reviewed
    [item] = duplicates.list_review_items(hub, actor=COORDINATOR.member_id)["items"]
    duplicates.decide(hub, item["id"], "same", confirmed=CONFIRMED_FLAGS,
                      actor=COORDINATOR.member_id)  # merged
    kept = porteur_of(hub, COMMUNE, "A-1")
    assert porteur_of(hub, PFIL, "P-1") == kept
    duplicates.unmerge(hub, kept, CCI.member_id, "C-1", actor=COORDINATOR.member_id)
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", PERSON, version=2))  # refreshed
    assert len({porteur_of(hub, m, f) for m, f in ((COMMUNE, "A-1"), (CCI, "C-1"),
                                                    (PFIL, "P-1"))}) == 2
    with hub.engine.connect() as conn:
        assert conn.execute(_FICHES_WITHOUT_PORTEUR).scalar_one() == 0
        assert conn.execute(sa.text(
            "SELECT count(*) FROM fiches WHERE porteur_id IS NULL")).scalar_one() == 0
