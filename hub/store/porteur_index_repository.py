"""Reads and writes of the coordination's index of porteurs (`porteur_index_tables`):
what changed since the index last followed, the rows of refreshed porteurs, and the
filtered, sorted, paged query the porteurs page runs."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from hub.store.porteur_index_tables import (
    porteur_figure_members,
    porteur_figures,
    porteur_index,
    porteur_index_marks,
    porteur_index_members,
    porteur_search_keys,
)
from hub.store.records import IndexMarks, record_of
from hub.store.tables import fiche_links, fiches

# Rows written by transactions still open when the index last looked carry earlier
# times: look back this far again (re-reading a porteur twice is harmless).
LOOKBACK = dt.timedelta(minutes=2)
_CHUNK = 500
_consents = sa.table("consents", sa.column("id"), sa.column("member_id"), sa.column("fiche_id"),
                     sa.column("expires_at"), sa.column("recorded_at"))
_consent_states = sa.table("consent_states", sa.column("id"), sa.column("consent_id"))
_erasures = sa.table("erasures", sa.column("id"), sa.column("porteur_id"),
                     sa.column("requested_at"))
SORTS = {
    "premier_contact": porteur_index.c.first_contact,
    "nouvelles": porteur_index.c.last_news,
    "etape": porteur_index.c.stage,
    "commune": porteur_index.c.commune,
    "referent": porteur_index.c.has_referent,
    "parrain": porteur_index.c.has_parrain,
}


@dataclasses.dataclass(frozen=True)
class Filters:
    """What the porteurs page asks for; empty means no filter."""

    search_digests: tuple[str, ...] = ()
    member: str | None = None
    communes: tuple[str, ...] = ()
    stage: str | None = None
    active: bool | None = True
    since: dt.date | None = None
    until: dt.date | None = None
    without_referent: bool = False
    without_parrain: bool = False


class PorteurIndex:
    def __init__(self, connection: sa.Connection) -> None:
        self.conn = connection

    # --- following the changes ---------------------------------------------------------
    def marks(self, *, lock: bool = False) -> IndexMarks | None:
        """The marks row (locked until commit with `lock`, so that writers of the index
        take turns; a SQLite transaction holds the write lock already); None before the
        first build."""
        query = sa.select(porteur_index_marks).where(porteur_index_marks.c.id == 1)
        if lock and self.conn.dialect.name != "sqlite":
            query = query.with_for_update()
        return record_of(IndexMarks, self.conn.execute(query).first())

    def save_marks(self, values: dict[str, Any]) -> None:
        if self.conn.execute(sa.update(porteur_index_marks).where(porteur_index_marks.c.id == 1)
                             .values(**values)).rowcount == 0:
            self.conn.execute(sa.insert(porteur_index_marks).values(id=1, **values))

    def positions(self, now: dt.datetime) -> dict[str, Any]:
        """Where each source of change stands `now`."""
        return {
            "fiche_time": now,
            "link_id": self.conn.scalar(sa.select(sa.func.max(fiche_links.c.id))) or 0,
            "link_time": now,
            "consent_state_id": self.conn.scalar(sa.select(sa.func.max(_consent_states.c.id))) or 0,
        }

    def touched(self, marks: IndexMarks, now: dt.datetime) -> set[str]:
        """Porteurs whose fiches, links, consents or erasures changed since `marks`."""
        queries = [sa.select(fiche_links.c.porteur_id).where(fiche_links.c.id > marks.link_id)]
        if marks.fiche_time is not None:
            queries.append(sa.select(fiches.c.porteur_id).where(
                fiches.c.updated_at > marks.fiche_time - LOOKBACK))
        if marks.link_time is not None:
            queries.append(sa.select(fiche_links.c.porteur_id).where(
                fiche_links.c.unlinked_at > marks.link_time - LOOKBACK))
        else:
            queries.append(sa.select(fiche_links.c.porteur_id).where(
                fiche_links.c.unlinked_at.is_not(None)))
        changed_consents = sa.select(_consent_states.c.consent_id).where(
            _consent_states.c.id > marks.consent_state_id)
        since = (marks.checked_at or now) - LOOKBACK
        consent_fiches = sa.select(_consents.c.member_id, _consents.c.fiche_id).where(sa.or_(
            _consents.c.id.in_(changed_consents),
            sa.and_(_consents.c.expires_at > since, _consents.c.expires_at <= now),
            _consents.c.recorded_at > since))
        queries.append(sa.select(fiches.c.porteur_id).where(
            sa.tuple_(fiches.c.member_id, fiches.c.fiche_id).in_(consent_fiches)))
        queries.append(sa.select(_erasures.c.porteur_id).where(_erasures.c.requested_at > since))
        return {row[0] for row in self.conn.execute(sa.union(*queries)) if row[0]}

    def every_porteur(self) -> list[str]:
        query = sa.select(fiches.c.porteur_id).where(fiches.c.porteur_id.is_not(None)).distinct()
        return sorted(row[0] for row in self.conn.execute(query))

    def replace(self, porteur_ids: Sequence[str], rows: Sequence[dict[str, Any]],
                members: Sequence[dict[str, str]], digests: Sequence[dict[str, str]]) -> None:
        """The index rows of `porteur_ids` become `rows` (absent: no longer visible)."""
        for chunk in _chunks(list(porteur_ids)):
            for table in (porteur_index, porteur_index_members, porteur_search_keys):
                self.conn.execute(sa.delete(table).where(table.c.porteur_id.in_(chunk)))
        for table, values in ((porteur_index, rows), (porteur_index_members, members),
                              (porteur_search_keys, digests)):
            if values:
                self.conn.execute(sa.insert(table), list(values))

    def erasures_of(self, porteur_ids: Sequence[str]) -> set[tuple[str, str]]:
        """(erasure id, porteur id) of every erasure naming one of `porteur_ids`: read
        before and again after a refresh reads them, the difference names the porteurs
        an erasure took meanwhile, whatever its clock said."""
        found: set[tuple[str, str]] = set()
        for chunk in _chunks(list(porteur_ids)):
            query = sa.select(_erasures.c.id, _erasures.c.porteur_id).where(
                _erasures.c.porteur_id.in_(chunk))
            found |= {(row[0], row[1]) for row in self.conn.execute(query)}
        return found

    def forget(self, porteur_ids: Sequence[str]) -> None:
        """Every row of `porteur_ids`, search digests included (an erasure: the next
        refresh rebuilds what other fiches of theirs still show)."""
        self.replace(porteur_ids, (), (), ())
        self.replace_figures(porteur_ids, (), ())

    def replace_figures(self, porteur_ids: Sequence[str], rows: Sequence[dict[str, Any]],
                        members: Sequence[dict[str, str]]) -> None:
        """The steering committee's figures of `porteur_ids` become `rows`."""
        for chunk in _chunks(list(porteur_ids)):
            for table in (porteur_figures, porteur_figure_members):
                self.conn.execute(sa.delete(table).where(table.c.porteur_id.in_(chunk)))
        for table, values in ((porteur_figures, rows), (porteur_figure_members, members)):
            if values:
                self.conn.execute(sa.insert(table), list(values))

    # --- the indicators ----------------------------------------------------------------
    def figures(self, first: str | None, last: str | None,
                by: str) -> list[tuple[Any, ...]]:
        """(key, counted, with a referent, installed, financed by a PFIL) per month of
        first contact (`by` "month") or per member following (`by` "member"), for
        porteurs first met in months [first, last]."""
        table = porteur_figure_members if by == "member" else porteur_figures
        figures = table.c
        key = figures.member_id if by == "member" else figures.first_month
        flags = [sa.func.coalesce(sa.func.sum(sa.case((column, 1), else_=0)), 0)
                 for column in (figures.avec_referent, figures.installations,
                                figures.finances_pfil)]
        conditions: list[sa.ColumnElement[bool]] = [figures.first_month.is_not(None)]
        if first:
            conditions.append(figures.first_month >= first)
        if last:
            conditions.append(figures.first_month <= last)
        query = (sa.select(key, sa.func.count(), *flags).where(*conditions)
                 .group_by(key).order_by(key))
        return [tuple(row) for row in self.conn.execute(query)]

    def not_counted(self) -> int:
        """Porteurs none of whose fiches may be counted in the statistics."""
        return int(self.conn.scalar(sa.select(sa.func.count()).select_from(porteur_figures)
                                    .where(porteur_figures.c.first_month.is_(None))) or 0)

    def first_months(self) -> tuple[str | None, str | None]:
        """The earliest and latest dated month of first contact."""
        month = porteur_figures.c.first_month
        first, last = self.conn.execute(sa.select(sa.func.min(month), sa.func.max(month)).where(
            month.is_not(None), month != "9999-99")).one()
        return first, last

    # --- the porteurs page -------------------------------------------------------------
    def page(self, filters: Filters, sort: str, descending: bool, limit: int,
             offset: int) -> list[str]:
        """One page of porteur ids. Sort `attention` (the default): without a referent
        first, then those with the oldest news (so those without news for weeks come
        before the others), on the index
        `ix_porteur_index_attention`."""
        index = porteur_index.c
        if sort == "nouvelles" and not descending:
            return self._oldest_news_first(self._conditions(filters), limit, offset)
        if sort in SORTS:
            column = SORTS[sort]
            order = [column.desc().nulls_last() if descending else column.asc().nulls_first()]
        else:  # the oldest news first is also "without news for weeks" first
            order = [index.has_referent.asc(), index.last_news.asc().nulls_first()]
        query = (sa.select(index.porteur_id).where(*self._conditions(filters))
                 .order_by(*order, index.porteur_id).limit(limit).offset(offset))
        return [row[0] for row in self.conn.execute(query)]

    def summary(self, filters: Filters, stalled_before: dt.date) -> dict[str, int]:
        """How many porteurs match, how many lack a referent, how many with a referent
        have had no news since `stalled_before`."""
        index = porteur_index.c
        stalled = sa.and_(index.has_referent, sa.or_(index.last_news.is_(None),
                                                     index.last_news <= stalled_before))
        query = sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(sa.case((sa.not_(index.has_referent), 1), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case((stalled, 1), else_=0)), 0),
        ).where(*self._conditions(filters))
        total, without, silent = self.conn.execute(query).one()
        return {"total": int(total), "sans_referent": int(without), "sans_nouvelles": int(silent)}

    def stalled(self, filters: Filters, stalled_before: dt.date, limit: int, *,
                count: bool = True) -> tuple[list[str], int | None]:
        """Porteurs with a referent but no news since `stalled_before` (oldest news
        first, at most `limit`), and how many there are (None without `count`)."""
        index = porteur_index.c
        conditions = [*self._conditions(filters), index.has_referent,
                      sa.or_(index.last_news.is_(None), index.last_news <= stalled_before)]
        ids = self._oldest_news_first(conditions, limit, 0)
        if not count:
            return ids, None
        total = self.conn.scalar(sa.select(sa.func.count()).select_from(porteur_index)
                                 .where(*conditions))
        return ids, int(total or 0)

    def _oldest_news_first(self, conditions: list[Any], limit: int, offset: int) -> list[str]:
        """Ids ordered by last news, those without news first, then by id: the porteurs
        without news, then the others, in two queries that each follow the order of an
        index (`ix_porteur_index_attention`: one query sorting nulls first would sort every
        matching row, tens of thousands, to keep a page)."""
        index = porteur_index.c
        silent = [row[0] for row in self.conn.execute(
            sa.select(index.porteur_id).where(*conditions, index.last_news.is_(None))
            .order_by(index.porteur_id).limit(offset + limit))]
        ids = silent[offset:]
        if len(ids) == limit:
            return ids
        dated = (sa.select(index.porteur_id).where(*conditions, index.last_news.is_not(None))
                 .order_by(index.last_news.asc(), index.porteur_id)
                 .limit(limit - len(ids)).offset(max(0, offset - len(silent))))
        return ids + [row[0] for row in self.conn.execute(dated)]

    def holding_all(self, digests: Sequence[str], limit: int) -> list[str]:
        """Porteurs holding every one of `digests` (at most `limit`)."""
        query = _holding_all(digests).order_by(porteur_search_keys.c.porteur_id).limit(limit)
        return [row[0] for row in self.conn.execute(query)]

    def count_holding_all(self, digests: Sequence[str]) -> int:
        """How many porteurs hold every one of `digests`."""
        query = sa.select(sa.func.count()).select_from(_holding_all(digests).subquery())
        return int(self.conn.scalar(query) or 0)

    def fiche_holders(self, porteur_ids: Sequence[str]) -> dict[str, list[str]]:
        """The members holding a fiche of each porteur."""
        query = (sa.select(fiches.c.porteur_id, fiches.c.member_id)
                 .where(fiches.c.porteur_id.in_(list(porteur_ids))).distinct()
                 .order_by(fiches.c.porteur_id, fiches.c.member_id))
        found: dict[str, list[str]] = {}
        for porteur_id, member_id in self.conn.execute(query):
            found.setdefault(porteur_id, []).append(member_id)
        return found

    def communes(self) -> list[tuple[str, str]]:
        """(INSEE code, name) of the communes of the indexed projects."""
        query = (sa.select(porteur_index.c.commune_insee, sa.func.max(porteur_index.c.commune))
                 .where(porteur_index.c.commune_insee.is_not(None))
                 .group_by(porteur_index.c.commune_insee))
        return sorted(((code, name or code) for code, name in self.conn.execute(query)),
                      key=lambda pair: pair[1])

    def _conditions(self, filters: Filters) -> list[Any]:
        index = porteur_index.c
        conditions: list[Any] = []
        if filters.search_digests:
            digests = list(filters.search_digests)
            conditions.append(index.porteur_id.in_(
                sa.select(porteur_search_keys.c.porteur_id)
                .where(porteur_search_keys.c.digest.in_(digests))
                .group_by(porteur_search_keys.c.porteur_id)
                .having(sa.func.count(sa.distinct(porteur_search_keys.c.digest)) == len(digests))))
        if filters.member:
            conditions.append(index.porteur_id.in_(
                sa.select(porteur_index_members.c.porteur_id)
                .where(porteur_index_members.c.member_id == filters.member)))
        if filters.communes:
            conditions.append(index.commune_insee.in_(list(filters.communes)))
        if filters.stage:
            conditions.append(index.stage == filters.stage)
        if filters.active is not None:
            conditions.append(index.active.is_(filters.active))
        if filters.since:
            conditions.append(index.first_contact >= filters.since)
        if filters.until:
            conditions.append(index.first_contact <= filters.until)
        if filters.without_referent:
            conditions.append(sa.not_(index.has_referent))
        if filters.without_parrain:
            conditions.append(sa.not_(index.has_parrain))
        return conditions


def _chunks(items: list[Any], size: int = _CHUNK) -> Iterable[list[Any]]:
    return (items[i:i + size] for i in range(0, len(items), size))


def _holding_all(digests: Sequence[str]) -> sa.Select[Any]:
    keys = porteur_search_keys.c
    return (sa.select(keys.porteur_id).where(keys.digest.in_(list(digests)))
            .group_by(keys.porteur_id)
            .having(sa.func.count(sa.distinct(keys.digest)) == len(set(digests))))
