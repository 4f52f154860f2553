"""Per-member counts over the access log, for the unusual-access rules (read-only)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

import sqlalchemy as sa

from hub.audit.rows import as_utc
from hub.store.audit_tables import audit_entries
from hub.store.engine import reader_engine

_entries = audit_entries.c


def counts_by_member(
    engine: sa.Engine, actions: Collection[str], outcome: str | None, since: datetime,
    until: datetime, *, distinct_porteurs: bool = False, origin: str | None = None,
) -> dict[str, int]:
    """Events (or distinct porteurs) per acting member in [since, until); `origin`
    "console" counts only what console accounts did, "api" only what credentials did."""
    counted = sa.func.count(sa.distinct(_entries.porteur_ref)) if distinct_porteurs else sa.func.count()
    query = (sa.select(_entries.actor_member, counted)
             .where(*_criteria(actions, outcome, since, until), *_origin(origin))
             .group_by(_entries.actor_member))
    with reader_engine(engine).connect() as conn:
        return {member: total for member, total in conn.execute(query) if total}


def times_by_member(
    engine: sa.Engine, actions: Collection[str], outcome: str | None, since: datetime,
    until: datetime,
) -> dict[str, list[datetime]]:
    """When each member acted in [since, until) (UTC)."""
    query = sa.select(_entries.actor_member, _entries.at).where(*_criteria(actions, outcome, since, until))
    found: dict[str, list[datetime]] = {}
    with reader_engine(engine).connect() as conn:
        for member, at in conn.execute(query):
            found.setdefault(member, []).append(as_utc(at))
    return found


def _criteria(actions: Collection[str], outcome: str | None, since: datetime,
              until: datetime) -> list[sa.ColumnElement[bool]]:
    criteria = [_entries.action.in_(list(actions)), _entries.at >= as_utc(since),
                _entries.at < as_utc(until)]
    if outcome is not None:
        criteria.append(_entries.outcome == outcome)
    return criteria


def _origin(origin: str | None) -> list[sa.ColumnElement[bool]]:
    if origin == "console":
        return [_entries.actor_user.is_not(None)]
    if origin == "api":
        return [_entries.actor_user.is_(None)]
    return []
