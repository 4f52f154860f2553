"""Apply the Alembic migrations programmatically (used by `capactif init` and tests)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str) -> None:
    """Bring the database at `database_url` to the latest schema (all heads)."""
    command.upgrade(alembic_config(database_url), "heads")


def migrations_current(connection: sa.Connection) -> bool:
    """Whether the database behind `connection` is at every head
    of the migrations shipped with this code (an API started before `capactif init` ran,
    or code newer than the database, is not ready)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    current = set(MigrationContext.configure(connection).get_current_heads())
    return current == set(script.get_heads())
