"""`GET /v1/feed` cursors, on both databases: a cursor past the caller's last position
(a restore rolled positions back) is answered with the caller's real last position,
never with the cursor sent, and tells nothing of other members' positions."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from hub.services.accounts.auth import Caller
from hub.services.ingest import accept as ingest
from hub.services.ingest import processing
from hub.store.delivery_tables import deliveries, feed_positions
from tests.factories import make_fiche, record_consents
from tests.integration.contract_world import NETWORK, OWNER, RECIPIENT

pytestmark = pytest.mark.integration


def _push(contract, fiche_id: str) -> None:
    fiche = make_fiche(member=OWNER, fiche_id=fiche_id)
    record_consents(contract.hub, [fiche], roles_destinataires=["accompagnement"])
    answer = ingest.push_batch(contract.hub, Caller(OWNER, "", "commune", "accueil"), [fiche])
    assert answer["accepted"] == 1, answer
    processing.process_outbox(contract.hub, contract.hub.publisher.published[-1])


def _page(contract, member: str, after: int) -> dict:
    answer = contract.call(member, "GET", f"/v1/feed?after={after}")
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_cursor_past_the_last_position_is_answered_with_the_last_position(contract):
    _push(contract, "F-1")
    last = _page(contract, RECIPIENT, 0)["next_cursor"]
    assert last >= 1
    ahead = _page(contract, RECIPIENT, last + 1000)
    assert ahead["deliveries"] == [] and ahead["has_more"] is False
    assert ahead["next_cursor"] == last and ahead["cursor_ahead"] is True
    caught_up = _page(contract, RECIPIENT, last)
    assert caught_up["next_cursor"] == last and caught_up["cursor_ahead"] is False


def test_after_positions_roll_back_the_partner_following_next_cursor_gets_new_deliveries(contract):
    _push(contract, "F-1")
    cursor = _page(contract, RECIPIENT, 0)["next_cursor"]
    with contract.hub.engine.begin() as conn:  # a restore to a copy taken before F-1
        conn.execute(sa.delete(deliveries).where(deliveries.c.recipient_id == RECIPIENT))
        conn.execute(sa.update(feed_positions).where(feed_positions.c.member_id == RECIPIENT)
                     .values(last_position=0))
    cursor = _page(contract, RECIPIENT, cursor)["next_cursor"]
    assert cursor == 0
    _push(contract, "F-2")
    assert [d["fiche"]["fiche_id"] for d in _page(contract, RECIPIENT, cursor)["deliveries"]
            if "fiche" in d] == ["F-2"]


def test_a_cursor_ahead_tells_nothing_of_other_members_positions(contract):
    _push(contract, "F-1")
    _push(contract, "F-2")
    assert _page(contract, NETWORK, 0)["deliveries"] == []
    assert _page(contract, NETWORK, 1)["next_cursor"] == 0
    assert _page(contract, NETWORK, 10**9) == _page(contract, NETWORK, 1)


def test_has_more_is_false_on_a_page_that_holds_the_last_delivery(contract):
    """A page exactly `limit` long was `has_more: true` (a full page), and the next call
    came back empty: `has_more` now says whether a delivery follows the page."""
    _push(contract, "F-1")
    _push(contract, "F-2")
    deliveries = _page(contract, RECIPIENT, 0)["deliveries"]
    assert len(deliveries) >= 2
    exact = contract.call(RECIPIENT, "GET", f"/v1/feed?after=0&limit={len(deliveries)}").json()
    assert len(exact["deliveries"]) == len(deliveries) and exact["has_more"] is False
    short = contract.call(RECIPIENT, "GET", f"/v1/feed?after=0&limit={len(deliveries) - 1}").json()
    assert len(short["deliveries"]) == len(deliveries) - 1 and short["has_more"] is True
