"""The DPO's consents page read in the database: the consents of the fiches the hub
holds counted by member and status, and a page of the ended ones (withdrawn or expired),
rather than every consent read and opened to count them (`uow.consent_overview`).

A consent's status at `now` is the consent registry's rule (`ConsentRecord.status`): a
withdrawal dated at or before `now` wins over expiry."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from hub.store.records import EndedConsent
from hub.store.tables import fiches

_TIME = sa.DateTime(timezone=True)
_consents = sa.table("consents", sa.column("id"), sa.column("member_id"),
                     sa.column("fiche_id"), sa.column("expires_at", _TIME))
_states = sa.table("consent_states", sa.column("consent_id"), sa.column("state"),
                   sa.column("at", _TIME))


class ConsentOverview:
    def __init__(self, connection: sa.Connection) -> None:
        self.conn = connection

    def counts(self, now: dt.datetime) -> dict[str, dict[str, int]]:
        """Per member, how many of its consents are in each status at `now`."""
        rows = _held(now)
        query = sa.select(rows.c.member_id, rows.c.status, sa.func.count()).group_by(
            rows.c.member_id, rows.c.status)
        found: dict[str, dict[str, int]] = {}
        for member_id, status, count in self.conn.execute(query):
            found.setdefault(member_id, {})[status] = count
        return found

    def ended(self, now: dt.datetime, offset: int, limit: int) -> list[EndedConsent]:
        """The withdrawn and expired ones, most recently ended first, `limit` from `offset`."""
        rows = _held(now)
        query = (sa.select(rows).where(rows.c.status != "active")
                 .order_by(rows.c.ended_at.desc(), rows.c.consent_id)
                 .offset(offset).limit(limit))
        return [EndedConsent(row.consent_id, row.member_id, row.status, _utc(row.ended_at))
                for row in self.conn.execute(query)]


def _held(now: dt.datetime) -> Any:
    """The consents of the fiches the hub holds, each with its status at `now` and when it
    ended (its withdrawal, else its expiry)."""
    c, withdrawal = _consents.c, _states.alias("withdrawal")
    at = sa.bindparam("now", now.astimezone(dt.UTC), type_=_TIME)
    status = sa.case((withdrawal.c.at <= at, "withdrawn"), (c.expires_at <= at, "expired"),
                     else_="active")
    held = sa.exists().where(fiches.c.member_id == c.member_id, fiches.c.fiche_id == c.fiche_id)
    return (sa.select(c.id.label("consent_id"), c.member_id, status.label("status"),
                      sa.func.coalesce(withdrawal.c.at, c.expires_at).label("ended_at"))
            .select_from(_consents.outerjoin(withdrawal, sa.and_(
                withdrawal.c.consent_id == c.id, withdrawal.c.state == "withdrawn")))
            .where(held).subquery())


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
