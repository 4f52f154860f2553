"""A member's DELETE of a fiche racing another erasure of the same fiche (the porteur's,
or a second DELETE). Each side checked the fiche (present, not erased) in a transaction
of its own, then erased it in another: an erasure committing in between was not seen.
A DELETE coming last then renamed the erased fiche `~retrait~` and freed its id, so the
member's next export pushed the person's data in again (accepted, readable), and two
DELETEs made two erasures, each member notified twice. Now the erasing transaction holds
the porteur and checks the fiche again: the later side answers as it would have one
after the other. Each race is stepped, never timed: the other side runs, whole, between
the first side's check and its erasing transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from hub.errors import HubError
from hub.services.accounts.auth import Caller
from hub.services.ingest import accept
from hub.services.privacy import erasure
from tests.factories import make_fiche, record_consents

pytestmark = pytest.mark.integration

OWNER = Caller("cci-puy-de-dome", "CCI", "cci", "accompagnement")


def _fiche(version: int) -> dict:
    return make_fiche(member=OWNER.member_id, fiche_id="F-1", version=version)


@pytest.fixture
def pushed(hub) -> Iterator[Any]:
    first = _fiche(1)
    record_consents(hub, [first])
    assert accept.push_batch(hub, OWNER, [first])["accepted"] == 1
    yield hub


def _between_check_and_erasure(hub, monkeypatch, other: Callable[[], Any]) -> list[Any]:
    """Run `other` once, whole, when the next erasure has checked its fiches and not yet
    opened its erasing transaction (proofs are forgotten in between)."""
    forget, done = hub.consents.forget_proofs, []

    def then_other(keys):
        if not done:
            done.append(None)
            try:
                done[0] = other()
            except HubError as refused:
                done[0] = refused
        return forget(keys)

    monkeypatch.setattr(hub.consents, "forget_proofs", then_other)
    return done


def _erasures(hub) -> list[str]:
    with hub.engine.connect() as conn:
        return list(conn.scalars(sa.text("SELECT id FROM erasures")))


def _pushed_again(hub) -> dict:
    return accept.push_batch(hub, OWNER, [_fiche(2)])["results"][0]


def _delete(hub) -> Any:
    return erasure.delete_fiche(hub, OWNER, OWNER.member_id, "F-1")


def test_a_delete_after_the_porteurs_erasure_committed_never_frees_the_fiche_id(
        pushed, monkeypatch):
    hub = pushed
    other = _between_check_and_erasure(
        hub, monkeypatch, lambda: erasure.request_erasure(hub, OWNER, {"fiche_id": "F-1"}))
    with pytest.raises(HubError) as refused:
        _delete(hub)
    assert other[0]["motif"] == "demande_du_porteur", other
    assert refused.value.code in ("already_erased", "not_found"), refused.value.code
    assert len(_erasures(hub)) == 1
    again = _pushed_again(hub)
    assert again["status"] == "rejected", again
    assert [e["code"] for e in again["errors"]] == ["fiche_erased"], again


def test_two_deletes_of_one_fiche_make_one_erasure(pushed, monkeypatch):
    hub = pushed
    other = _between_check_and_erasure(hub, monkeypatch, lambda: _delete(hub))
    answered = _delete(hub)  # as a DELETE sent again after the first one's answer
    assert other[0]["motif"] == "retrait_par_le_membre", other
    assert answered == other[0]  # the same request: that erasure (its answer may be lost)
    assert _erasures(hub) == [other[0]["effacement"]]
    assert accept.push_batch(hub, OWNER, [_fiche(1)])["accepted"] == 1  # the id is free
