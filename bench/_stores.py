"""Throw-away stores for the benchmarks: a SQLite file, a PostgreSQL database."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from hub.store.migrate import upgrade

PG_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@contextmanager
def sqlite_url(*, migrate: bool = True) -> Iterator[str]:
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{directory}/bench.sqlite3"
        if migrate:
            upgrade(url)
        yield url


@contextmanager
def postgres_url(*, migrate: bool = True) -> Iterator[str]:
    """A fresh database on the PostgreSQL server of $BENCH_POSTGRES_URL, dropped after."""
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"capactif_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.engine.make_url(PG_URL).set(database=name).render_as_string(False)
    try:
        if migrate:
            upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()



def each_store(choice: str) -> Iterator[tuple[str, str, str]]:
    """The stores a `--db sqlite|postgresql|both` names, one after the other: (name, URL,
    a scratch folder) each, made as it comes and dropped after."""
    stores = {"sqlite": sqlite_url, "postgresql": postgres_url}
    for name in ["sqlite", "postgresql"] if choice == "both" else [choice]:
        with stores[name]() as url, tempfile.TemporaryDirectory() as folder:
            yield name, url, folder
