"""An erasure ends the following it rested on. Routing sends a fiche to the members
already following its porteur (`linked`): those owning one of its fiches or sent
something about it. A member that erased its fiches of a porteur at the porteur's
request, or that was sent only fiches erased since, holds nothing of the person any
more: the porteur's other fiches must not reach it again because of what was erased
(found from outside: a member erased its fiche, the other owner kept its own and updated
it, and the member read the person's e-mail, phone and address in its feed again). What
it was sent before still brings it the later withdrawal and erasure notices about that
data: GDPR art. 19 has the controller tell every recipient of data withdrawn or erased,
whether or not it deleted its copy since (found in review: with those notices left out,
a fiche merged into the erased porteur after the erasure, which the erasure never
covered, was withdrawn or removed without a word to the member holding it, and the
DPO console read "nothing had been transmitted"). Reading by id a consent it was sent
data under before costs the statements of an id nobody holds, also when what it was
sent spans a merge. On both databases."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from hub.domain.matching.model import CONFIRMED_FLAGS
from hub.errors import ConsentNotFound
from hub.services.accounts.auth import Caller
from hub.services.accounts.sessions import ConsoleSession
from hub.services.console.dpo_console import consents_overview
from hub.services.delivery.feed import read_feed
from hub.services.matching import duplicates
from hub.services.privacy import consents, erasure, erasure_requests
from hub.store.delivery_repository import DATA_EVENTS
from hub.store.delivery_tables import deliveries
from tests.integration.dedup_world import (
    CCI,
    COMMUNE,
    COORDINATOR,
    NAMES_ONLY,
    PERSON,
    PFIL,
    THIERS_HOME,
    data_read_by,
    fiche_of,
    porteur_of,
    push,
    world_in_process,  # noqa: F401  (the `world` fixture)
)
from tests.integration.test_existence_oracles import NOBODY_S, statements_run

pytestmark = pytest.mark.integration

THIERS_PROJECT = {"code_insee": "63430", "nom": "Thiers"}


def _own(caller: Caller, fiche_id: str, version: int = 1, **porteur: object) -> dict:
    """The member's fiche of the person, naming the member itself as its structure (the
    factory's names the CCI a referent: it would read the fiche whatever the following)."""
    fiche = fiche_of(caller, fiche_id, {**PERSON, **porteur}, version)
    fiche["accompagnement"] = [{**fiche["accompagnement"][0], "structure": caller.member_id}]
    return fiche


def _at_thiers(fiche: dict) -> dict:
    fiche["porteur"]["adresse"] = THIERS_HOME
    fiche["projet"]["commune_implantation"] = THIERS_PROJECT
    return fiche


def _erased_then_declined(hub, member: Caller, fiche_id: str, other: Caller) -> None:
    """`member` erases its fiche at the porteur's request; `other`, the other owner asked,
    declines for its own (a legal obligation)."""
    asked = erasure.request_erasure(hub, member, {"fiche_id": fiche_id})
    erasure_requests.answer_request(hub, other, asked["effacement"], {
        "reponse": "refusee", "motif": "obligation_legale"})


def _withdrawn_for(hub, member: Caller, sent: dict) -> dict:
    [withdrawn] = [d for d in read_feed(hub, member, 0, 500)["deliveries"]
                   if d["position"] == sent["position"]]
    return withdrawn


def test_a_member_that_erased_its_fiches_is_never_sent_the_porteur_again(world):
    hub, _clock = world
    push(hub, COMMUNE, _own(COMMUNE, "A-1"))
    push(hub, CCI, _own(CCI, "C-1"))  # e-mail and phone: the CCI follows the porteur
    push(hub, COMMUNE, _own(COMMUNE, "A-1", 2, situation="salarie"))
    assert [d["source"] for d in data_read_by(hub, CCI)] == [
        {"membre": COMMUNE.member_id, "fiche_id": "A-1", "version": 2}]
    _erased_then_declined(hub, CCI, "C-1", COMMUNE)
    seen = read_feed(hub, CCI, 0, 500)["next_cursor"]
    push(hub, COMMUNE, _own(COMMUNE, "A-1", 3, situation="independant"))
    assert data_read_by(hub, CCI, seen) == []


def test_a_member_sent_only_an_erased_fiche_is_never_sent_the_porteur_again(world):
    """The PFIL follows Ambert: it was sent the commune's fiche, erased since; the CCI's
    fiche of the same person, at Thiers, is no fiche of its subscription."""
    hub, _clock = world
    push(hub, CCI, _at_thiers(_own(CCI, "C-1")))
    push(hub, COMMUNE, _own(COMMUNE, "A-1"))
    assert [d["source"]["fiche_id"] for d in data_read_by(hub, PFIL)] == ["A-1"]
    _erased_then_declined(hub, COMMUNE, "A-1", CCI)
    seen = read_feed(hub, PFIL, 0, 500)["next_cursor"]
    push(hub, CCI, _at_thiers(_own(CCI, "C-1", 2, situation="salarie")))
    assert data_read_by(hub, PFIL, seen) == []


