"""What the duplicate queue still told of a side the coordination may not see, beside the
side itself: why it stopped being consultable (the status `withdrawn` or `erased`, and
when), its probability through the queue's order and the set-aside list, and when its
member pushed (`ouvert_le`, and the order by age). Real HTTP, both databases."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
import sqlalchemy as sa

from hub import errors
from hub.services.console import duplicates_console, review_revisits
from hub.services.matching import duplicates
from hub.services.privacy import consents, erasure
from hub.store.matching_tables import review_items
from tests.factories import make_fiche, record_consents
from tests.integration.dedup_world import (
    ACTOR,
    CCI,
    COMMUNE,
    COORDINATION_SESSION,
    NOT_FOR_COORDINATION,
    PERSON,
    PFIL,
    VISIBLE,
    coordination_get,
    fiche_of,
    porteur_of,
    push,
    world_behind_http,  # noqa: F401  (the `world` fixture)
)

pytestmark = pytest.mark.integration
SESSION = COORDINATION_SESSION
OTHER = {"nom": "Bourdier", "prenom": "Jean-Luc", "date_naissance": "1975-09-30",
         "courriel": "jl.bourdier@exemple.fr", "telephone": "04 73 82 77 12",
         "adresse": {"ligne": "3 place du Pontel", "code_postal": "63600",
                     "commune": "Ambert", "code_insee": "63003"}}
OTHER_VISIBLE = {k: OTHER[k] for k in ("nom", "prenom", "date_naissance")}


def _two_items_left(hub, *, erase: bool):
    """Two pairs of the commune's fiche with a CCI fiche: one side of the first withdrawn
    (or erased), then the second's: the two items it closed, by id."""
    full, other = fiche_of(COMMUNE, "A-1", PERSON), fiche_of(COMMUNE, "A-2", OTHER)
    records = record_consents(hub, [full, other])
    push(hub, COMMUNE, full, other, consent=False)
    push(hub, CCI, fiche_of(CCI, "C-1", VISIBLE), fiche_of(CCI, "C-2", OTHER_VISIBLE))
    ids = [i["id"] for i in duplicates.list_review_items(hub, actor=ACTOR)["items"]]
    assert len(ids) == 2
    if erase:
        erasure.request_erasure(hub, COMMUNE, {"fiche_id": "A-1"})
    else:
        consents.withdraw_consent(hub, COMMUNE, records[0].id)
    return ids


@pytest.mark.parametrize("erase", [False, True], ids=["withdrawn", "erased"])
def test_an_item_a_side_left_reads_one_status_whatever_the_reason(world, erase):
    hub, client, creds = world
    [closed, still_open] = _two_items_left(hub, erase=erase)
    answer = coordination_get(client, creds, f"/v1/duplicates/{closed}")
    assert answer.status_code == 200, answer.text
    assert answer.json()["statut"] == "side_closed"
    assert duplicates.outcome(hub, closed) == {"statut": "side_closed", "le": None,
                                               "par_compte": None}
    assert duplicates_console.decided_first(hub, closed)["decision"] == \
        duplicates_console.CLOSED["side_closed"]
    for word in ("retir", "expir", "effac", "consentement"):
        assert word not in duplicates_console.CLOSED["side_closed"]
    counted = duplicates.dedup_status(hub)
    assert counted.get("review_side_closed") == 1
    assert not {"review_withdrawn", "review_erased"} & set(counted)
    assert [i["id"] for i in duplicates.list_review_items(hub, actor=ACTOR)["items"]] == [still_open]


def test_the_console_tells_a_second_decider_no_reason_and_no_time(world):
    from hub.services.accounts import users as accounts
    from tests.integration.test_console import csrf_of, sign_in

    hub, client, _creds = world
    accounts.add_user(hub, "coord", "coordinator", "coordination-du-reseau")
    [closed, _] = _two_items_left(hub, erase=False)
    sign_in(client, "coord", "coordination-du-reseau")
    page = client.get(f"/console/coordination/doublons/{closed}")
    answer = client.post(f"/console/coordination/doublons/{closed}",
                         data={"csrf": csrf_of(page.text), "decision": "unknown"})
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", answer.text))
    assert "déjà été traité" in text, text[:400]
    assert "retiré" not in text and "expiré" not in text and "effacée" not in text
    assert not re.search(r"traité, le \d", text)


