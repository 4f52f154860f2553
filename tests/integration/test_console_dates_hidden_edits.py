"""A version changing only fields the coordination may not see (the referent's notes, the
honour loan) reaches its feed by nothing; nor does it move any date the console shows:
the parcours' « Dernières nouvelles » and its « sans nouvelles » flag, the list's first
contact and news (the index, `porteur_index`), the steering committee's month of first
contact (`porteur_figures`). The console dates a fiche by the newest version that changed
something the coordination may see (`fiches.coordination_version`), as the deliveries
compare: content paths only. Service level and the console over real HTTP (uvicorn),
both stores (docs/privacy.md, "Side channels")."""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from hub.api.app import create_app
from hub.services.accounts.auth import Caller
from hub.services.console import parcours, porteur_index
from hub.services.delivery import feed, subscriptions
from hub.services.ingest import accept as ingest
from hub.services.ingest import processing
from hub.store.porteur_index_tables import porteur_figures
from hub.store.porteur_index_tables import porteur_index as index_rows
from tests.console_world import build_world, console_hub
from tests.e2e.browser import served
from tests.factories import Clock, make_fiche, other_porteur, record_consents
from tests.integration.test_console_store_timeout import signed_in

pytestmark = pytest.mark.integration

COMMUNE = Caller("commune-ambert", "Mairie d'Ambert", "commune", "accueil")
COORDINATION = "pnr-livradois-forez"
COORDINATOR = Caller(COORDINATION, COORDINATION, "pnr", "coordination")


@pytest.fixture
def world(db_url, tmp_path) -> Iterator[dict]:
    clock = Clock()
    hub = console_hub(db_url, tmp_path, clock)
    build_world(hub, tmp_path)
    # the coordination's feed gets the fiches too: it is told of what it may see
    subscriptions.replace_subscriptions(hub, COORDINATOR, [{"communes": ["63003"]}])
    today = clock().date()
    with served(create_app(hub=hub)) as base:
        yield {"hub": hub, "clock": clock, "base": base, "today": today}
    hub.close()


def _on(day: dt.date) -> str:
    return dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC).isoformat()


def _first_versions(today: dt.date) -> dict[str, dict]:
    """F-NOTES: a step dated 200 days ago with the referent's notes, dated 150 days ago;
    F-PRET: no step, an honour loan, dated 150 days ago (its date is its first contact)."""
    notes = make_fiche(member=COMMUNE.member_id, fiche_id="F-NOTES", porteur=other_porteur(1),
                       mis_a_jour_le=_on(today - dt.timedelta(days=150)))
    notes["accompagnement"] = [{"structure": COMMUNE.member_id, "type": "accueil",
                                "date": (today - dt.timedelta(days=200)).isoformat(),
                                "referent": "Marie Lac", "notes": "Première note"}]
    loan = make_fiche(member=COMMUNE.member_id, fiche_id="F-PRET", porteur=other_porteur(2),
                      mis_a_jour_le=_on(today - dt.timedelta(days=150)))
    del loan["accompagnement"]
    return {"F-NOTES": notes, "F-PRET": loan}


def _next(document: dict, day: dt.date, change) -> dict:
    version = copy.deepcopy(document)
    version["version"] += 1
    version["mis_a_jour_le"] = _on(day)
    change(version)
    return version


def _push(hub, *documents, process: bool = True) -> None:
    assert ingest.push_batch(hub, COMMUNE, list(documents))["accepted"] == len(documents)
    if process:
        processing.process_outbox(hub, hub.publisher.published[-1])


def _porteurs(hub) -> dict[str, str]:
    with hub.uow() as uow:
        return {fiche_id: uow.fiches.get(COMMUNE.member_id, fiche_id).porteur_id
                for fiche_id in ("F-NOTES", "F-PRET")}


def _coordination_feed(hub) -> list[tuple[str, int]]:
    return [(e["source"]["fiche_id"], e["source"]["version"])
            for e in feed.read_feed(hub, COORDINATOR, 0, 500)["deliveries"]
            if e["source"]["fiche_id"] in ("F-NOTES", "F-PRET")]


