"""Shared fixtures: real databases (SQLite file and PostgreSQL), real Redis.

Integration tests never skip when CI=true: a missing service fails the run.
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import settings as hypothesis_settings

from hub import outages
from hub.store.engine import create_engine
from hub.store.migrate import upgrade

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PG_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

# Speed is measured in bench/, never asserted by a test: Hypothesis's per-example deadline
# (200 ms by default) is a timed assertion, failed by a first call that loads a table on a
# loaded machine (a transliteration block read by `fold`, say). Examples are still shrunk
# and replayed as usual; only the clock is out of the verdict.
hypothesis_settings.register_profile("capactif", deadline=None)
hypothesis_settings.load_profile("capactif")


def service_missing(what: str, exc: Exception) -> None:
    """Fail under CI, skip (visibly) on a developer machine without the service."""
    message = f"{what} is not reachable: {exc}"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """How `make test` spreads the suite over pytest-xdist's workers (`-n N`): whole
    modules, the largest first, except that the browser tests (tests/e2e) and the process
    tests (the modules that mark tests `slow`) form two units, sent out first and each run
    in order on one worker: no two process tests (nor two browser tests) compete for the
    two cores, and the console's browser is started once per store. A module of process
    tests marked `long` (an outage of minutes, spent waiting) goes out first, alone, beside
    them: it would add its minutes to the process unit's."""
    from xdist.scheduler import LoadScopeScheduling

    class ByModuleWithSlowUnits(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _unit_of(nodeid.split("::", 1)[0])

        def _assign_work_unit(self, node) -> None:
            long_units = [unit for unit in self.workqueue if _marks_long(unit)]
            for unit in (BROWSER_UNIT, PROCESS_UNIT, *long_units):  # the longest go out first
                if unit in self.workqueue:
                    self.workqueue.move_to_end(unit, last=False)
            super()._assign_work_unit(node)

    return ByModuleWithSlowUnits(config, log)


BROWSER_UNIT, PROCESS_UNIT = "browser and demo processes", "hub processes"


@functools.cache
def _unit_of(module_path: str) -> str:
    """A module's unit (a `long` module is one of its own)."""
    if module_path.startswith("tests/e2e/"):
        return BROWSER_UNIT
    if "mark.slow" in _source(module_path) and not _marks_long(module_path):
        return PROCESS_UNIT
    return module_path


def _marks_long(module_path: str) -> bool:
    return "mark.long" in _source(module_path)


@functools.cache
def _source(module_path: str) -> str:
    source = Path(__file__).parent.parent / module_path
    return source.read_text(encoding="utf-8") if source.is_file() else ""


@pytest.fixture
def fresh_outage_log(monkeypatch) -> Iterator[None]:
    """The test starts as a process whose command installed no outage log (hub.outages),
    and the log it installs is taken out afterwards, the earlier one put back. An earlier
    test's hub installs one in this process: left on the loggers beside the test's, it
    rewrote each failure first, so the test's log never saw the outage start, nor end."""
    loggers = [logging.getLogger(name) for name in outages._FAILURES]
    earlier = {logger: _outage_logs(logger) for logger in loggers}
    monkeypatch.setattr(outages, "_installed", None)
    for logger, installed in earlier.items():
        for outage_log in installed:
            logger.removeFilter(outage_log)
    yield
    for logger, installed in earlier.items():
        for outage_log in _outage_logs(logger):
            logger.removeFilter(outage_log)
        for outage_log in installed:
            logger.addFilter(outage_log)


def _outage_logs(logger: logging.Logger) -> list[outages.OutageLog]:
    return [f for f in logger.filters if isinstance(f, outages.OutageLog)]


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
    _DROPS.wait()  # every copy dropped (a failed drop fails here, at the session's end)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()
    _admin_engine(url).dispose()


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


def _admin_engine(url: str) -> sa.Engine:
    """One engine per session on the `test` database of `url`'s server, for creating
    and dropping the tests' databases."""
    return _engine_on(sa.engine.make_url(url).set(database="test").render_as_string(False))


@functools.cache
def _engine_on(admin_url: str) -> sa.Engine:
    return sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", pool_size=8,
                            max_overflow=0, pool_pre_ping=True)


def _fresh_pg_database(template_url: str) -> str:
    """A new database copied from the migrated session template."""
    name = f"capactif_t_{uuid.uuid4().hex[:12]}"
    template = sa.engine.make_url(template_url).database
    with _admin_engine(template_url).connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return sa.engine.make_url(template_url).set(database=name).render_as_string(False)


# The name of the threads dropping the tests' databases (statements no test should count).
DROP_THREADS = "drop-db"


class _BackgroundDrops:
    """Drops the tests' databases on a few threads while the next tests run.

    PostgreSQL 15 forces a checkpoint on every DROP DATABASE: one at a time, on a busy
    machine, each drop took 0.5 to 4 s of a test's teardown. Drops running together
    share their checkpoints. `wait` blocks until every drop asked for is done and raises
    the first failure."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._pending: list[Future] = []

    def drop(self, url: str) -> None:
        engine, name = _admin_engine(url), sa.engine.make_url(url).database
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=6, thread_name_prefix=DROP_THREADS)
            self._pending.append(self._pool.submit(_drop_now, engine, name))

    def wait(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)
        for future in pending:
            future.result()


def _drop_now(engine: sa.Engine, name: str) -> None:
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_DROPS = _BackgroundDrops()


def _drop_pg_database(url: str) -> None:
    """Drops the database in the background (it is never used again); the session waits
    for every drop before its end."""
    _DROPS.drop(url)
