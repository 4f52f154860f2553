"""People the coordination may not see are not told by the lists of the duplicate queue:
a merge none of whose moved fiches the consent + policy gate opens to it (a chain the
matcher joined between fiches under consents leaving it out) is neither listed nor
counted in the merge history (API, console « Fusions », the meeting sheet); a review
item neither side of which it may see is neither listed nor readable (the same 404 as
a number that does not exist) and stays open. Real HTTP (API), the console's services,
both databases."""

from __future__ import annotations

import datetime as dt

import pytest

from hub.domain.matching.queue_order import ORDERS
from hub.services.console import duplicates_console
from hub.services.console.meeting import meeting_sheet
from hub.services.matching import duplicates
from tests.factories import record_consents
from tests.integration.dedup_world import (
    ACTOR,
    CCI,
    COMMUNE,
    COORDINATION_SESSION,
    NAMES_ONLY,
    NOT_FOR_COORDINATION,
    PERSON,
    PFIL,
    coordination_get,
    coordination_post,
    fiche_of,
    merged_by_the_coordination,
    porteur_of,
    push,
    world_behind_http,  # noqa: F401  (the `world` fixture)
)
from tests.integration.test_online_chains import BOTH, BY_MAIL, BY_PHONE

pytestmark = pytest.mark.integration


def _hidden(hub, caller, fiche_id, person):
    fiche = fiche_of(caller, fiche_id, person)
    record_consents(hub, [fiche], roles_destinataires=NOT_FOR_COORDINATION)
    push(hub, caller, fiche, consent=False)


def _hidden_chain(hub):
    """Three fiches of one person, none for the coordination: A-9 (e-mail) and C-9
    (phone) on two porteurs until P-9 (both) makes the matcher join them."""
    _hidden(hub, COMMUNE, "A-9", BY_MAIL)
    _hidden(hub, CCI, "C-9", BY_PHONE)
    assert porteur_of(hub, COMMUNE, "A-9") != porteur_of(hub, CCI, "C-9")
    _hidden(hub, PFIL, "P-9", BOTH)
    assert porteur_of(hub, COMMUNE, "A-9") == porteur_of(hub, CCI, "C-9")
    joined = porteur_of(hub, CCI, "C-9")
    with hub.uow() as uow:  # the join is recorded (the hub's own read names it)
        return uow.matching.merge_history(joined, 10)


def test_a_merge_of_hidden_porteurs_is_neither_listed_nor_counted(world):
    hub, client, creds = world
    merged_by_the_coordination(hub)  # a merge the coordination sees: listed throughout
    [seen] = duplicates.merge_history(hub, actor=ACTOR)
    [join] = _hidden_chain(hub)
    assert join.kind == "merge" and duplicates.merge_history(hub)[0]["id"] == join.id
    answer = coordination_get(client, creds, "/v1/duplicates/history")
    assert answer.status_code == 200
    assert answer.json()["historique"] == [seen]
    for porteur in (join.porteur_id, join.other_porteur_id):
        one = coordination_get(client, creds, f"/v1/duplicates/history?porteur={porteur}")
        assert one.json()["historique"] == []
    page = duplicates_console.history(hub, COORDINATION_SESSION)
    assert (page["total"], page["pages"]) == (1, 1)
    assert [e["id"] for e in page["events"]] == [seen["id"]]
    sheet = meeting_sheet(hub, COORDINATION_SESSION, hub.clock().date())
    merges = [d for d in sheet["doublons_resolus"] if d["type"] == "fusion"]
    assert [(d["porteur_id"], d["autre_porteur_id"]) for d in merges] == [
        (seen["porteur_id"], seen["autre_porteur_id"])]


def test_a_page_of_the_history_counts_only_the_merges_it_may_tell(world):
    hub, _client, _creds = world
    _hidden_chain(hub)
    merged_by_the_coordination(hub)
    [seen] = duplicates.merge_history(hub, actor=ACTOR)
    first = duplicates.merge_history_page(hub, 1, 1, actor=ACTOR)
    assert (first["total"], first["pages"]) == (1, 1)
    assert [e["id"] for e in first["events"]] == [seen["id"]]
    assert duplicates.merge_history_page(hub, 2, 1, actor=ACTOR) == first  # past the last


