"""A statement under way when the database stops answering (hung, stopped, a network that
drops packets: `TcpProxy.freeze()`): after `probe_s` of silence the client asks the server
on a new connection whether it answers at all. No answer within the connect timeout:
the statement fails as a store timeout within seconds, not at the statement timeout plus
5 s (35 s by default). A server that is only slow answers the probe, and the statement
runs to its end. TCP keepalives cannot tell either case: the kernel of a stopped server
(or of the proxy here) still acknowledges them."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from hub.errors import StoreTimeout
from hub.store.deadlines import Deadlines
from hub.store.engine import create_engine, store_errors
from tests.conftest import _drop_pg_database, _fresh_pg_database
from tests.integration.scale import wait_until
from tests.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.integration]

# The statement timeout is long: without the probe the client waits 125 s.
DEADLINES = Deadlines(connect_s=2, statement_s=120, probe_s=1)


@pytest.fixture
def database(postgres_url) -> Iterator[str]:
    """A database of the test's own: the statement left sleeping on the server when the
    client gives up must not hold the session's template (other tests copy it)."""
    url = _fresh_pg_database(postgres_url)
    yield url
    _drop_pg_database(url)  # WITH (FORCE): ends that statement too


def _through(proxy: TcpProxy, url: str) -> str:
    return sa.engine.make_url(url).set(port=proxy.port).render_as_string(False)


def _sleep_in_thread(engine: sa.Engine, seconds: float) -> tuple[threading.Thread, list]:
    outcome: list = []

    def run() -> None:
        try:
            with store_errors(), engine.connect() as conn:
                conn.exec_driver_sql(f"SELECT pg_sleep({seconds})")
            outcome.append("answered")
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def _sleeping(observer: sa.Engine) -> bool:
    with observer.connect() as conn:
        return bool(conn.exec_driver_sql(
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
            "AND datname = current_database() AND query = 'SELECT pg_sleep(30)'").scalar_one())


def _statement_under_way_when_silent(database: str, deadlines: Deadlines) -> list:
    """What a 30 s statement under way gets when the connection goes silent (within a
    minute: empty if nothing came back)."""
    proxy = TcpProxy(sa.engine.make_url(database).port or 5432)
    engine = create_engine(_through(proxy, database), deadlines=deadlines)
    observer = sa.create_engine(database, poolclass=sa.pool.NullPool)
    try:
        thread, outcome = _sleep_in_thread(engine, 30)
        wait_until(lambda: _sleeping(observer), 30, "the statement under way")
        proxy.freeze()  # the connection stays open, nothing comes back
        thread.join(60)
        return outcome
    finally:
        proxy.close()
        engine.dispose()
        observer.dispose()


def test_a_statement_under_way_when_the_database_goes_silent_fails_after_a_probe(database):
    outcome = _statement_under_way_when_silent(database, DEADLINES)  # before: 125 s
    assert outcome, "no answer within a minute"
    assert isinstance(outcome[0], StoreTimeout), outcome


def test_a_slow_statement_of_a_server_that_answers_the_probe_runs_to_its_end(database):
    proxy = TcpProxy(sa.engine.make_url(database).port or 5432)
    engine = create_engine(_through(proxy, database), deadlines=DEADLINES)
    try:
        thread, outcome = _sleep_in_thread(engine, 4)  # four probes, each answered
        thread.join(60)
        assert outcome == ["answered"]
    finally:
        proxy.close()
        engine.dispose()


def test_every_exchange_goes_through_the_watch_even_one_that_ends_at_once(database):
    """Setting autocommit (the ping before a pooled connection is used) ends without
    waiting: the watch once raised RuntimeError on it."""
    engine = create_engine(database, deadlines=DEADLINES)
    try:
        for _ in range(2):  # the second checkout pings the pooled connection
            with engine.connect() as conn:
                assert conn.exec_driver_sql("SELECT 1").scalar_one() == 1
    finally:
        engine.dispose()


def test_the_probe_is_bounded_even_with_no_connect_timeout(database):
    """`HUB_DATABASE_CONNECT_TIMEOUT_S=0` ("no limit") left the probe's own connection to
    libpq's default of 130 s: a silent database failed the statement after some 2 minutes."""
    outcome = _statement_under_way_when_silent(
        database, Deadlines(connect_s=0, statement_s=120, probe_s=1))
    assert outcome, "no answer within a minute"
    assert isinstance(outcome[0], StoreTimeout), outcome


def test_slow_statements_waiting_together_share_one_probe(database):
    """Each waiter once opened its own probe connection every `probe_s`: 20 statements of
    3 s opened 40 or more, and many slow but healthy statements could take the server's
    last free connections. Now one probe at a time, its answer shared while recent."""
    statements = 20
    proxy = TcpProxy(sa.engine.make_url(database).port or 5432)
    engine = create_engine(_through(proxy, database), deadlines=DEADLINES, pool_size=statements)
    try:
        runs = [_sleep_in_thread(engine, 3) for _ in range(statements)]
        for thread, _ in runs:
            thread.join(60)
        assert [outcome for _, outcome in runs] == [["answered"]] * statements
        probes = proxy.accepted - statements  # each statement's own connection, then probes
        assert 0 < probes < statements, probes
    finally:
        proxy.close()
        engine.dispose()
