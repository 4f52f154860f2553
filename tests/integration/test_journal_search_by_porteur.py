"""The DPO's journal search by porteur with other criteria (a member, a period, an
action, an account) finds the matching events however long the person's history: the
criteria are the database's to apply. Before, the person's events were read oldest first
up to a bound (`person_scope.MAX_EVENTS`) and the criteria applied to what was read: past
the bound, the newest accesses (those a DPO asks about) were not found. On both stores."""

from __future__ import annotations

import datetime as dt

import pytest

from hub.services.audit import person_scope
from hub.services.audit import trail as audit

pytestmark = pytest.mark.integration

DPO_MEMBER = "pnr-livradois-forez"
BOUND = 30  # the bound, made small: a long history without a hundred thousand events
READER = "pfil-livradois-forez"


@pytest.fixture
def long_history(coordination, monkeypatch):
    """F-INSTALLE's porteur read BOUND + 10 times by the CCI, then, ten days later, three
    times by the PFIL: answers the hub, the porteur and when the PFIL's reads began."""
    hub, clock = coordination["hub"], coordination["clock"]
    porteur = coordination["porteurs"]["F-INSTALLE"]
    with hub.uow() as uow:
        [fiche] = uow.fiches.of_porteur(porteur)
    monkeypatch.setattr(person_scope, "MAX_EVENTS", BOUND)

    def _reads(member: str, count: int) -> None:
        audit.record(hub, [audit.event(hub, "api_read", member, porteur_id=porteur,
                                       fiches=[(fiche.member_id, fiche.fiche_id)],
                                       fields=["porteur.nom"], purpose="accompagnement")
                           for _ in range(count)])

    _reads("cci-puy-de-dome", BOUND + 10)
    began = clock.advance(days=10)
    _reads(READER, 3)
    clock.advance(minutes=5)
    return hub, porteur, began


def _found(hub, porteur: str, **criteria) -> list[dict]:
    return audit.search_page(hub, DPO_MEMBER, page=1, per_page=100, porteur_id=porteur,
                             **criteria)["events"]


def test_a_search_by_porteur_and_member_finds_the_member_s_latest_accesses(long_history):
    hub, porteur, _began = long_history
    found = _found(hub, porteur, member=READER)
    assert [(e["membre"], e["action"]) for e in found] == [(READER, "api_read")] * 3


def test_a_search_by_porteur_and_period_finds_the_period_s_accesses(long_history):
    hub, porteur, began = long_history
    found = _found(hub, porteur, since=began - dt.timedelta(hours=1), action="api_read")
    assert [e["membre"] for e in found] == [READER] * 3


def test_an_export_by_porteur_and_member_holds_the_member_s_latest_accesses(long_history):
    hub, porteur, _began = long_history
    lines = list(audit.export_events(hub, DPO_MEMBER, "jsonl", porteur_id=porteur,
                                     member=READER))
    assert len([line for line in lines if READER in line]) == 3


def test_a_search_by_porteur_alone_past_the_bound_shows_the_newest_accesses(long_history):
    """No other criterion: past the bound, the page (newest first) still begins with the
    newest accesses; the oldest are the ones the bound leaves out."""
    hub, porteur, _began = long_history
    found = _found(hub, porteur)
    assert [e["membre"] for e in found[:3]] == [READER] * 3
    assert len(found) == BOUND


def test_the_api_search_by_porteur_alone_past_the_bound_holds_the_newest_accesses(long_history):
    hub, porteur, _began = long_history
    found = audit.search(hub, DPO_MEMBER, porteur_id=porteur, limit=1000)
    assert [e["membre"] for e in found[-3:]] == [READER] * 3
    assert [e["seq"] for e in found] == sorted(e["seq"] for e in found)


@pytest.mark.parametrize("per_page", [1, 3])
def test_paging_through_a_persons_events_shows_each_event_once(long_history, per_page):
    """Each page view logs an event about the person: pinned to the log's last seq at the
    first page (given back for the next pages), no page is shifted by those views."""
    hub, porteur, _began = long_history
    first = audit.search_page(hub, DPO_MEMBER, page=1, per_page=per_page, porteur_id=porteur)
    seqs = [e["seq"] for e in first["events"]]
    for page in range(2, first["pages"] + 1):
        seqs += [e["seq"] for e in audit.search_page(
            hub, DPO_MEMBER, page=page, per_page=per_page, porteur_id=porteur,
            upto=first["upto"])["events"]]
    assert len(seqs) == len(set(seqs)) == first["total"] == BOUND
    assert seqs == sorted(seqs, reverse=True)


def test_paging_through_the_whole_log_shows_each_event_once(long_history):
    hub, _porteur, _began = long_history
    first = audit.search_page(hub, DPO_MEMBER, page=1, per_page=7)
    seqs = [e["seq"] for e in first["events"]]
    for page in range(2, first["pages"] + 1):
        seqs += [e["seq"] for e in audit.search_page(hub, DPO_MEMBER, page=page, per_page=7,
                                                     upto=first["upto"])["events"]]
    assert len(seqs) == len(set(seqs)) == first["total"]
    assert seqs == sorted(seqs, reverse=True) and seqs[0] == first["upto"]


def test_an_export_by_porteur_alone_holds_every_event_past_the_bound(long_history, monkeypatch):
    """The export streams the person's events whole, oldest first: the bound of the
    searches (made small here) cut it to the newest events per porteur id without saying so."""
    import json

    hub, porteur, _began = long_history
    lines = [json.loads(line) for line in audit.export_events(hub, DPO_MEMBER, "jsonl",
                                                              porteur_id=porteur)]
    monkeypatch.setattr(person_scope, "MAX_EVENTS", 100_000)  # every one, for the check
    every = [e.seq for e in person_scope.searched(hub, porteur)]
    exported = [line["seq"] for line in lines if line["type"] == "entry"]
    assert len(every) > BOUND
    assert exported == every
