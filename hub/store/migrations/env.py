"""Alembic environment: the URL comes from the caller (hub.store.migrate)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from hub.store.engine import create_engine
from hub.store.schema import metadata

config = context.config


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is not None:
        _run(connectable)
        return
    url = config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("alembic.ini names no sqlalchemy.url and no connection was given")
    engine = create_engine(url)
    try:  # a migration that refuses (0026's downgrade) must not leave its connection open
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


def _run(connection: sa.Connection) -> None:
    # One transaction for the whole run, on SQLite too (Alembic takes its DDL as not
    # transactional and commits each step): a migration that refuses (0026's or 0027's
    # downgrade) then leaves none of the steps before it done, where a later one's
    # downgrade (a column dropped) left a store the code no longer reads.
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True,
                      transactional_ddl=True)
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
