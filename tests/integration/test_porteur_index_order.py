"""The coordination's index pages "oldest news first" (the meeting's lists, the porteurs
page sorted by news) with the porteurs without news first, then by id, whatever the
page: the same order as one query sorting every matching row."""

import datetime as dt

import pytest
import sqlalchemy as sa

from hub.store.porteur_index_repository import Filters, PorteurIndex
from hub.store.porteur_index_tables import porteur_index

pytestmark = pytest.mark.integration

TODAY = dt.date(2026, 12, 4)


def _rows() -> list[dict]:
    now = dt.datetime(2026, 12, 4, tzinfo=dt.UTC)
    return [{"porteur_id": f"prt_{n:04d}", "stage": "idee", "active": n % 7 != 0,
             "commune_insee": None, "commune": None,
             "first_contact": TODAY - dt.timedelta(days=400),
             "last_news": None if n % 5 == 0 else TODAY - dt.timedelta(days=n % 90),
             "has_referent": n % 3 != 0, "has_parrain": False, "refreshed_at": now}
            for n in range(120)]


def _expected(conn, conditions, limit, offset) -> list[str]:
    index = porteur_index.c
    query = (sa.select(index.porteur_id).where(*conditions)
             .order_by(index.last_news.asc().nulls_first(), index.porteur_id)
             .limit(limit).offset(offset))
    return [row[0] for row in conn.execute(query)]


@pytest.mark.parametrize(("limit", "offset"), [(10, 0), (30, 0), (10, 5), (10, 12), (10, 40),
                                               (500, 0), (10, 500)])
def test_pages_sorted_by_news_put_porteurs_without_news_first_across_pages(
        db_engine, limit, offset):
    with db_engine.begin() as conn:
        conn.execute(sa.insert(porteur_index), _rows())
    index = porteur_index.c
    with db_engine.connect() as conn:
        repository = PorteurIndex(conn)
        without_referent = Filters(without_referent=True)
        assert repository.page(without_referent, "nouvelles", False, limit, offset) == \
            _expected(conn, [index.active.is_(True), sa.not_(index.has_referent)],
                      limit, offset)
        before = TODAY - dt.timedelta(days=30)
        stalled, _ = repository.stalled(Filters(), before, limit, count=False)
        assert stalled == _expected(conn, [
            index.active.is_(True), index.has_referent,
            sa.or_(index.last_news.is_(None), index.last_news <= before)], limit, 0)
        assert stalled[:1] and stalled[0] == "prt_0005"  # without news, first of all
