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
