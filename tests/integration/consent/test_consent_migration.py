"""Migration 0003 creates exactly the tables consent.tables declares."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from consent.tables import define_tables

pytestmark = pytest.mark.integration


def test_migrated_consent_tables_match_their_declaration(db_engine):
    declared = define_tables(sa.MetaData())
    names = {t.name for t in vars(declared).values()}
    with db_engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(context, next(iter(vars(declared).values())).metadata)
    ours = [d for d in diffs if _table_of(d) in names]
    assert ours == []


def test_change_counter_starts_at_zero(db_engine):
    changes = define_tables(sa.MetaData()).changes
    with db_engine.connect() as conn:
        assert conn.execute(sa.select(changes.c.version)).scalar_one() == 0


def _table_of(diff) -> str | None:
    item = diff[0] if isinstance(diff, list) else diff
    for part in item[1:]:
        if isinstance(part, sa.Table):
            return part.name
        table = getattr(part, "table", None)
        if isinstance(table, sa.Table):
            return table.name
        if isinstance(part, str) and part in _ALL:
            return part
    return None


_ALL = {"consent_notices", "consents", "consent_states", "consent_notice_acks",
        "consent_changes"}
