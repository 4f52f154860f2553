"""The access log's single lock (PostgreSQL: an advisory lock; every push, webhook outcome
and console action appends to the log) is taken just before the commit of the unit of
work that appends, never while the rest of its work is done; its events still commit
with that work, or not at all."""

from __future__ import annotations

import sqlalchemy as sa

from hub.audit.log import _PG_LOCK_KEY
from hub.services.audit import trail as audit


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
