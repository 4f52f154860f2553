"""The monthly meeting sheet on both databases: each porteur once, "new this month"
from the members' own dates (not the day the hub received the fiche), the items kept
for the meeting, and every decision of the month with names, "personnes différentes"
included."""

from __future__ import annotations

import datetime as dt

import pytest

from hub.domain.matching.model import CONFIRMED_FLAGS
from hub.services.accounts.auth import Caller
from hub.services.console import meeting_actions
from hub.services.console.meeting import meeting_sheet
from hub.services.ingest import accept as ingest
from hub.services.ingest import processing
from hub.services.matching import duplicates
from hub.services.privacy import consents
from tests.console_world import _fiche
from tests.factories import ALL_PURPOSES, record_consents

pytestmark = pytest.mark.integration


@pytest.fixture
def world(coordination):
    return coordination


def sheet(world, month: dt.date | None = None) -> dict:
    return meeting_sheet(world["hub"], world["session"], month or world["clock"]().date())


def names(section) -> list[str]:
    return [p.name for p in section]


def test_each_porteur_appears_once_in_the_first_section_that_fits(world):
    this_month = world["clock"]().date().replace(day=1)
    earlier = this_month - dt.timedelta(days=45)  # the month of Karim's first contact
    for month in (this_month, earlier):
        found = sheet(world, month)
        listed = [p.porteur_id for key in ("nouveaux", "sans_referent", "sans_nouvelles")
                  for p in found[key]]
        assert len(listed) == len(set(listed))
        assert found["totaux"]["sans_referent"] == len(found["sans_referent"])
    installed = {"Sophie MARTINELLIAC", "Julie MORELHAUT"}  # closed projects need no referent
    found = sheet(world)
    assert not installed & {p.name for k in ("sans_referent", "sans_nouvelles") for p in found[k]}


def test_a_porteur_without_any_step_is_new_in_the_month_its_member_dated_it(world):
    hub, today = world["hub"], world["clock"]().date()
    fiche = _fiche(today - dt.timedelta(days=200), "commune-ambert", "F-SANS-ETAPE", "Inès",
                   "Sanspasolet", "Salon de thé", "idee",
                   [(0, "commune-ambert", "accueil", None, None)])
    del fiche["accompagnement"]
    record_consents(hub, [fiche], roles_destinataires=["accueil", "coordination"],
                    finalites=ALL_PURPOSES)
    answer = ingest.push_batch(hub, Caller("commune-ambert", "", "commune", "accueil"), [fiche])
    assert answer["accepted"] == 1, answer
    processing.process_outbox(hub, hub.publisher.published[-1])
    assert "Inès SANSPASOLET" not in names(sheet(world)["nouveaux"])  # received today
    assert "Inès SANSPASOLET" in names(sheet(world)["sans_referent"])
    dated = today - dt.timedelta(days=200)
    assert "Inès SANSPASOLET" in names(sheet(world, dated)["nouveaux"])


def test_decisions_of_the_month_name_the_porteurs_and_include_personnes_differentes(world):
    hub = world["hub"]
    [item] = duplicates.list_review_items(hub)["items"]
    duplicates.decide(hub, item["id"], "different", actor="pnr-livradois-forez",
                      user="usr_coord")
    meeting_actions.record_parrain(hub, world["session"], world["porteurs"]["F-SILENCE"],
                                   "Louis Perrin")
    kept = meeting_actions.keep_to_discuss(hub, world["session"],
                                           world["porteurs"]["F-ORPHELIN"], "Local à trouver")
    found = sheet(world)
    [pair] = found["doublons_resolus"]
    assert pair["type"] == "differentes" and pair["revue"] == item["id"]
    assert {found["noms"][pair["porteur_id"]], found["noms"][pair["autre_porteur_id"]]} == {
        "Gaëlle CHANTELOUBIÈRE", "Gaelle CHANTELOUBIERE"}
    assert [(a.kind, a.parrain) for a in found["decisions"]][:1] == [("parrain", "Louis Perrin")]
    assert [a.id for a in found["a_voir"]] == [kept]
    assert found["noms"][world["porteurs"]["F-ORPHELIN"]] == "Élodie FAURELLIAT"


