"""The DPO's consents page counts and pages the consents in the database, on both
databases: what it shows is what each consent's own record says (`ConsentRecord.status`)
for the consents of the fiches the hub holds: active, withdrawn (a withdrawal dated later
is not one yet), expired; the ended ones most recently ended first, a page at a time."""

from __future__ import annotations

import collections
import datetime as dt

import pytest

from hub.services.accounts.sessions import ConsoleSession
from hub.services.console.dpo_console import consents_overview
from tests.factories import record_consents
from tests.integration.world import OWNER, fiche, push_and_process

pytestmark = pytest.mark.integration


def _officer(hub) -> ConsoleSession:
    return ConsoleSession("usr_dpo", "dpo", "dpo", "pnr-livradois", "x", hub.clock())


def _expected(hub) -> tuple[dict[str, dict[str, int]], list[tuple[str, str]]]:
    """Per member and status, and the ended ones in order, from the records themselves."""
    now = hub.clock()
    with hub.uow() as uow:
        keys = uow.fiche_reads.keys()
    counts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    ended = []
    for record in hub.consents.for_porteur(keys):
        status = record.status(now).value
        counts[record.member_id][status] += 1
        if status != "active":
            ended.append((record.withdrawn_at() or record.expires_at, record.id, status))
    ended.sort(key=lambda e: (-e[0].timestamp(), e[1]))
    return {m: dict(c) for m, c in counts.items()}, [(i, s) for _at, i, s in ended]


def _world(hub, clock) -> None:
    """Six fiches of the owner, each with a consent: two withdrawn (one an hour after the
    other), one withdrawn with a date two days ahead, one expiring in a day, two active;
    a second consent on a fiche, withdrawn; a consent on a fiche the hub never received."""
    push_and_process(hub, *[fiche(f"F-{n}") for n in range(1, 7)])
    short = record_consents(hub, [{"fiche_id": "F-4", "membre": OWNER.member_id,
                                   "consentement": {"reference": "CST-COURT"}}],
                            expire_le=(clock() + dt.timedelta(days=1)).isoformat())
    [again] = record_consents(hub, [{"fiche_id": "F-5", "membre": OWNER.member_id,
                                     "consentement": {"reference": "CST-BIS"}}])
    [unheld] = record_consents(hub, [{"fiche_id": "JAMAIS-RECU", "membre": OWNER.member_id,
                                      "consentement": {"reference": "CST-SEUL"}}])
    first = {r.fiche_id: r.id for r in hub.consents.for_porteur(
        [(OWNER.member_id, f"F-{n}") for n in range(1, 4)])}
    hub.consents.withdraw(first["F-1"], OWNER.member_id, clock())
    hub.consents.withdraw(first["F-2"], OWNER.member_id, clock() + dt.timedelta(hours=1))
    hub.consents.withdraw(first["F-3"], OWNER.member_id, clock() + dt.timedelta(days=4))
    hub.consents.withdraw(again.id, OWNER.member_id, clock() - dt.timedelta(minutes=5))
    hub.consents.withdraw(unheld.id, OWNER.member_id, clock())
    assert short
    clock.advance(days=2)


def test_the_consents_page_shows_what_each_consent_says(network):
    hub, clock, _cci, _pfil = network
    _world(hub, clock)
    counts, ended = _expected(hub)
    overview = consents_overview(hub, _officer(hub), per_page=2)
    assert {m["membre"]: {k: v for k, v in m.items() if k not in ("membre", "nom")}
            for m in overview["par_membre"]} == counts
    assert overview["par_statut"] == dict(sum(map(collections.Counter, counts.values()),
                                              collections.Counter()))
    assert overview["total"] == len(ended) == 4 and overview["pages"] == 2
    shown = [(e["consentement"], e["statut"]) for page in (1, 2)
             for e in consents_overview(hub, _officer(hub), page, per_page=2)["ended"]]
    assert shown == ended
    assert {s for _i, s in ended} == {"withdrawn", "expired"}


def test_a_page_past_the_last_shows_the_last(network):
    hub, clock, _cci, _pfil = network
    _world(hub, clock)
    _counts, ended = _expected(hub)
    overview = consents_overview(hub, _officer(hub), 9, per_page=3)
    assert overview["page"] == 2
    assert [e["consentement"] for e in overview["ended"]] == [i for i, _s in ended[3:]]