def _hidden_new_side(hub):
    """The CCI's C-1, then the commune's A-1 of the same woman under a consent leaving the
    coordination out: A-1 is the item's new side, hidden. Then two pairs open to it."""
    push(hub, CCI, fiche_of(CCI, "C-1", VISIBLE))
    hidden = fiche_of(COMMUNE, "A-1", PERSON)
    record_consents(hub, [hidden], roles_destinataires=NOT_FOR_COORDINATION)
    push(hub, COMMUNE, hidden, consent=False)
    [item] = duplicates.list_review_items(hub, actor=ACTOR)["items"]
    assert item["cotes"][0]["consultable"] is False
    push(hub, CCI, fiche_of(CCI, "C-2", OTHER_VISIBLE), make_fiche(
        member=CCI.member_id, fiche_id="C-3", porteur={"nom": "Vidal", "prenom": "Agnès",
                                                       "date_naissance": "1990-02-03"}))
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-2", OTHER), fiche_of(COMMUNE, "A-3", {
        "nom": "Vidal", "prenom": "Agnès", "date_naissance": "1990-02-03",
        "adresse": PERSON["adresse"]}))
    items = duplicates.list_review_items(hub, actor=ACTOR)["items"]
    assert len(items) == 3, [i["cotes"] for i in items]
    return item["id"]


def _set(hub, item_id, **values):
    with hub.engine.begin() as conn:
        conn.execute(sa.update(review_items).where(review_items.c.id == item_id).values(**values))


def _orders(hub):
    return {order: [i["id"] for i in duplicates_console.review_queue(
        hub, SESSION, order=order, page=1, per_page=50)["items"]]
        for order in duplicates_console.ORDERS}


def test_a_hidden_item_takes_the_same_place_in_every_order_whatever_its_probability_and_age(world):
    hub, _client, _creds = world
    hidden = _hidden_new_side(hub)
    now = hub.clock()
    _set(hub, hidden, probability=1.0, opened_at=now - dt.timedelta(days=400))
    high_and_old = _orders(hub)
    _set(hub, hidden, probability=0.0, opened_at=now + dt.timedelta(days=1))
    low_and_new = _orders(hub)
    assert high_and_old == low_and_new
    first = duplicates_console.review_queue(hub, SESSION, order="probabilite", page=1, per_page=2)
    second = duplicates_console.review_queue(hub, SESSION, order="probabilite", page=2, per_page=2)
    assert [i["id"] for i in first["items"] + second["items"]] == low_and_new["probabilite"]


def test_the_opening_time_of_an_item_whose_new_side_is_hidden_is_not_told(world):
    hub, client, creds = world
    hidden = _hidden_new_side(hub)
    answer = coordination_get(client, creds, f"/v1/duplicates/{hidden}")
    assert answer.status_code == 200, answer.text
    assert answer.json()["ouvert_le"] is None and answer.json()["probabilite"] is None
    listed = {i["id"]: i for i in coordination_get(client, creds, "/v1/duplicates").json()["items"]}
    assert listed[hidden]["ouvert_le"] is None
    assert all(item["ouvert_le"] for key, item in listed.items() if key != hidden)
    queue = duplicates_console.review_queue(hub, SESSION)
    assert [i["ouvert_le"] for i in queue["items"] if i["id"] == hidden] == [None]


def test_the_set_aside_list_tells_no_probability_nor_name_of_a_hidden_side(world):
    hub, _client, _creds = world
    hidden = _hidden_new_side(hub)
    duplicates.decide(hub, hidden, "unknown", actor=ACTOR)
    [item] = review_revisits.revisitable(hub, SESSION)["items"]
    assert item["id"] == hidden
    assert item["probabilite"] is None
    assert item["noms"][0] is None


