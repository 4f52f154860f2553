"""Shared fixtures: real databases (SQLite file and PostgreSQL), real Redis.

Integration tests never skip when CI=true: a missing service fails the run.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from hub.store.engine import create_engine
from hub.store.migrate import upgrade

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PG_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def service_missing(what: str, exc: Exception) -> None:
    """Fail under CI, skip (visibly) on a developer machine without the service."""
    message = f"{what} is not reachable: {exc}"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped afterwards."""
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"capactif_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as exc:
        admin.dispose()
        service_missing("PostgreSQL", exc)
    url = sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(False)
    upgrade(url)  # a migrated template: each test's database is a fast copy of it
    yield url
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'hub.sqlite3'}"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "hub.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> Iterator[str]:
    """A migrated, empty database: a SQLite file, then a PostgreSQL database (both
    copies of a template migrated once per session with the real migrations)."""
    if request.param == "sqlite":
        path = tmp_path / "hub.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    base = request.getfixturevalue("postgres_url")
    copy_url = _fresh_pg_database(base)
    yield copy_url
    _drop_pg_database(copy_url)


@pytest.fixture
def db_engine(db_url) -> Iterator[sa.Engine]:
    engine = create_engine(db_url)
    yield engine
    engine.dispose()


def _fresh_pg_database(template_url: str) -> str:
    """A new database copied from the migrated session template."""
    admin_url = sa.engine.make_url(template_url).set(database="test").render_as_string(False)
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"capactif_t_{uuid.uuid4().hex[:12]}"
    template = sa.engine.make_url(template_url).database
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    admin.dispose()
    base_url = template_url
    return sa.engine.make_url(base_url).set(database=name).render_as_string(False)


def _drop_pg_database(url: str) -> None:
    admin_url = sa.engine.make_url(url).set(database="test").render_as_string(False)
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = sa.engine.make_url(url).database
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()
