"""Requests refused at the lock deadline give their connection back: another process
holding SQLite's write lock (`BEGIN EXCLUSIVE`, past the hub's writer turns) or the access
log's table locked on PostgreSQL, every console page and form (coordination, DPO,
administration) and API operation that writes answers its 503 at the lock deadline, and
leaves no connection checked out. The API process runs with the collector's thresholds
raised (hub.collector), so a connection held by a refused BEGIN's traceback stayed out of
the pool for minutes: after as many refusals as the pool holds, every request waited for a
free connection (HUB_DATABASE_POOL_TIMEOUT_S, 10 s) instead of the lock deadline. The
collector is off here while the store is held, as it nearly is in `capactif serve`."""

from __future__ import annotations

import contextlib
import gc
import itertools
import sqlite3
from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa

from hub.store.engine import reader_engine
from tests.factories import Credentials
from tests.integration import test_console_store_timeout as console_store
from tests.integration.test_console_store_timeout import LOCK_S, signed_in
from tests.integration.test_console_store_timeout import store_held as log_table_locked
from tests.waiting import wait_until

pytestmark = pytest.mark.integration
world = console_store.world  # the fixture: the console's world served, LOCK_S its deadline

MEMBER = "cci-puy-de-dome"
# (account, method, path, form fields besides the anti-forgery token); "api": the member's
# signed request. Each appends to the access log, but the list of accounts: on SQLite it
# still writes (the session's last use), on PostgreSQL it is answered while the log's table
# is locked.
LOGS_NOTHING = ("GET", "/console/admin/comptes")
ROUTES = [
    ("dpo", "GET", "/console/dpo/journal?membre=commune-ambert", None),
    ("dpo", "GET", "/console/dpo/alertes", None),
    ("dpo", "GET", "/console/dpo/consentements", None),
    ("dpo", "POST", "/console/dpo/personne", {"qui": "Faurelliat"}),
    ("dpo", "POST", "/console/dpo/export", {}),
    ("admin", "GET", "/console/admin/comptes", None),
    ("coord", "GET", "/console/coordination/porteurs", None),
    ("coord", "GET", "/console/coordination/porteurs/{porteur}", None),
    ("api", "GET", "/v1/feed?after=0", None),
    ("api", "GET", "/v1/porteurs/{porteur}", None),
]


@pytest.fixture
def callers(world, tmp_path) -> Iterator[dict]:
    """The world's accounts signed in to the console, and a member calling the API."""
    clients = {login: signed_in(world["base"], login) for login in ("dpo", "admin", "coord")}
    api = httpx.Client(base_url=world["base"], timeout=60)
    yield {**world, "clients": clients, "api": api,
           "member": Credentials(tmp_path / "credentials" / f"{MEMBER}.json")}
    for client, _csrf in clients.values():
        client.close()
    api.close()


@contextlib.contextmanager
def store_held(db_url: str) -> Iterator[None]:
    """SQLite: another process's write transaction, which takes no writer turn of the
    hub; PostgreSQL: the access log's table locked by another session."""
    if db_url.startswith("sqlite"):
        other = sqlite3.connect(sa.engine.make_url(db_url).database, isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")
            other.close()
        return
    with log_table_locked(db_url):
        yield


@contextlib.contextmanager
def collector_off() -> Iterator[None]:
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _answer(world: dict, route: tuple) -> httpx.Response:
    login, method, path, form = route
    path = path.format(porteur=world["porteur"])
    if login == "api":
        return world["api"].request(method, path, headers=world["member"].headers(method, path))
    client, csrf = world["clients"][login]
    return client.request(method, path, data=None if form is None else {"csrf": csrf, **form})


def _lock_deadline_on_a_connection(engine: sa.Engine) -> str:
    """The lock deadline as the database has it on a connection of the hub's pool."""
    with reader_engine(engine).connect() as conn:  # no writer's turn: SQLite's is held
        if conn.dialect.name == "sqlite":
            return f"{conn.exec_driver_sql('PRAGMA busy_timeout').scalar()} ms"
        return str(conn.exec_driver_sql("SHOW lock_timeout").scalar())


def test_requests_refused_at_the_lock_deadline_leave_no_connection_checked_out(callers):
    world = callers
    engine = world["hub"].engine
    deadline = _lock_deadline_on_a_connection(engine)
    assert deadline in (f"{LOCK_S * 1000:.0f} ms", f"{LOCK_S:.0f}s"), deadline
    pool_holds = engine.pool.size() + engine.pool._max_overflow  # type: ignore[attr-defined]
    answers, left_out = [], []
    with collector_off(), store_held(world["db_url"]):
        for route in itertools.islice(itertools.cycle(ROUTES), 2 * pool_holds):
            answer = _answer(world, route)
            answers.append((route[1], route[2], answer.status_code,
                            answer.headers.get("retry-after")))
            left_out.append(engine.pool.checkedout())
        held_deadline = _lock_deadline_on_a_connection(engine)
    on_postgresql = not world["db_url"].startswith("sqlite")
    refused = [seen for seen in answers if seen[2:] != (
        (200, None) if on_postgresql and seen[:2] == LOGS_NOTHING else (503, "5"))]
    assert not refused, refused
    assert left_out == [0] * len(answers), left_out
    assert held_deadline == deadline  # the connection's own, not a wait for the pool
    _login, method, path, _form = ROUTES[0]
    wait_until(lambda: _answer(world, ROUTES[0]).status_code == 200, 30,
               f"{method} {path} once the store is free")
