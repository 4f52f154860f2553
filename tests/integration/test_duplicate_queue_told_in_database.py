"""The duplicate queue's pages sorted and cut in the database keep the order the
coordination is told (`queue_order.sorted_as_told` of `duplicates.told_items`, worked out
fiche by fiche through the consent + policy gate), whatever hides a side and after each
change of what hides it: a consent leaving the coordination out or naming other members,
a consent past its end before the sweep, a withdrawal, a policy change, a new version
citing another consent. A page opens only its own items' fiches. Both databases."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import pytest
import sqlalchemy as sa

from hub.domain.matching.queue_order import ORDERS, ToldItem, sorted_as_told
from hub.services.matching import duplicates
from hub.services.privacy import consents
from hub.store.matching_repository import Matching
from hub.store.matching_tables import review_items
from hub.store.tables import fiches
from tests.factories import record_consents
from tests.integration.dedup_world import (
    CCI,
    COMMUNE,
    COORDINATOR,
    NOT_FOR_COORDINATION,
    PERSON,
    VISIBLE,
    fiche_of,
    hub_for,
    push,
)

pytestmark = pytest.mark.integration
ACTOR = COORDINATOR.member_id
# The pool's fiches by what their consent says to the coordination.
KINDS = {
    "V": {},  # every purpose and role
    "H": {"roles_destinataires": NOT_FOR_COORDINATION},
    "O": {"finalites": ["orientation"]},  # its second purpose only
    "N": {"membres_destinataires": [CCI.member_id]},  # names another member
    "M": {"membres_destinataires": [ACTOR]},  # names the coordinator
    "E": "ends soon",
}
ITEMS = 24


@pytest.fixture
def world(db_url, tmp_path):
    for hub, clock in hub_for(db_url, tmp_path):
        yield _queue(hub, clock), clock


def _queue(hub, clock):
    """A real item (A-1 and C-1), then ITEMS items between fiches of every kind, with its
    explanation and their own probability and opening time; half opened as the worker
    opens them, half written bare (as before `explained_fields` was kept)."""
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", PERSON))
    push(hub, CCI, fiche_of(CCI, "C-1", VISIBLE))
    with hub.engine.connect() as conn:
        explanation = conn.execute(sa.select(review_items.c.explanation)).scalar_one()
    midnight = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    for kind, terms in KINDS.items():
        pool = [fiche_of(COMMUNE, f"{kind}-{n}", {**PERSON, "nom": f"Banc{kind}{n}"})
                for n in range(3)]
        if terms == "ends soon":
            terms = {"expire_le": (midnight + dt.timedelta(days=2)).isoformat()}
        record_consents(hub, pool, **terms)
        push(hub, COMMUNE, *pool, process=False, consent=False)
    with hub.uow() as uow:
        pks = list(uow.connection.scalars(sa.text(
            "SELECT id FROM fiches WHERE fiche_id NOT IN ('A-1', 'C-1') ORDER BY id")))
        rng = random.Random(7)
        rows = []
        for n in range(ITEMS):  # every fiche a new side, with partners of every kind
            left, right = pks[n % len(pks)], pks[(5 * n + 1) % len(pks)]
            rows.append({"fiche_pk": left, "porteur_id": f"prt_{left}", "candidate_fiche_pk": right,
                         "candidate_porteur_id": f"prt_{right}", "explanation": explanation,
                         "probability": rng.choice([0.61, 0.75, 0.75, 0.9, 0.97]),
                         "opened_at": clock() - dt.timedelta(hours=rng.randrange(500))})
        uow.matching.open_reviews(rows[: ITEMS // 2])
        uow.connection.execute(sa.insert(review_items),
                               [{**row, "status": "open"} for row in rows[ITEMS // 2:]])
        uow.commit()
    return hub


def _told_order(hub, order):
    """The order `sorted_as_told` gives what `told_items` says of every open item with a
    side consultable (an item between two fiches hidden from the reader is not listed)."""
    with hub.uow() as uow:
        rows = uow.matching.all_reviews("open")
    told = duplicates.told_items(hub, rows, ACTOR)
    rows = [row for row in rows if any(told[row.id].consultable)]
    return [t.id for t in sorted_as_told(
        [ToldItem(row.id, told[row.id].probability, told[row.id].opened_at) for row in rows],
        order)]


def _listed(hub):
    """How many open items have a side consultable by the coordination."""
    return len(_told_order(hub, "anciennete"))


def _paged(hub, order, per_page=5):
    first = duplicates.review_page(hub, order, 1, per_page, actor=ACTOR)
    ids = [item["id"] for item in first["items"]]
    for page in range(2, first["pages"] + 1):
        ids += [item["id"] for item in
                duplicates.review_page(hub, order, page, per_page, actor=ACTOR)["items"]]
    assert first["total"] == len(ids)
    return ids


def _hidden(hub, order):
    """The items a page of `order` tells no key of (probability, or opening)."""
    key = "probabilite" if order.startswith("probabilite") else "ouvert_le"
    items = duplicates.review_page(hub, order, 1, 500, actor=ACTOR)["items"]
    with hub.uow() as uow:  # and those not listed at all: both sides hidden from the reader
        unlisted = {r.id for r in uow.matching.all_reviews("open")} - {i["id"] for i in items}
    return {item["id"] for item in items if item[key] is None} | unlisted


def _same_order_everywhere(hub):
    for order in ORDERS:
        assert _paged(hub, order) == _told_order(hub, order), order


def _items_of(hub, fiche_id, new_side=False):
    """The open items `fiche_id` is a side of (with `new_side`, their new side)."""
    with hub.uow() as uow:
        pk = uow.fiches.porteur_of(COMMUNE.member_id, fiche_id).id
        return {r.id for r in uow.matching.all_reviews("open")
                if pk == r.fiche_pk or (pk == r.candidate_fiche_pk and not new_side)}


def test_every_page_keeps_the_told_order_whatever_hides_a_side(world):
    hub, _clock = world
    _same_order_everywhere(hub)
    hidden = _hidden(hub, "probabilite")
    shown = {i for kind in "VOM" for n in range(3) for i in _items_of(hub, f"{kind}-{n}")}
    assert hidden and hidden >= {i for kind in "HN" for n in range(3)
                                 for i in _items_of(hub, f"{kind}-{n}")}
    assert shown - hidden  # some are told


def test_the_columns_written_before_they_were_kept_are_found_by_the_first_page(world):
    hub, _clock = world
    with hub.engine.begin() as conn:
        conn.execute(sa.update(fiches).values(consent_id=None))
        conn.execute(sa.update(review_items).values(explained_fields=None))
    _same_order_everywhere(hub)
    with hub.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(review_items).where(
            review_items.c.status == "open", review_items.c.explained_fields.is_(None))
        ).scalar_one() == 0


def test_a_consent_past_its_end_hides_its_items_before_the_sweep(world):
    hub, clock = world
    ending = {i for n in range(3) for i in _items_of(hub, f"E-{n}")}
    new_side_ending = {i for n in range(3) for i in _items_of(hub, f"E-{n}", new_side=True)}
    assert new_side_ending and not new_side_ending & _hidden(hub, "anciennete")
    clock.advance(days=3)
    _same_order_everywhere(hub)
    assert ending <= _hidden(hub, "probabilite")
    assert new_side_ending <= _hidden(hub, "anciennete")


def test_a_withdrawal_hides_its_items_even_before_they_close(world):
    hub, clock = world
    withdrawn = _items_of(hub, "V-0")
    assert withdrawn and not withdrawn & _hidden(hub, "probabilite")
    consent_id = _consent_of(hub, "V-0")
    hub.consents.withdraw(consent_id, COMMUNE.member_id, clock())  # the record alone
    _same_order_everywhere(hub)
    assert withdrawn <= _hidden(hub, "probabilite")
    consents.withdraw_consent(hub, COMMUNE, _consent_of(hub, "V-1"))  # the service closes
    _same_order_everywhere(hub)


def test_a_policy_change_moves_the_items_it_hides_a_field_of(world, tmp_path):
    hub, _clock = world
    before = _hidden(hub, "probabilite")
    document = json.loads(Path("examples/policy.json").read_text(encoding="utf-8"))
    for rule in document["regles"]:
        if rule["role"] == "coordination":
            rule["autorise"] = [a for a in rule["autorise"] if a.get("categorie") != "contact"]
    document["version"] = "sans-contact"
    changed = tmp_path / "policy.json"
    changed.write_text(json.dumps(document), encoding="utf-8")
    hub.policy.reload(changed)
    _same_order_everywhere(hub)
    assert _hidden(hub, "probabilite") > before


def test_a_new_version_citing_another_consent_moves_its_items(world):
    hub, _clock = world
    moved = _items_of(hub, "V-2", new_side=True)
    assert moved and not moved & _hidden(hub, "anciennete")
    again = fiche_of(COMMUNE, "V-2", {**PERSON, "nom": "BancV2"}, version=2)
    again["consentement"]["reference"] = "REF-V-2-bis"
    record_consents(hub, [{**again, "version": 1}], roles_destinataires=NOT_FOR_COORDINATION)
    push(hub, COMMUNE, again, process=False, consent=False)
    _same_order_everywhere(hub)
    assert moved <= _hidden(hub, "anciennete")


def test_a_page_opens_only_the_fiches_of_its_own_items(world, monkeypatch):
    hub, _clock = world
    asked: list[int] = []
    heads = Matching.fiche_heads

    def counted(self, fiche_pks):
        pks = list(fiche_pks)
        asked.extend(pks)
        return heads(self, pks)

    duplicates.review_page(hub, "probabilite", 1, 5, actor=ACTOR)  # the columns are written
    listed = _listed(hub)
    monkeypatch.setattr(Matching, "fiche_heads", counted)
    page = duplicates.review_page(hub, "probabilite", 2, 5, actor=ACTOR)
    assert len(page["items"]) == 5 and page["total"] == listed
    assert 0 < len(set(asked)) <= 10


def _consent_of(hub, fiche_id):
    with hub.engine.connect() as conn:
        return conn.execute(sa.text(
            "SELECT id FROM consents WHERE member_id = :m AND fiche_id = :f"),
            {"m": COMMUNE.member_id, "f": fiche_id}).scalar_one()