def test_a_member_that_erased_at_the_porteur_s_request_is_no_longer_served_what_others_sent(
        world):
    """The CCI erased its fiche at the porteur's request, the commune declined for its own:
    the commune's version sent to the CCI before is no longer served to it, neither in its
    feed nor by `GET /v1/porteurs/{id}` (withdrawn, `data_erased`): the person asked the
    CCI to forget them."""
    from hub.services.privacy.porteurs import porteur_for

    hub, _clock = world
    push(hub, COMMUNE, _own(COMMUNE, "A-1"))
    push(hub, CCI, _own(CCI, "C-1"))
    push(hub, COMMUNE, _own(COMMUNE, "A-1", 2, situation="salarie"))
    [sent] = data_read_by(hub, CCI)
    _erased_then_declined(hub, CCI, "C-1", COMMUNE)
    assert data_read_by(hub, CCI) == []
    withdrawn = _withdrawn_for(hub, CCI, sent)
    assert withdrawn["retire"] is True and withdrawn["motif"] == "data_erased"
    seen = porteur_for(hub, CCI, sent["porteur_id"])
    assert all("fiche" not in d for d in seen["livraisons"])
    assert PERSON["courriel"] not in str(seen)


def test_what_was_sent_under_a_porteur_id_merged_since_is_forgotten_too(world):
    """The PFIL was sent the commune's fiche by subscription under the porteur the hub
    first made for it; a coordinator merged that porteur into the PFIL's own. The PFIL
    erased its fiche at the porteur's request, the commune declined: the commune's fiche
    it was sent under the id merged away is no longer served to it either (a delivery
    keeps the porteur id it was made under)."""
    hub, clock = world
    _sent_then_merged_into_the_pfil_s(hub, clock)
    [sent] = data_read_by(hub, PFIL)
    clock.advance(seconds=1)
    _erased_then_declined(hub, PFIL, "P-1", COMMUNE)
    assert data_read_by(hub, PFIL) == []
    withdrawn = _withdrawn_for(hub, PFIL, sent)
    assert withdrawn["retire"] is True and withdrawn["motif"] == "data_erased"


def _sent_then_merged_into_the_pfil_s(hub, clock) -> None:
    """The PFIL's fiche, and the commune's sent to the PFIL by subscription under the
    porteur the hub first made for it, which a coordinator then merged into the PFIL's."""
    push(hub, PFIL, _own(PFIL, "P-1"))
    clock.advance(seconds=1)
    push(hub, COMMUNE, _names_only(1))
    [item] = duplicates.list_review_items(hub, actor=COORDINATOR.member_id)["items"]
    clock.advance(seconds=1)
    duplicates.decide(hub, item["id"], "same", confirmed=CONFIRMED_FLAGS, actor=COORDINATOR.member_id)


def _names_only(version: int) -> dict:
    return fiche_of(COMMUNE, "A-1", NAMES_ONLY | {"date_naissance": PERSON["date_naissance"]},
                    version)


def _cci_forgot(hub) -> tuple[str, int]:
    """The CCI was sent the commune's fiche, then erased its own at the person's request
    (the commune declined for its own): the commune's consent and the CCI's feed cursor."""
    push(hub, COMMUNE, _own(COMMUNE, "A-1"))
    push(hub, CCI, _own(CCI, "C-1"))
    push(hub, COMMUNE, _own(COMMUNE, "A-1", 2, situation="salarie"))  # sent to the CCI
    assert [d["source"]["fiche_id"] for d in data_read_by(hub, CCI)] == ["A-1"]
    _erased_then_declined(hub, CCI, "C-1", COMMUNE)
    consent_id = hub.consents.consent_for_fiche(COMMUNE.member_id, "A-1", "CST-A-1").id
    return consent_id, read_feed(hub, CCI, 0, 500)["next_cursor"]


def _notices_after(hub, caller: Caller, seen: int) -> list[str]:
    return [d["evenement"] for d in read_feed(hub, caller, seen, 500)["deliveries"]]


def test_a_member_that_erased_is_still_told_of_a_later_withdrawal(world):
    """The CCI erased its own fiche at the person's request; the commune's fiche it was
    sent before is withdrawn with its consent: the CCI is told and asked to acknowledge
    (it is a recipient of that data, art. 19)."""
    hub, _clock = world
    consent_id, seen = _cci_forgot(hub)
    consents.withdraw_consent(hub, COMMUNE, consent_id)
    assert _notices_after(hub, CCI, seen) == ["withdrawn"]
    assert consents.acknowledgements(hub, CCI, consent_id) == [
        {"membre": CCI.member_id, "statut": "pending"}]


def test_a_member_that_erased_is_still_told_of_a_later_erasure(world):
    hub, _clock = world
    _consent_id, seen = _cci_forgot(hub)
    erasure.delete_fiche(hub, COMMUNE, COMMUNE.member_id, "A-1")
    assert _notices_after(hub, CCI, seen) == ["erased"]


