"""Merges and unmerges beside fiches the coordination may not see (a consent leaving it
out, a consent withdrawn): the answers of « same » and of an unmerge name only the fiches
and members it may see; an unmerge is refused when only such fiches stay, takes back the
hidden fiches that came in with the fiche split off, and judges, undoes and notifies
nothing about a withdrawn fiche. Real HTTP (API), the console's services, both databases."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from hub.errors import NothingToUnmerge
from hub.services.console import duplicates_console, review_revisits
from hub.services.delivery.feed import read_feed
from hub.services.matching import duplicates
from hub.services.privacy import consents
from hub.store.matching_tables import match_judgements
from hub.store.tables import fiches
from tests.factories import record_consents
from tests.integration.dedup_world import (
    ACTOR,
    CCI,
    COMMUNE,
    COORDINATION_SESSION,
    COORDINATOR,
    NOT_FOR_COORDINATION,
    PERSON,
    VISIBLE,
    coordination_post,
    fiche_of,
    porteur_of,
    push,
    world_behind_http,  # noqa: F401  (the `world` fixture)
)

pytestmark = pytest.mark.integration
SESSION = COORDINATION_SESSION
HIDDEN_NAMES = (COMMUNE.member_id, '"A-1"')


def _decide_same(hub, client, creds, item, through):
    read = duplicates.get_review_item(hub, item, actor=ACTOR)
    flags = duplicates.flags_of(read["explication"])
    if through == "console":
        return duplicates_console.decide(hub, SESSION, item, "same", flags, read["revision"])
    answer = coordination_post(client, creds, f"/v1/duplicates/{item}/decision",
                               {"decision": "same", "confirme": flags, "revision": read["revision"]})
    assert answer.status_code == 200, answer.text
    return answer.json()


def _unmerge(hub, client, creds, porteur, fiche_id, through):
    """The answer of an unmerge of the CCI's `fiche_id`: (status, body); the console's
    refusal as (409, its message)."""
    if through == "console":
        try:
            return 200, duplicates_console.unmerge(hub, SESSION, porteur, CCI.member_id, fiche_id)
        except NothingToUnmerge as refused:
            return 409, refused.args
    answer = coordination_post(client, creds, f"/v1/porteurs/{porteur}/unmerge",
                   {"membre": CCI.member_id, "fiche_id": fiche_id})
    return answer.status_code, answer.json()


def _hidden_beside_visible(hub):
    """P-1 (the coordination's); C-1 (the CCI's) with A-1 (the commune's, under a consent
    leaving the coordination out), the same person, linked by the matcher: the queue asks
    C-1 against P-1, both open to the coordination."""
    push(hub, COORDINATOR, fiche_of(COORDINATOR, "P-1", VISIBLE))
    push(hub, CCI, fiche_of(CCI, "C-1", PERSON))
    hidden = fiche_of(COMMUNE, "A-1", PERSON)
    record_consents(hub, [hidden], roles_destinataires=NOT_FOR_COORDINATION)
    push(hub, COMMUNE, hidden, consent=False)
    assert porteur_of(hub, COMMUNE, "A-1") == porteur_of(hub, CCI, "C-1")
    [item] = duplicates.list_review_items(hub, actor=ACTOR)["items"]
    assert [(side["membre"], side["fiche_id"]) for side in item["cotes"]] == [
        (CCI.member_id, "C-1"), (COORDINATOR.member_id, "P-1")]
    return item["id"]


def _merged_then_withdrawn(hub):
    """A-1 and C-1 merged by the coordination, then A-1's consent withdrawn."""
    full = fiche_of(COMMUNE, "A-1", PERSON)
    [record] = record_consents(hub, [full])
    push(hub, COMMUNE, full, consent=False)
    push(hub, CCI, fiche_of(CCI, "C-1", VISIBLE))
    [item] = duplicates.list_review_items(hub, actor=ACTOR)["items"]
    duplicates.decide(hub, item["id"], "same", actor=ACTOR,
                      confirmed=duplicates.flags_of(item["explication"]))
    porteur = porteur_of(hub, COMMUNE, "A-1")
    assert porteur_of(hub, CCI, "C-1") == porteur
    consents.withdraw_consent(hub, COMMUNE, record.id)
    return porteur, item["id"]


def _hidden_linked(hub):
    """C-1 and A-1 (hidden from the coordination) linked by the matcher: one porteur."""
    push(hub, CCI, fiche_of(CCI, "C-1", PERSON))
    hidden = fiche_of(COMMUNE, "A-1", PERSON)
    record_consents(hub, [hidden], roles_destinataires=NOT_FOR_COORDINATION)
    push(hub, COMMUNE, hidden, consent=False)
    porteur = porteur_of(hub, CCI, "C-1")
    assert porteur_of(hub, COMMUNE, "A-1") == porteur
    return porteur


def _notices(hub, caller):
    return [d["evenement"] for d in read_feed(hub, caller, 0, 500)["deliveries"]]


def _judged(hub):
    """Every judgement recorded, as (decision, the two fiche ids sorted)."""
    with hub.uow() as uow:
        names = dict(uow.connection.execute(sa.select(fiches.c.id, fiches.c.fiche_id)).all())
        rows = uow.connection.execute(sa.select(
            match_judgements.c.decision, match_judgements.c.fiche_a, match_judgements.c.fiche_b))
        return {(decision, *sorted((names[a], names[b]))) for decision, a, b in rows}