def _hidden_fiche_of_a_known_porteur(hub):
    """The commune's A-1, hidden from the coordination, and the PFIL's P-1 of the same
    woman, open to it, one porteur; then the CCI's C-1 (names and birth date) queued
    against A-1, set aside: the porteur's name is known (P-1), A-1 is not."""
    hidden = fiche_of(COMMUNE, "A-1", PERSON)
    record_consents(hub, [hidden], roles_destinataires=NOT_FOR_COORDINATION)
    push(hub, COMMUNE, hidden, consent=False)
    push(hub, PFIL, fiche_of(PFIL, "P-1", PERSON))
    assert porteur_of(hub, PFIL, "P-1") == porteur_of(hub, COMMUNE, "A-1")
    push(hub, CCI, fiche_of(CCI, "C-1", VISIBLE))
    [item] = duplicates.list_review_items(hub, actor=ACTOR)["items"]
    assert item["cotes"][1]["consultable"] is False
    duplicates.decide(hub, item["id"], "unknown", actor=ACTOR)
    return item["id"]


def test_the_set_aside_list_names_no_porteur_beside_a_hidden_side(world):
    hub, _client, _creds = world
    hidden = _hidden_fiche_of_a_known_porteur(hub)
    [item] = review_revisits.revisitable(hub, SESSION)["items"]
    assert item["id"] == hidden and item["noms"][1] is None


def test_the_meeting_sheet_names_no_porteur_beside_a_hidden_side(world):
    from hub.services.console.meeting import meeting_sheet

    hub, _client, _creds = world
    hidden = _hidden_fiche_of_a_known_porteur(hub)
    sheet = meeting_sheet(hub, SESSION, hub.clock().date())
    [row] = [d for d in sheet["doublons_resolus"] if d["revue"] == hidden]
    assert row["autre_porteur_id"] is None
    assert porteur_of(hub, PFIL, "P-1") not in json.dumps(row, default=str)


def test_the_meeting_sheet_counts_only_the_sides_open_to_the_coordination(world):
    """A pair set aside beside a hidden fiche counts the side the coordination may see,
    not both: the count would tell that a member holds a fiche of the person."""
    from hub.services.console.meeting import meeting_sheet

    hub, _client, _creds = world
    hidden = _hidden_fiche_of_a_known_porteur(hub)
    sheet = meeting_sheet(hub, SESSION, hub.clock().date())
    [row] = [d for d in sheet["doublons_resolus"] if d["revue"] == hidden]
    with hub.uow() as uow:
        rows = uow.matching.reviews_by_id([hidden])
    told = duplicates.told_items(hub, rows, SESSION.member)[hidden]
    assert row["fiches"] == sum(told.consultable) < 2


def _both_sides_left(hub):
    """`_two_items_left` with the first item's side withdrawn and the second's erased:
    the two closed items, by id, and the erased fiche's porteur."""
    full, other = fiche_of(COMMUNE, "A-1", PERSON), fiche_of(COMMUNE, "A-2", OTHER)
    records = record_consents(hub, [full, other])
    push(hub, COMMUNE, full, other, consent=False)
    push(hub, CCI, fiche_of(CCI, "C-1", VISIBLE), fiche_of(CCI, "C-2", OTHER_VISIBLE))
    items = duplicates.list_review_items(hub, actor=ACTOR)["items"]
    by_fiche = {side["fiche_id"]: i["id"] for i in items for side in i["cotes"]}
    erased_porteur = porteur_of(hub, COMMUNE, "A-2")
    consents.withdraw_consent(hub, COMMUNE, records[0].id)
    erasure.request_erasure(hub, COMMUNE, {"fiche_id": "A-2"})
    return by_fiche["A-1"], by_fiche["A-2"], erased_porteur


def _told_alike(cotes):
    """The sides as the coordination reads them, less what names the open side's fiche
    (the two items pair different CCI fiches)."""
    return [{k: v for k, v in side.items() if k not in ("porteur_id", "fiche_id", "fiche")}
            if side["consultable"] else side for side in cotes]