def _both_sides_hidden(hub):
    """A review item between two fiches under consents leaving the coordination out."""
    a = fiche_of(COMMUNE, "A-1", PERSON)
    record_consents(hub, [a], roles_destinataires=NOT_FOR_COORDINATION)
    push(hub, COMMUNE, a, consent=False)
    c = fiche_of(CCI, "C-1", NAMES_ONLY)
    record_consents(hub, [c], roles_destinataires=NOT_FOR_COORDINATION)
    push(hub, CCI, c, consent=False)
    with hub.uow() as uow:
        [item] = uow.matching.review_items("open", 10, None)
    return item.id


def test_an_item_with_both_sides_hidden_is_not_listed_nor_readable_and_stays_open(world):
    hub, client, creds = world
    item = _both_sides_hidden(hub)
    listed = coordination_get(client, creds, "/v1/duplicates")
    assert listed.status_code == 200
    assert listed.json()["items"] == []
    assert listed.json()["has_more"] is False
    absent = coordination_get(client, creds, f"/v1/duplicates/{item + 1000}")
    read = coordination_get(client, creds, f"/v1/duplicates/{item}")
    assert (read.status_code, read.json()) == (absent.status_code, absent.json())
    assert read.status_code == 404
    for decision in duplicates.DECISIONS:
        path = f"/v1/duplicates/{item}/decision"
        decided = coordination_post(client, creds, path, {"decision": decision, "revision": 1})
        missing = coordination_post(client, creds, f"/v1/duplicates/{item + 1000}/decision",
                                    {"decision": decision, "revision": 1})
        assert (decided.status_code, decided.json()) == (missing.status_code, missing.json())
    assert duplicates.outcome(hub, item)["statut"] == "open"  # kept for when a side opens


def test_the_cursor_passes_items_with_both_sides_hidden(world):
    hub, _client, _creds = world
    hidden = _both_sides_hidden(hub)
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-2", BOTH))  # another person, a pair it sees
    push(hub, CCI, fiche_of(CCI, "C-2", {k: BOTH[k] for k in ("nom", "prenom", "date_naissance")}))
    first = duplicates.list_review_items(hub, limit=1, actor=ACTOR)
    [shown] = first["items"]  # the pair the coordination sees, past the hidden one
    assert shown["id"] > hidden and first["has_more"] is False
    after = duplicates.list_review_items(hub, limit=1, after=first["next_after"], actor=ACTOR)
    assert (after["items"], after["has_more"], after["next_after"]) == (
        [], False, first["next_after"])


def test_the_consoles_queue_neither_lists_nor_counts_an_item_with_both_sides_hidden(world):
    hub, _client, _creds = world
    _both_sides_hidden(hub)
    for order in ORDERS:
        assert duplicates.review_page(hub, order, 1, 20, actor=ACTOR) == {
            "items": [], "page": 1, "pages": 1, "total": 0}, order
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-2", BOTH))  # another person, a pair it sees
    push(hub, CCI, fiche_of(CCI, "C-2", {k: BOTH[k] for k in ("nom", "prenom", "date_naissance")}))
    for order in ORDERS:
        page = duplicates.review_page(hub, order, 1, 20, actor=ACTOR)
        assert (len(page["items"]), page["total"], page["pages"]) == (1, 1, 1), order


def test_the_times_of_the_history_and_the_queue_carry_their_utc_offset(world):
    """One format on both stores (SQLite gives its times back without an offset)."""
    hub, client, creds = world
    merged_by_the_coordination(hub)
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-2", BOTH))
    push(hub, CCI, fiche_of(CCI, "C-2", {k: BOTH[k] for k in ("nom", "prenom", "date_naissance")}))
    [event] = coordination_get(client, creds, "/v1/duplicates/history").json()["historique"]
    [item] = coordination_get(client, creds, "/v1/duplicates").json()["items"]
    for told in (event["le"], item["ouvert_le"]):
        assert dt.datetime.fromisoformat(told).utcoffset() == dt.timedelta(0), told
