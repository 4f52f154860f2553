"""The outbox's index holds the rows still to process, and no other (migration 0033). Outbox
rows are kept once processed: an index over them all had an entry for every fiche version
the hub ever received, that no query reads (each asks for the pending rows), and every
fiche's processing wrote one more."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command

from hub.store.migrate import alembic_config, upgrade

pytestmark = pytest.mark.integration

_DEFINITION = {
    "postgresql": "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_outbox_pending'",
    "sqlite": "SELECT sql FROM sqlite_master WHERE name = 'ix_outbox_pending'",
}


def _definition(url: str) -> str:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return " ".join(conn.exec_driver_sql(_DEFINITION[engine.dialect.name])
                            .scalar_one().replace("(", " ").replace(")", " ").split())
    finally:
        engine.dispose()


def test_the_outbox_index_holds_the_pending_rows_alone(db_url):
    definition = _definition(db_url)
    assert definition.endswith("WHERE processed_at IS NULL")
    assert "id, published_at WHERE" in definition  # in id order, as the sweep pages


def test_the_downgrade_gives_the_outbox_its_whole_index_back_and_the_upgrade_again(db_url):
    command.downgrade(alembic_config(db_url), "0032")
    assert "WHERE" not in _definition(db_url)
    upgrade(db_url)
    assert _definition(db_url).endswith("WHERE processed_at IS NULL")
