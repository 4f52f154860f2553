"""The access log's single lock (PostgreSQL: an advisory lock; every push, webhook outcome
and console action appends to the log) is taken just before the commit of the unit of
work that appends, never while the rest of its work is done; its events still commit
with that work, or not at all; a session idle holding it is ended by the server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from hub.audit.log import _PG_LOCK_KEY
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.audit import trail as audit
from hub.store.uow import at_commit
from tests.conftest import _drop_pg_database, _fresh_pg_database
from tests.fakes.publisher import RecordingPublisher


def log_lock_free(hub) -> bool:
    """Whether another session may take the log's lock now (it lets it go at once)."""
    with hub.engine.connect() as other:
        return bool(other.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(_PG_LOCK_KEY))))


def test_an_access_event_takes_the_log_lock_at_commit_and_commits_with_the_work(hub):
    with hub.uow() as uow:
        hub.audit.append_within(uow.connection, [
            audit.event(hub, "audit_view", "commune-ambert", user="committed")])
        uow.members.get("commune-ambert")  # the rest of the work
        if uow.dialect == "postgresql":  # SQLite: the transaction's write lock is the log's
            assert log_lock_free(hub)
        uow.commit()
    with hub.uow() as uow:
        hub.audit.append_within(uow.connection, [
            audit.event(hub, "audit_view", "commune-ambert", user="rolled-back")])
    assert [e.actor_user for e in hub.audit.search(user="committed")] == ["committed"]
    assert hub.audit.search(user="rolled-back") == []


@pytest.fixture
def pg_hub(postgres_url, tmp_path, monkeypatch) -> Iterator[Hub]:
    """A hub with the shipped settings on a PostgreSQL database of its own, but for its
    sessions' idle limit (2 min: longer than the log lock's 1 min, to tell them apart)."""
    monkeypatch.delenv("PGOPTIONS", raising=False)
    url = _fresh_pg_database(postgres_url)
    hub = Hub.from_settings(Settings(data_dir=tmp_path / "data", database_url=url,
                                     database_idle_in_transaction_timeout_s=120),
                            publisher=RecordingPublisher())
    try:
        yield hub
    finally:
        hub.close()
        _drop_pg_database(url)


def test_a_session_holding_the_log_lock_has_an_idle_limit_of_that_transaction_only(pg_hub):
    """PostgreSQL ends a session idle holding the log's lock after HUB_AUDIT_LOCK_IDLE_
    TIMEOUT_S (its process paused inside a commit); before the lock, and after the
    commit, the session's own setting (HUB_DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_S) is in
    force."""
    hub = pg_hub
    show = sa.text("SELECT current_setting('idle_in_transaction_session_timeout')")
    seen: list[str] = []
    with hub.uow() as uow:
        hub.audit.append_within(uow.connection, [
            audit.event(hub, "audit_view", "commune-ambert", user="limited")])
        at_commit(uow.connection, lambda: seen.append(uow.connection.scalar(show)))
        seen.append(uow.connection.scalar(show))
        uow.commit()
        seen.append(uow.connection.scalar(show))
    assert seen == ["2min", "1min", "2min"]