def test_an_erased_side_reads_as_a_withdrawn_one_in_the_api_and_the_console(world):
    from hub.services.accounts import users as accounts
    from tests.integration.test_console import sign_in

    hub, client, creds = world
    withdrawn, erased, erased_porteur = _both_sides_left(hub)
    told = {item: coordination_get(client, creds, f"/v1/duplicates/{item}").json()
            for item in (withdrawn, erased)}
    closed = [side for side in told[erased]["cotes"] if not side["consultable"]]
    assert closed == [{"consultable": False, "fiche": {}, "champs": []}]
    assert _told_alike(told[erased]["cotes"]) == _told_alike(told[withdrawn]["cotes"])
    assert erased_porteur not in json.dumps(told[erased])
    console = {item: [side for side in duplicates_console.review_item(
        hub, SESSION, item)["cotes"] if not side["membre"]] for item in (withdrawn, erased)}
    assert console[erased] == console[withdrawn]
    assert [side["porteur_id"] for side in console[erased]] == [None]
    accounts.add_user(hub, "coord", "coordinator", "coordination-du-reseau")
    sign_in(client, "coord", "coordination-du-reseau")
    page = client.get(f"/console/coordination/doublons/{erased}")
    assert page.status_code == 200, page.text[:400]
    assert erased_porteur not in page.text and "côté non consultable" in page.text


def _set_aside_then_both_hidden(hub):
    """A pair set aside while open to the coordination, then a new version of each side
    citing a consent that leaves the coordination out: the item neither side of which it
    may see any longer (still `unknown`: neither side left the index)."""
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", PERSON))
    push(hub, CCI, fiche_of(CCI, "C-1", VISIBLE))
    [item] = duplicates.list_review_items(hub, actor=ACTOR)["items"]
    duplicates.decide(hub, item["id"], "unknown", actor=ACTOR)
    for caller, fiche_id, porteur in ((COMMUNE, "A-1", PERSON), (CCI, "C-1", VISIBLE)):
        later = fiche_of(caller, fiche_id, porteur, version=2)
        later["consentement"] = {**later["consentement"],
                                 "reference": later["consentement"]["reference"] + "-2"}
        record_consents(hub, [later], roles_destinataires=NOT_FOR_COORDINATION)
        push(hub, caller, later, consent=False)
    assert duplicates.outcome(hub, item["id"])["statut"] == "unknown"
    return item["id"]


def test_a_pair_set_aside_neither_side_of_which_is_open_is_neither_listed_counted_nor_reopened(
        world):
    """The count says no more than the list: the pair is told by neither, nor by its
    reopening (a number that does not exist)."""
    hub, _client, _creds = world
    hidden = _set_aside_then_both_hidden(hub)
    revisit = review_revisits.revisitable(hub, SESSION)
    assert (revisit["items"], revisit["total"]) == ([], 0)
    with pytest.raises(errors.NotFound):
        review_revisits.reopen(hub, SESSION, hidden)
    assert duplicates.outcome(hub, hidden)["statut"] == "unknown"


def test_the_meeting_sheet_counts_only_the_automatic_links_of_fiches_open_to_the_coordination(
        world):
    from hub.services.console.meeting import meeting_sheet

    hub, _client, _creds = world
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", PERSON))
    hidden = fiche_of(PFIL, "P-1", PERSON)
    record_consents(hub, [hidden], roles_destinataires=NOT_FOR_COORDINATION)
    push(hub, PFIL, hidden, consent=False)  # linked by the matcher, hidden from it
    push(hub, CCI, fiche_of(CCI, "C-1", PERSON))  # linked by the matcher, open to it
    assert len({porteur_of(hub, c, f) for c, f in (
        (COMMUNE, "A-1"), (PFIL, "P-1"), (CCI, "C-1"))}) == 1
    sheet = meeting_sheet(hub, SESSION, hub.clock().date())
    assert sheet["liens_automatiques"] == 1