def test_a_pair_set_aside_or_judged_different_can_be_taken_up_again_then_merged(world):
    from hub.errors import NotFound
    from hub.services.console import review_revisits

    hub, session = world["hub"], world["session"]
    [item] = duplicates.list_review_items(hub)["items"]
    duplicates.decide(hub, item["id"], "unknown", actor="pnr-livradois-forez", user="usr_coord")
    assert duplicates.list_review_items(hub)["items"] == []
    [aside] = review_revisits.revisitable(hub, session)["items"]
    assert aside["statut"] == "unknown" and "Gaëlle CHANTELOUBIÈRE" in aside["noms"]
    review_revisits.reopen(hub, session, item["id"])
    duplicates.decide(hub, item["id"], "different", actor="pnr-livradois-forez",
                      user="usr_coord")
    review_revisits.reopen(hub, session, item["id"])  # undo "personnes différentes"
    with pytest.raises(NotFound):
        review_revisits.reopen(hub, session, item["id"])  # open already
    decided = duplicates.decide(hub, item["id"], "same", confirmed=CONFIRMED_FLAGS,
                                actor="pnr-livradois-forez",
                                user="usr_coord")
    assert decided["fusion"] is not None  # the forgotten judgement no longer blocks
    assert len(hub.audit.search(action="review_reopen")) == 2


def test_a_pair_merged_separated_then_merged_again_shows_only_the_first_merge_undone(world):
    hub = world["hub"]
    [item] = duplicates.list_review_items(hub)["items"]

    def porteur_of(owner: str, fiche_id: str) -> str:
        with hub.uow() as uow:
            return str(uow.fiches.porteur_of(owner, fiche_id).porteur_id)

    def merged() -> None:
        duplicates.decide(hub, item["id"], "same", confirmed=CONFIRMED_FLAGS,
                          actor="pnr-livradois-forez", user="usr_coord")

    merged()
    duplicates.unmerge(hub, porteur_of("commune-ambert", "F-DOUBLE-A"), "cci-puy-de-dome",
                       "F-DOUBLE-B", actor="pnr-livradois-forez")
    with hub.uow() as uow:  # « Reprendre »
        assert uow.revisits.reopen(item["id"], ("unknown", "different")) is not None
        uow.commit()
    merged()
    changes = [(d["type"], d["defait"]) for d in sheet(world)["doublons_resolus"]
               if d["type"] in ("fusion", "separation")]
    assert changes == [("fusion", True), ("separation", False), ("fusion", False)]


PAIR = {"F-DOUBLE-A": "commune-ambert", "F-DOUBLE-B": "cci-puy-de-dome"}


@pytest.mark.parametrize("separated", sorted(PAIR))
def test_a_merge_is_shown_undone_whichever_side_the_separation_took(world, separated):
    """The separation may take the fiche the merge moved or the one of the kept side:
    either way the pair is apart again and the merge shows as undone."""
    hub = world["hub"]
    [item] = duplicates.list_review_items(hub)["items"]
    duplicates.decide(hub, item["id"], "same", confirmed=CONFIRMED_FLAGS,
                      actor="pnr-livradois-forez", user="usr_coord")
    with hub.uow() as uow:
        porteur = str(uow.fiches.porteur_of(PAIR[separated], separated).porteur_id)
    duplicates.unmerge(hub, porteur, PAIR[separated], separated, actor="pnr-livradois-forez")
    with hub.uow() as uow:
        apart = {str(uow.fiches.porteur_of(m, f).porteur_id) for f, m in PAIR.items()}
    assert len(apart) == 2
    changes = [(d["type"], d["defait"]) for d in sheet(world)["doublons_resolus"]
               if d["type"] in ("fusion", "separation")]
    assert changes == [("fusion", True), ("separation", False)]


def test_a_withdrawn_porteur_leaves_no_parrain_note_or_proposal_on_the_sheet(world):
    hub, session = world["hub"], world["session"]
    porteur = world["porteurs"]["F-ORPHELIN"]  # commune-ambert's fiche only
    meeting_actions.record_parrain(hub, session, porteur, "Parrain Vialatte")
    meeting_actions.keep_to_discuss(hub, session, porteur, "Local trouvé ?")
    meeting_actions.propose_referent(hub, session, porteur, "cci-puy-de-dome")
    before = sheet(world)
    assert {a.porteur_id for a in (*before["a_voir"], *before["decisions"])} == {porteur}
    record = hub.consents.by_reference("commune-ambert", "CST-F-ORPHELIN")
    consents.withdraw_consent(hub, Caller("commune-ambert", "", "commune", "accueil"),
                              record.id)
    after = sheet(world)
    assert after["a_voir"] == [] and after["decisions"] == []
    assert porteur not in after["noms"]
