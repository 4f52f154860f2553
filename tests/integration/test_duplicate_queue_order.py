"""The duplicate queue sorted by probability or by age and paged in the database, on
both databases: extra open items are copies of the console world's pair with their
own probability and opening time."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from hub.errors import BadRequest
from hub.services.console import duplicates_console as queue
from hub.store.matching_tables import review_items

pytestmark = pytest.mark.integration
# (probability, days since the item was opened)
EXTRA = [(0.55, 30), (0.99, 2), (0.71, 90), (0.62, 10), (0.93, 45)]


@pytest.fixture
def queued(coordination):
    hub = coordination["hub"]
    with hub.engine.begin() as conn:
        [pair] = conn.execute(sa.select(review_items).where(review_items.c.status == "open"))
        now = hub.clock()
        conn.execute(sa.insert(review_items), [
            {**{c: getattr(pair, c) for c in pair._fields if c != "id"},
             "probability": p, "opened_at": now - dt.timedelta(days=d)} for p, d in EXTRA])
        rows = list(conn.execute(sa.select(review_items.c.id, review_items.c.probability,
                                           review_items.c.opened_at)
                                 .where(review_items.c.status == "open")))
    return {**coordination, "rows": rows}


def _ids(rows, key, reverse=False):
    return [r.id for r in sorted(rows, key=lambda r: (key(r), r.id) if not reverse else
                                 (-key(r), r.id))]


@pytest.mark.parametrize(("order", "expected"), [
    ("probabilite", lambda rows: _ids(rows, lambda r: r.probability, reverse=True)),
    ("probabilite_basse", lambda rows: _ids(rows, lambda r: r.probability)),
    ("anciennete", lambda rows: _ids(rows, lambda r: r.opened_at.timestamp())),
    ("recents", lambda rows: _ids(rows, lambda r: r.opened_at.timestamp(), reverse=True)),
])
def test_the_queue_sorts_by_probability_or_age_across_its_pages(queued, order, expected):
    hub, session = queued["hub"], queued["session"]
    first = queue.review_queue(hub, session, order=order, page=1, per_page=4)
    second = queue.review_queue(hub, session, order=order, page=2, per_page=4)
    assert first["total"] == len(queued["rows"]) == 6 and first["pages"] == 2
    assert [i["id"] for i in first["items"] + second["items"]] == expected(queued["rows"])


def test_a_page_past_the_last_shows_the_last_and_an_unknown_order_is_refused(queued):
    hub, session = queued["hub"], queued["session"]
    assert queue.review_queue(hub, session, page=99, per_page=4)["page"] == 2
    with pytest.raises(BadRequest):
        queue.review_queue(hub, session, order="hasard")