@pytest.mark.parametrize("through", ["api", "console"])
def test_a_same_answer_names_only_the_fiches_and_members_open_to_the_coordination(
        world, through):
    hub, client, creds = world
    item = _hidden_beside_visible(hub)
    before = len(_notices(hub, COMMUNE))
    answer = _decide_same(hub, client, creds, item, through)
    kept = porteur_of(hub, COORDINATOR, "P-1")
    assert porteur_of(hub, COMMUNE, "A-1") == kept == porteur_of(hub, CCI, "C-1")
    assert answer["fusion"]["fiches"] == [{"membre": CCI.member_id, "fiche_id": "C-1"}]
    assert set(answer["fusion"]["membres_avertis"]) <= {CCI.member_id, ACTOR}
    assert not [name for name in HIDDEN_NAMES if name in json.dumps(answer)]
    assert _notices(hub, COMMUNE)[before:] == ["merged"]  # its fiche's porteur changed


@pytest.mark.parametrize("through", ["api", "console"])
def test_an_unmerge_takes_back_the_hidden_fiche_that_came_in_with_it_and_names_it_not(
        world, through):
    hub, client, creds = world
    item = _hidden_beside_visible(hub)
    duplicates.decide(hub, item, "same", actor=ACTOR, confirmed=duplicates.flags_of(
        duplicates.get_review_item(hub, item, actor=ACTOR)["explication"]))
    kept = porteur_of(hub, COORDINATOR, "P-1")
    status, answer = _unmerge(hub, client, creds, kept, "C-1", through)
    assert status == 200, answer
    assert answer["fiches"] == [{"membre": CCI.member_id, "fiche_id": "C-1"}]
    assert set(answer["membres_avertis"]) <= {CCI.member_id, ACTOR}
    assert not [name for name in HIDDEN_NAMES if name in json.dumps(answer)]
    back = porteur_of(hub, CCI, "C-1")
    assert porteur_of(hub, COMMUNE, "A-1") == back != kept == porteur_of(hub, COORDINATOR, "P-1")
    assert _judged(hub) == {("different", "C-1", "P-1")}


@pytest.mark.parametrize("through", ["api", "console"])
@pytest.mark.parametrize("other", ["withdrawn", "hidden"])
def test_a_fiche_beside_only_fiches_the_coordination_may_not_see_is_not_split_off(
        world, through, other):
    hub, client, creds = world
    porteur = _merged_then_withdrawn(hub)[0] if other == "withdrawn" else _hidden_linked(hub)
    judged = _judged(hub)
    before = len(_notices(hub, COMMUNE))
    missing = _unmerge(hub, client, creds, porteur, "C-404", through)
    refused = _unmerge(hub, client, creds, porteur, "C-1", through)
    assert missing[0] == 409 and refused == missing
    assert porteur_of(hub, CCI, "C-1") == porteur == porteur_of(hub, COMMUNE, "A-1")
    assert [e for e in duplicates.merge_history(hub) if e["type"] == "separation"] == []
    assert _judged(hub) == judged
    assert _notices(hub, COMMUNE)[before:] == []
    assert review_revisits.revisitable(hub, SESSION)["items"] == []


def test_merges_and_unmerges_after_a_withdrawal_judge_and_notify_nothing_of_its_fiche(world):
    hub, client, creds = world
    _porteur, first = _merged_then_withdrawn(hub)
    before = len(_notices(hub, COMMUNE))
    push(hub, COORDINATOR, fiche_of(COORDINATOR, "P-1", VISIBLE))
    [item] = duplicates.list_review_items(hub, actor=ACTOR)["items"]
    merged = _decide_same(hub, client, creds, item["id"], "api")["fusion"]
    assert COMMUNE.member_id not in merged["membres_avertis"]
    porteur = porteur_of(hub, COORDINATOR, "P-1")
    assert porteur_of(hub, CCI, "C-1") == porteur
    status, answer = _unmerge(hub, client, creds, porteur, "C-1", "api")
    assert status == 200, answer
    assert COMMUNE.member_id not in answer["membres_avertis"]
    assert _notices(hub, COMMUNE)[before:] == []
    assert not [pair for pair in _judged(hub) if "A-1" in pair and pair[0] == "different"]
    assert duplicates.outcome(hub, first)["statut"] == "same"
    assert [i["id"] for i in review_revisits.revisitable(hub, SESSION)["items"]] == [item["id"]]


def test_the_meeting_sheet_counts_only_the_merged_fiches_open_to_the_coordination(world):
    """The sheet's decisions of the month count the fiches each merge moved: those the
    merge's answer and the merges' history name to the coordination, not the hidden A-1
    that went along (its count told the coordination that some member holds one more
    fiche of the person)."""
    from hub.services.console.meeting import meeting_sheet

    hub, client, creds = world
    item = _hidden_beside_visible(hub)
    answer = _decide_same(hub, client, creds, item, "api")
    sheet = meeting_sheet(hub, SESSION, hub.clock().date())
    [merge] = [d for d in sheet["doublons_resolus"] if d["type"] == "fusion"]
    [told] = duplicates.merge_history(hub, actor=ACTOR)
    assert merge["fiches"] == len(answer["fusion"]["fiches"]) == len(told["fiches"])
