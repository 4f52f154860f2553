"""What the monthly meeting decides, on both databases: a referent structure proposed
to a member reaches it through its feed like any delivery, the member answers over the
signed API (accepts or declines, once, and nobody else can), a parrain and items "à
voir en réunion" are recorded; every step is an access event naming who acted."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.domain.matching.model import CONFIRMED_FLAGS
from hub.errors import BadRequest, NotFound
from hub.services.accounts.auth import Caller
from hub.services.console import meeting_actions
from hub.services.delivery import feed
from tests.factories import Credentials

pytestmark = pytest.mark.integration
CHAMBER = Caller("chambre-agriculture-63", "", "chambre_agriculture", "accompagnement")


@pytest.fixture
def world(coordination):
    with TestClient(create_app(hub=coordination["hub"])) as client:
        yield {**coordination, "client": client}


def answer(world, member: str, proposal: str, body: dict):
    raw = json.dumps(body).encode()
    path = f"/v1/referent-proposals/{proposal}/answer"
    headers = Credentials(world["folder"] / "credentials" / f"{member}.json").headers(
        "POST", path, raw)
    return world["client"].post(path, content=raw, headers=headers)


def test_a_proposed_referent_structure_gets_a_notice_in_its_feed_and_accepts_it(world):
    hub, porteur = world["hub"], world["porteurs"]["F-ORPHELIN"]
    proposal = meeting_actions.propose_referent(hub, world["session"], porteur,
                                                "chambre-agriculture-63", "Projet agricole ?")
    items = feed.read_feed(hub, CHAMBER, 0, 100)["deliveries"]
    [notice] = [i for i in items if i["evenement"] == "referent_propose"]
    assert notice["porteur_id"] == porteur and notice["proposition"] == proposal
    assert notice["reponse"] == f"/v1/referent-proposals/{proposal}/answer"
    assert "Faurelliat" not in json.dumps(notice)  # no fiche field, a pseudonymous id
    answered = answer(world, "chambre-agriculture-63", proposal,
                      {"reponse": "acceptee", "note": "Nous la recevons mardi."})
    assert answered.status_code == 200, answered.text
    assert answered.json() == {"proposition": proposal, "porteur_id": porteur,
                               "reponse": "acceptee"}
    [row] = meeting_actions.actions_of(hub, porteur)
    assert row.status == "acceptee" and row.answer_note == "Nous la recevons mardi."
    again = answer(world, "chambre-agriculture-63", proposal, {"reponse": "refusee"})
    assert again.status_code == 409 and "déjà reçu une réponse" in again.text
    [proposed] = hub.audit.search(action="referent_proposal")
    assert proposed.actor_user == "usr_coord"
    [answered_event] = hub.audit.search(action="referent_answer")
    assert answered_event.actor_member == "chambre-agriculture-63"


def test_the_answer_and_its_note_are_as_the_openapi_document_declares_them(world):
    """The document declared the answer's `proposition` an integer while the hub answers
    its `prp_…` id (a generated client refused the answer), and a note of 500 characters
    at most while the hub took 1000 and cut a longer one short without a word."""
    hub, porteur = world["hub"], world["porteurs"]["F-ORPHELIN"]
    schemas = world["client"].get("/openapi.json").json()["components"]["schemas"]
    proposal = meeting_actions.propose_referent(hub, world["session"], porteur,
                                                "chambre-agriculture-63")
    limit = schemas["ReferentAnswer"]["properties"]["note"]["anyOf"][0]["maxLength"]
    too_long = answer(world, "chambre-agriculture-63", proposal,
                      {"reponse": "acceptee", "note": "x" * (limit + 1)})
    assert too_long.status_code == 400 and "note" in too_long.text.lower()
    [row] = meeting_actions.actions_of(hub, porteur)
    assert row.status == "proposee"  # nothing recorded: the member sends it again
    answered = answer(world, "chambre-agriculture-63", proposal,
                      {"reponse": "acceptee", "note": "é" * limit})
    assert answered.status_code == 200, answered.text
    assert meeting_actions.actions_of(hub, porteur)[0].answer_note == "é" * limit
    declared = schemas["ReferentAnswered"]["properties"]["proposition"]["type"]
    assert declared == "string" and isinstance(answered.json()["proposition"], str)


def test_only_the_proposed_member_may_answer_and_a_bad_answer_is_a_400(world):
    hub, porteur = world["hub"], world["porteurs"]["F-ORPHELIN"]
    proposal = meeting_actions.propose_referent(hub, world["session"], porteur,
                                                "chambre-agriculture-63")
    other = answer(world, "cci-puy-de-dome", proposal, {"reponse": "acceptee"})
    assert other.status_code == 404  # another member learns nothing
    for unknown in ("prp_" + "0" * 24, "999999"):
        assert answer(world, "chambre-agriculture-63", unknown,
                      {"reponse": "acceptee"}).status_code == 404
    # « é », « ² », « 𝟏 » (digits to str.isdigit, not to int): outside the hub's id rule,
    # refused before any lookup (422), as every path id is.
    for odd in ("prp_%C3%A9", "%C2%B2", "%F0%9D%9F%8F"):
        assert answer(world, "chambre-agriculture-63", odd, {"reponse": "acceptee"}).status_code \
            == 422
    wrong = answer(world, "chambre-agriculture-63", proposal, {"reponse": "oui"})
    assert wrong.status_code == 400 and "acceptee" in wrong.text
    declined = answer(world, "chambre-agriculture-63", proposal, {"reponse": "refusee"})
    assert declined.status_code == 200
    assert meeting_actions.actions_of(hub, porteur)[0].status == "refusee"


def test_a_proposal_s_id_does_not_count_the_coordination_s_decisions(world):
    """A proposal was known by the meeting's own number: a member given two learnt how
    many decisions (parrains, items, proposals to others) the coordination took between.
    Its id is opaque; the number notices gave before is still answered."""
    hub, porteur = world["hub"], world["porteurs"]["F-ORPHELIN"]
    first = meeting_actions.propose_referent(hub, world["session"], porteur,
                                             "chambre-agriculture-63")
    meeting_actions.keep_to_discuss(hub, world["session"], porteur, "À revoir")
    second = meeting_actions.propose_referent(hub, world["session"], porteur,
                                              "chambre-agriculture-63")
    items = feed.read_feed(hub, CHAMBER, 0, 100)["deliveries"]
    ids = [i["proposition"] for i in items if i["evenement"] == "referent_propose"]
    assert ids == [first, second]
    assert all(isinstance(i, str) and i.startswith("prp_") and not i[4:].isdigit() for i in ids)
    [number] = [row.id for row in meeting_actions.actions_of(hub, porteur)
                if row.kind == "referent" and meeting_actions.proposal_id(hub, row.id) == second]
    answered = answer(world, "chambre-agriculture-63", str(number), {"reponse": "refusee"})
    assert answered.status_code == 200 and answered.json()["proposition"] == second


def test_a_proposal_notice_s_delivery_id_does_not_give_away_the_meeting_s_number(world):
    """The notice's delivery id was SHA-256 of the member, `proposition-<number>` and the
    event, with no secret: trying the numbers found the meeting's own number back, undoing
    the opaque `prp_` id. It is keyed by a secret of the hub, the same for each notice."""
    import hashlib

    hub, porteur = world["hub"], world["porteurs"]["F-ORPHELIN"]
    meeting_actions.propose_referent(hub, world["session"], porteur, "chambre-agriculture-63")
    [notice] = [i for i in feed.read_feed(hub, CHAMBER, 0, 100)["deliveries"]
                if i["evenement"] == "referent_propose"]
    guesses = {hashlib.sha256(f"{CHAMBER.member_id}|proposition-{n}|referent_propose"
                              .encode()).hexdigest()[:40] for n in range(1, 1000)}
    assert notice["delivery_id"] not in guesses
    assert len(notice["delivery_id"]) == 40


def test_a_referent_can_only_be_proposed_to_a_member_that_supports_porteurs(world):
    hub, porteur = world["hub"], world["porteurs"]["F-ORPHELIN"]
    for member in ("pnr-livradois-forez", "inconnu"):
        with pytest.raises(BadRequest):
            meeting_actions.propose_referent(hub, world["session"], porteur, member)
    with pytest.raises(NotFound):  # not visible to the coordination
        meeting_actions.propose_referent(hub, world["session"], world["porteurs"]["F-PRIVE"],
                                         "cci-puy-de-dome")


def test_a_parrain_and_an_item_to_discuss_are_recorded_then_the_item_is_seen(world):
    hub, porteur = world["hub"], world["porteurs"]["F-SILENCE"]
    meeting_actions.record_parrain(hub, world["session"], porteur, "  Louis   Perrin ")
    item = meeting_actions.keep_to_discuss(hub, world["session"], porteur,
                                           "Relancer la CCI sur le local")
    assert [a.kind for a in meeting_actions.to_discuss(hub)] == ["a_voir"]
    meeting_actions.mark_seen(hub, world["session"], item)
    assert meeting_actions.to_discuss(hub) == []
    kinds = {a.kind: a for a in meeting_actions.actions_of(hub, porteur)}
    assert kinds["parrain"].parrain == "Louis Perrin" and kinds["a_voir"].status == "vu"
    for action in ("meeting_parrain", "meeting_a_voir", "meeting_item_seen"):
        [event] = hub.audit.search(action=action)
        assert event.actor_user == "usr_coord" and event.porteur_ref
    with pytest.raises(BadRequest):
        meeting_actions.keep_to_discuss(hub, world["session"], porteur, "   ")
    with pytest.raises(NotFound):
        meeting_actions.mark_seen(hub, world["session"], item)  # already seen


def _stored(hub, action_id: int):
    import sqlalchemy as sa

    from hub.store.meeting_tables import meeting_actions as table

    with hub.engine.connect() as conn:
        return conn.execute(sa.select(table).where(table.c.id == action_id)).first()


def test_a_parrain_and_notes_are_sealed_follow_a_removed_fiche_and_go_with_an_erasure(world):
    from hub.services.matching import duplicates
    from hub.services.privacy import erasure

    hub, session = world["hub"], world["session"]
    [item] = duplicates.list_review_items(hub)["items"]
    duplicates.decide(hub, item["id"], "same", confirmed=CONFIRMED_FLAGS, actor="pnr-livradois-forez")
    with hub.uow() as uow:
        porteur = uow.fiches.porteur_of("cci-puy-de-dome", "F-DOUBLE-B").porteur_id
    parrain = meeting_actions.record_parrain(hub, session, porteur, "Bernadette Sauvagnat",
                                             "Ancienne maraîchère, voisine de Gaëlle")
    item_id = meeting_actions.keep_to_discuss(hub, session, porteur, "Gaëlle cherche un local")
    stored = _stored(hub, parrain)
    assert stored.parrain.startswith("v1.") and "Sauvagnat" not in stored.parrain  # sealed
    assert stored.note.startswith("v1.") and "Gaëlle" not in stored.note
    # The commune removes its fiche (the one the texts were sealed with): the porteur stays,
    # and so do the meeting's texts, now sealed with the other member's fiche.
    erasure.delete_fiche(hub, Caller("commune-ambert", "", "commune", "accueil"),
                         "commune-ambert", "F-DOUBLE-A")
    assert _stored(hub, parrain).key_fiche_pk != stored.key_fiche_pk
    opened = {a.id: a for a in meeting_actions.actions_of(hub, porteur)}
    assert opened[parrain].parrain == "Bernadette Sauvagnat"
    assert opened[item_id].note == "Gaëlle cherche un local"
    # The porteur's erasure takes them away.
    erasure.request_erasure(hub, Caller("pnr-livradois-forez", "", "pnr", "coordination"),
                            {"porteur_id": porteur})
    assert _stored(hub, parrain) is None and _stored(hub, item_id) is None
    assert meeting_actions.actions_of(hub, porteur) == []


def test_notes_written_in_clear_before_sealing_are_sealed_by_the_upgrade(world):
    import sqlalchemy as sa

    from hub.services.privacy.key_rotation import upgrade_keys
    from hub.store.meeting_tables import meeting_actions as table

    hub, porteur = world["hub"], world["porteurs"]["F-SILENCE"]
    with hub.engine.begin() as conn:  # as a store of the former version holds them
        action_id = conn.execute(sa.insert(table).values(
            porteur_id=porteur, kind="parrain", status="notee", parrain="Lucien Bravard",
            note="Ancien garagiste", created_by="usr_coord", created_at=hub.clock())
        ).inserted_primary_key[0]
    assert upgrade_keys(hub)["notes_scellees"] == 1
    stored = _stored(hub, action_id)
    assert stored.key_fiche_pk is not None and "Bravard" not in stored.parrain
    assert "garagiste" not in stored.note
    opened = {a.id: a for a in meeting_actions.actions_of(hub, porteur)}[action_id]
    assert (opened.parrain, opened.note) == ("Lucien Bravard", "Ancien garagiste")
    assert upgrade_keys(hub)["notes_scellees"] == 0  # done once


OVERRIDE = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: shows "Nous la recevons" backwards


@pytest.mark.parametrize("control", ["\x07", "\x1b", "\r"], ids=["bell", "escape", "lone_cr"])
def test_a_note_with_a_control_character_is_refused_as_one_not_as_an_invisible_one(
        world, control):
    """A bell, an escape or a lone carriage return in a note hides and reorders nothing:
    the refusal names it as a control character and says what a note keeps."""
    hub, porteur = world["hub"], world["porteurs"]["F-ORPHELIN"]
    with pytest.raises(BadRequest) as refused:
        meeting_actions.keep_to_discuss(hub, world["session"], porteur, f"Relancer{control}la CCI")
    shown = f"U+{ord(control):04X}"
    assert shown in refused.value.message_fr and "contrôle" in refused.value.message_fr
    assert "cache ou inverse" not in refused.value.message_fr
    assert "control character" in refused.value.message_en and "Relancer" not in str(
        refused.value.message_en)


def test_a_note_or_a_parrain_hiding_or_reordering_its_text_is_refused_naming_the_character(world):
    hub, porteur = world["hub"], world["porteurs"]["F-ORPHELIN"]
    with pytest.raises(BadRequest) as refused:
        meeting_actions.propose_referent(hub, world["session"], porteur,
                                         "chambre-agriculture-63", f"Projet {OVERRIDE}agricole")
    assert "U+202E" in refused.value.message_fr and "agricole" not in refused.value.message_fr
    with pytest.raises(BadRequest):
        meeting_actions.keep_to_discuss(hub, world["session"], porteur, "Relancer\u200bla CCI")
    with pytest.raises(BadRequest):
        meeting_actions.record_parrain(hub, world["session"], porteur, "Louis\u200dPerrin")
    assert meeting_actions.actions_of(hub, porteur) == []
    proposal = meeting_actions.propose_referent(hub, world["session"], porteur,
                                                "chambre-agriculture-63",
                                                "Projet agricole \u200e(GAEC)")  # LRM kept
    answered = answer(world, "chambre-agriculture-63", proposal,
                      {"reponse": "acceptee", "note": f"Nous {OVERRIDE}la recevons"})
    assert answered.status_code == 400, answered.text
    assert "U+202E" in answered.text and "recevons" not in answered.text
    assert meeting_actions.actions_of(hub, porteur)[0].status == "proposee"
