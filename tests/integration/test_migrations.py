"""The Alembic migrations build exactly the tables the code declares, on both databases."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from hub.store.schema import metadata

pytestmark = pytest.mark.integration


def test_migrations_match_the_declared_tables(db_engine):
    with db_engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        differences = compare_metadata(context, metadata)
    assert differences == []