def _dates(hub, porteurs: dict[str, str]) -> dict[str, tuple]:
    """What the console holds of each porteur: (last news, first contact) of its parcours,
    of its index row, and its month of first contact among the figures."""
    porteur_index.refresh(hub)
    people = {p.porteur_id: p for p in parcours.collect(hub, COORDINATION, list(porteurs.values()))}
    with hub.uow() as uow:
        rows = {r.porteur_id: r for r in uow.connection.execute(sa.select(index_rows))}
        months = {r.porteur_id: r.first_month for r in uow.connection.execute(
            sa.select(porteur_figures))}
    return {fiche_id: ((people[p].last_news, people[p].first_contact),
                       (rows[p].last_news, rows[p].first_contact), months[p])
            for fiche_id, p in porteurs.items()}


def _expected(news: dt.date, first: dt.date) -> tuple:
    return ((news, first), (news, first), first.isoformat()[:7])


def _news_on_the_console(base: str, porteur: str) -> str:
    client, _csrf = signed_in(base, "coord")
    try:
        page = client.get(f"/console/coordination/porteurs/{porteur}")
    finally:
        client.close()
    assert page.status_code == 200
    news = re.search(r"<dt>Dernières nouvelles</dt><dd>(.*?)</dd>", page.text, re.S)[1]
    return re.sub(r"<[^>]+>", "", news).strip()


def test_a_version_changing_only_what_the_coordination_may_not_see_moves_no_console_date(world):
    hub, today, base = world["hub"], world["today"], world["base"]
    first = _first_versions(today)
    record_consents(hub, list(first.values()))
    _push(hub, *first.values())
    porteurs = _porteurs(hub)
    long_ago, step_day = today - dt.timedelta(days=150), today - dt.timedelta(days=200)
    before = _dates(hub, porteurs)
    assert before == {"F-NOTES": _expected(long_ago, step_day),
                      "F-PRET": _expected(long_ago, long_ago)}
    page_before = _news_on_the_console(base, porteurs["F-NOTES"])
    assert page_before.startswith(long_ago.strftime("%d/%m/%Y")) and "sans nouvelles" in page_before

    def notes(version):
        version["accompagnement"][0]["notes"] = "Note que seul le référent lit"

    def loan(version):
        version["financement"]["pret_honneur"] = 15000

    hidden = [_next(first["F-NOTES"], today - dt.timedelta(days=2), notes),
              _next(first["F-PRET"], today - dt.timedelta(days=2), loan)]
    _push(hub, *hidden)
    assert _coordination_feed(hub) == [("F-NOTES", 1), ("F-PRET", 1)]  # told by nothing
    assert _dates(hub, porteurs) == before
    assert _news_on_the_console(base, porteurs["F-NOTES"]) == page_before


def test_a_version_changing_what_the_coordination_sees_dates_the_console_once_processed(world):
    hub, today, clock, base = world["hub"], world["today"], world["clock"], world["base"]
    first = _first_versions(today)
    record_consents(hub, list(first.values()))
    _push(hub, *first.values())
    porteurs = _porteurs(hub)
    hidden = _next(first["F-NOTES"], today - dt.timedelta(days=3),
                   lambda v: v["accompagnement"][0].update(notes="Note du référent"))
    _push(hub, hidden)

    def title(version):
        version["projet"]["intitule"] = "Papeterie et reliure d'art"

    seen = [_next(hidden, today - dt.timedelta(days=1), title),
            _next(first["F-PRET"], today - dt.timedelta(days=1), title)]
    _push(hub, *seen, process=False)
    clock.advance(minutes=30)  # past the index's look-back at the pushes
    porteur_index.refresh(hub)  # the index reads the porteurs before the worker has
    clock.advance(minutes=30)
    processing.process_outbox(hub, hub.publisher.published[-1])
    assert _coordination_feed(hub) == [("F-NOTES", 1), ("F-PRET", 1),
                                       ("F-NOTES", 3), ("F-PRET", 2)]
    yesterday = today - dt.timedelta(days=1)
    assert _dates(hub, porteurs) == {
        "F-NOTES": _expected(yesterday, today - dt.timedelta(days=200)),
        "F-PRET": _expected(yesterday, yesterday)}
    page = _news_on_the_console(base, porteurs["F-NOTES"])
    assert page == yesterday.strftime("%d/%m/%Y")  # no « sans nouvelles » flag
