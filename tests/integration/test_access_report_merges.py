""""Who saw my data" (GDPR art. 15) for a person whose fiches were merged or split by the
coordination: the report covers every access to the person's data, whichever porteur id
the hub held it under when it was seen."""

from __future__ import annotations

import pytest

from hub.domain.matching.model import CONFIRMED_FLAGS
from hub.services.audit import trail as audit
from hub.services.console import duplicates_console as queue
from hub.services.console.parcours import parcours_of
from hub.services.matching import duplicates

DPO_MEMBER = "pnr-livradois-forez"


def accesses(hub, porteur_id: str) -> dict[str, int]:
    report = audit.access_report(hub, DPO_MEMBER, porteur_id)
    return {r["membre"]: r["acces"] for r in report["destinataires"]}


def test_accesses_seen_under_a_porteur_merged_away_stay_in_the_persons_report(coordination):
    hub, session = coordination["hub"], coordination["session"]
    kept, absorbed = (coordination["porteurs"][f] for f in ("F-DOUBLE-A", "F-DOUBLE-B"))
    [item] = duplicates.list_review_items(hub)["items"]
    parcours_of(hub, session, absorbed)  # the coordination reads the second fiche's porteur
    before = {p: accesses(hub, p) for p in (kept, absorbed)}
    assert before[absorbed].get(DPO_MEMBER, 0) >= 1
    queue.decide(hub, session, item["id"], "same", confirmed=CONFIRMED_FLAGS)
    after = accesses(hub, kept)
    for member in {*before[kept], *before[absorbed]}:
        assert after.get(member, 0) == before[kept].get(member, 0) + before[absorbed].get(
            member, 0), member


def test_a_fiche_split_off_keeps_the_accesses_to_it_while_it_was_merged(coordination):
    hub, session = coordination["hub"], coordination["session"]
    kept = coordination["porteurs"]["F-DOUBLE-A"]
    [item] = duplicates.list_review_items(hub)["items"]
    queue.decide(hub, session, item["id"], "same", confirmed=CONFIRMED_FLAGS)
    parcours_of(hub, session, kept)  # one view of both fiches, under the kept id
    queue.unmerge(hub, session, kept, "cci-puy-de-dome", "F-DOUBLE-B")
    with hub.uow() as uow:
        restored = uow.fiches.porteur_of("cci-puy-de-dome", "F-DOUBLE-B").porteur_id
    assert restored != kept
    assert accesses(hub, restored).get(DPO_MEMBER, 0) >= 1
    owner = audit.fiche_report(hub, "cci-puy-de-dome", "cci-puy-de-dome", "F-DOUBLE-B")
    assert DPO_MEMBER in {r["membre"] for r in owner["destinataires"]}


OTHER = "cci-puy-de-dome"


def _separated_after_a_mistaken_merge(coordination) -> tuple[str, str, str]:
    """Two persons' fiches merged by mistake, then separated an hour later; answers the
    porteur holding each fiche now and the porteur id they shared while merged."""
    hub, session, clock = coordination["hub"], coordination["session"], coordination["clock"]
    [item] = duplicates.list_review_items(hub)["items"]
    queue.decide(hub, session, item["id"], "same", confirmed=CONFIRMED_FLAGS)  # a mistake
    with hub.uow() as uow:
        shared = uow.fiches.porteur_of("commune-ambert", "F-DOUBLE-A").porteur_id
    clock.advance(hours=1)
    audit.record(hub, [audit.event(hub, "webhook_delivery", "recoit-b", porteur_id=shared,
                                   fiches=[(OTHER, "F-DOUBLE-B")], fields=["porteur.nom"],
                                   purpose="orientation")])
    clock.advance(hours=1)
    queue.unmerge(hub, session, shared, OTHER, "F-DOUBLE-B")
    clock.advance(hours=1)
    with hub.uow() as uow:
        return (uow.fiches.porteur_of("commune-ambert", "F-DOUBLE-A").porteur_id,
                uow.fiches.porteur_of(OTHER, "F-DOUBLE-B").porteur_id, shared)


def _each_seen_then_merged_and_separated(coordination) -> tuple[str, str]:
    """An access naming no fiche (a feed pull whose source fiche is gone) logged under
    each person's porteur (by « voit-a », « voit-b »), then an hour later the mistaken
    merge undone; answers the porteur holding each person's fiche now."""
    hub = coordination["hub"]
    a, b = (coordination["porteurs"][f] for f in ("F-DOUBLE-A", "F-DOUBLE-B"))
    for member, porteur in (("voit-a", a), ("voit-b", b)):
        audit.record(hub, [audit.event(hub, "feed_pull", member, porteur_id=porteur,
                                       fields=["porteur.nom"], purpose="orientation")])
    coordination["clock"].advance(hours=1)
    now_a, now_b, _shared = _separated_after_a_mistaken_merge(coordination)
    return now_a, now_b