def test_the_dpo_console_names_a_member_that_erased_among_those_told(world):
    """The DPO console's consent page lists who was told of the withdrawal: the CCI,
    sent the fiche before its own erasure (left out, the page read "aucun (rien n'avait
    été transmis)" for a fiche that had been)."""
    hub, _clock = world
    consent_id, _seen = _cci_forgot(hub)
    consents.withdraw_consent(hub, COMMUNE, consent_id)
    officer = ConsoleSession("usr_dpo", "dpo", "dpo", COORDINATOR.member_id, "x", hub.clock())
    overview = consents_overview(hub, officer)
    [ended] = [e for e in overview["ended"] if e["consentement"] == consent_id]
    assert CCI.member_id in {a["membre"] for a in ended["accuses"]}


def _cci_sent_a_fiche_merged_after_its_erasure(hub, clock) -> None:
    """The PFIL's and the CCI's fiches of the person (one porteur); the commune's, names
    and birth date only, goes to review under a porteur of its own and is sent to the
    CCI (its referent). The CCI erases its own fiche at the person's request (the PFIL
    declines): its erasure does not cover the commune's fiche, of another porteur then.
    A coordinator merges the two porteurs afterwards."""
    push(hub, PFIL, _own(PFIL, "P-1"))
    clock.advance(seconds=1)
    push(hub, CCI, _own(CCI, "C-1"))
    clock.advance(seconds=1)
    push(hub, COMMUNE, _names_only(1))
    assert porteur_of(hub, COMMUNE, "A-1") != porteur_of(hub, CCI, "C-1")
    assert [d["source"]["fiche_id"] for d in data_read_by(hub, CCI)] == ["A-1"]
    clock.advance(seconds=1)
    _erased_then_declined(hub, CCI, "C-1", PFIL)
    clock.advance(seconds=1)
    [item] = duplicates.list_review_items(hub, actor=COORDINATOR.member_id)["items"]
    duplicates.decide(hub, item["id"], "same", confirmed=CONFIRMED_FLAGS,
                      actor=COORDINATOR.member_id)
    assert porteur_of(hub, COMMUNE, "A-1") == porteur_of(hub, PFIL, "P-1")
    clock.advance(seconds=1)


@pytest.mark.parametrize("ended_by", ["withdrawal", "removal"])
def test_a_fiche_merged_after_the_erasure_is_still_notified(world, ended_by):
    """What the CCI was sent of the commune's fiche, under a porteur its erasure never
    covered, is withdrawn (the consent) or removed (DELETE) after a merge into the
    erased porteur: the CCI, which may still hold it, is told."""
    hub, clock = world
    _cci_sent_a_fiche_merged_after_its_erasure(hub, clock)
    seen = read_feed(hub, CCI, 0, 500)["next_cursor"]
    if ended_by == "withdrawal":
        consent_id = hub.consents.consent_for_fiche(COMMUNE.member_id, "A-1", "CST-A-1").id
        answer = consents.withdraw_consent(hub, COMMUNE, consent_id)
    else:
        answer = erasure.delete_fiche(hub, COMMUNE, COMMUNE.member_id, "A-1")
    assert _notices_after(hub, CCI, seen) == [
        {"withdrawal": "withdrawn", "removal": "erased"}[ended_by]]
    assert CCI.member_id in answer["avis_envoyes"]


def test_a_consent_one_forgot_across_a_merge_costs_the_statements_of_an_unknown_id(world):
    """The PFIL was sent the commune's fiche under the porteur first made for it, then,
    once merged into the PFIL's own, under that one; the PFIL erased at the person's
    request. Reading the commune's consent ran an `IN` list one porteur longer than for
    an id nobody holds: the answer's time told that the consent exists."""
    hub, clock = world
    _sent_then_merged_into_the_pfil_s(hub, clock)
    second = _names_only(2)
    second["projet"] = {**second["projet"], "stade": "installe"}  # a change the PFIL sees
    push(hub, COMMUNE, second)
    with hub.uow() as uow:
        pk = uow.fiches.get(COMMUNE.member_id, "A-1").id
        sent_under = uow.connection.execute(sa.select(deliveries.c.porteur_id).where(
            deliveries.c.recipient_id == PFIL.member_id, deliveries.c.fiche_pk == pk,
            deliveries.c.event.in_(DATA_EVENTS)).distinct()).scalars().all()
        assert len(sent_under) == 2  # the porteur merged away, and the PFIL's
    clock.advance(seconds=1)
    _erased_then_declined(hub, PFIL, "P-1", COMMUNE)
    consent_id = hub.consents.consent_for_fiche(COMMUNE.member_id, "A-1", "CST-A-1").id

    def statements(consent: str) -> list[str]:
        with statements_run() as run, pytest.raises(ConsentNotFound):
            consents.read_consent(hub, PFIL, consent)
        return run

    statements(NOBODY_S["consent"])
    assert statements(consent_id) == statements(NOBODY_S["consent"])