def test_a_persons_report_never_lists_another_persons_accesses_after_a_mistaken_merge(
        coordination):
    """Accesses naming no fiche (a feed pull whose source fiche is gone), logged under
    each person's porteur before the mistaken merge, stay each in their own person's
    report once the merge is undone; an access to B's fiche while merged is B's only. The
    DPO's journal searched by each person's id finds the same (`journal`)."""
    hub = coordination["hub"]
    now_a, now_b = _each_seen_then_merged_and_separated(coordination)
    for read in (accesses, journal):
        of_a, of_b = set(read(hub, now_a)), set(read(hub, now_b))
        assert "voit-a" in of_a and "voit-b" in of_b
        assert "voit-b" not in of_a and "voit-a" not in of_b
        assert "recoit-b" in of_b and "recoit-b" not in of_a


def test_a_fiche_withdrawn_after_a_mistaken_merge_was_undone_shows_no_one_its_accesses(
        coordination):
    """Withdrawn, B's fiche loses the id its pseudonym was made of: the access to it
    while merged is never shown to A (it is left out of B's report too: see
    hub/services/audit/person_scope.py)."""
    from hub.services.accounts.auth import Caller
    from hub.services.privacy import erasure

    hub = coordination["hub"]
    now_a, _now_b, _shared = _separated_after_a_mistaken_merge(coordination)
    erasure.delete_fiche(hub, Caller(OTHER, "CCI", "cci", "accompagnement"), OTHER, "F-DOUBLE-B")
    assert "recoit-b" not in accesses(hub, now_a)


def test_an_access_logged_under_the_absorbed_porteur_as_the_merge_committed_is_kept(
        coordination):
    """A feed pull that read the absorbed porteur before the merge and was logged after."""
    hub, session = coordination["hub"], coordination["session"]
    a, b = (coordination["porteurs"][f] for f in ("F-DOUBLE-A", "F-DOUBLE-B"))
    [item] = duplicates.list_review_items(hub)["items"]
    queue.decide(hub, session, item["id"], "same", confirmed=CONFIRMED_FLAGS)
    with hub.uow() as uow:
        kept = uow.fiches.porteur_of("commune-ambert", "F-DOUBLE-A").porteur_id
    absorbed = b if kept == a else a
    coordination["clock"].advance(minutes=1)
    audit.record(hub, [audit.event(hub, "feed_pull", "voit-tard", porteur_id=absorbed,
                                   fields=["porteur.nom"], purpose="orientation")])
    assert "voit-tard" in accesses(hub, kept)


@pytest.mark.parametrize("bound", [1, 2, 3])
def test_a_history_cut_at_its_bound_shows_no_one_another_persons_accesses(
        coordination, monkeypatch, bound):
    from hub.services.audit import person_scope

    hub = coordination["hub"]
    now_a, now_b = _each_seen_then_merged_and_separated(coordination)
    whole = {p: set(accesses(hub, p)) for p in (now_a, now_b)}
    monkeypatch.setattr(person_scope, "MAX_LINKS", bound)
    for porteur in (now_a, now_b):
        assert set(accesses(hub, porteur)) <= whole[porteur]


def journal(hub, porteur_id: str, **criteria) -> set[str]:
    """The members whose events the DPO's log search by `porteur_id` finds (every page),
    as the console's journal, its exports and the API's search find them."""
    found = audit.search_page(hub, DPO_MEMBER, page=1, per_page=10_000, porteur_id=porteur_id,
                              **criteria)
    exported = {e.actor_member for e in audit.events(hub, porteur_id=porteur_id, **criteria)}
    searched = {e["membre"] for e in audit.search(hub, DPO_MEMBER, porteur_id=porteur_id,
                                                   **criteria)}  # GET /v1/audit?porteur=
    members = {e["membre"] for e in found["events"]}
    assert found["total"] == len(found["events"]) and exported == members == searched
    return members


def test_the_journal_search_by_porteur_finds_the_accesses_logged_under_a_porteur_merged_away(
        coordination):
    """A DPO answering "who saw my data" from the journal finds, under the person's id,
    the accesses logged under the id their other fiche had before the merge (the access
    report's rule), the other criteria still applying."""
    hub, session = coordination["hub"], coordination["session"]
    a, b = (coordination["porteurs"][f] for f in ("F-DOUBLE-A", "F-DOUBLE-B"))
    for member, porteur in (("voit-a", a), ("voit-b", b)):
        audit.record(hub, [audit.event(hub, "feed_pull", member, porteur_id=porteur,
                                       fields=["porteur.nom"], purpose="orientation")])
    [item] = duplicates.list_review_items(hub)["items"]
    queue.decide(hub, session, item["id"], "same", confirmed=CONFIRMED_FLAGS)
    with hub.uow() as uow:
        kept = uow.fiches.porteur_of("commune-ambert", "F-DOUBLE-A").porteur_id
    assert {"voit-a", "voit-b"} <= journal(hub, kept)
    assert journal(hub, kept, member="voit-b") == {"voit-b"}
    assert journal(hub, kept, action="audit_view") <= {DPO_MEMBER}

