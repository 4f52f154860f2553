"""The coordination's long lists in a real headless Chromium, at a network's volume: more
pairs set aside or judged « personnes différentes » and more merges than one page holds.
The oldest of each stays reachable (numbered pages, the whole count in the heading), so
a pair set aside months ago can still be taken up again, and a merge made before a
hundred others can still be separated. A SQLite file, then PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from selenium.webdriver.common.by import By

from hub.bootstrap import Hub
from hub.domain.matching.model import CONFIRMED_FLAGS
from hub.services.matching import duplicates
from hub.store.matching_tables import merge_events, review_items
from hub.store.tables import fiches
from tests.e2e.browser import console_world_served
from tests.e2e.test_console_browser import follow, no_violations, sign_in, text
from tests.factories import Clock

pytestmark = pytest.mark.slow
LATER = 130  # decisions and merges made after the world's pair: more than a page of each
PAIR = ("F-DOUBLE-A", "F-DOUBLE-B")
COORDINATION = "pnr-livradois-forez"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def console(request, tmp_path_factory) -> Iterator[dict]:
    with console_world_served(request, tmp_path_factory, "long-lists") as served_world:
        [item] = duplicates.list_review_items(served_world["hub"])["items"]
        yield {**served_world, "item": item["id"]}


def test_a_pair_set_aside_before_a_hundred_others_can_still_be_taken_up(console):
    hub, driver, item = console["hub"], console["driver"], console["item"]
    duplicates.decide(hub, item, "unknown", actor=COORDINATION)
    _decided_later(hub, console["clock"], item)
    _sign_in(console)
    driver.get(console["base"] + "/console/coordination/doublons")
    heading = driver.find_element(By.ID, "a-revoir").text
    assert f"({LATER + 1})" in heading, heading  # every pair to revisit is counted
    button = _through_pages(driver, "Pages des doublons à revoir",
                            f"Reprendre le doublon n° {item}")
    no_violations(driver)
    follow(driver, button)
    assert "Doublon repris" in text(driver)
    assert duplicates.get_review_item(hub, item, actor=COORDINATION)["statut"] == "open"


def test_a_merge_made_before_a_hundred_others_can_still_be_separated(console):
    hub, driver, item = console["hub"], console["driver"], console["item"]
    with hub.uow() as uow:  # open again whatever the test before did with it
        uow.revisits.reopen(item, ("unknown", "different"))
        uow.commit()
    duplicates.decide(hub, item, "same", actor=COORDINATION, confirmed=CONFIRMED_FLAGS)
    porteurs = [_porteur_of(hub, fiche) for fiche in PAIR]
    assert porteurs[0] == porteurs[1]
    _merged_later(hub, console["clock"], console["porteurs"]["F-FERME"])
    _sign_in(console)
    driver.get(console["base"] + "/console/coordination/fusions")
    caption = driver.find_element(By.CSS_SELECTOR, "main table caption").text
    assert caption.startswith(f"{LATER + 1} fusion(s)"), caption
    button = _through_pages(driver, "Pages de l'historique des fusions",
                            f"Séparer… la fiche {PAIR[1]} de CCI du Puy-de-Dôme")
    no_violations(driver)
    follow(driver, button)
    follow(driver, driver.find_element(By.XPATH, "//button[text()='Confirmer la séparation']"))
    assert "Séparation faite" in text(driver)
    assert _porteur_of(hub, PAIR[0]) != _porteur_of(hub, PAIR[1])
    # the separation (on the first page) takes « Séparer… » off the merge (on a later one)
    driver.get(console["base"] + "/console/coordination/fusions")
    with pytest.raises(AssertionError, match="no page after it"):
        _through_pages(driver, "Pages de l'historique des fusions",
                       f"Séparer… la fiche {PAIR[1]} de CCI du Puy-de-Dôme")
    assert _current_page(driver, "Pages de l'historique des fusions") > 1


def test_a_pair_merged_separated_taken_up_and_merged_again_can_be_separated_again(console):
    hub, driver, item = console["hub"], console["driver"], console["item"]
    _merged_then_separated(hub, item)
    with hub.uow() as uow:  # « Reprendre »
        assert uow.revisits.reopen(item, ("unknown", "different")) is not None
        uow.commit()
    duplicates.decide(hub, item, "same", actor=COORDINATION, confirmed=CONFIRMED_FLAGS)
    assert _porteur_of(hub, PAIR[0]) == _porteur_of(hub, PAIR[1])
    _sign_in(console)
    driver.get(console["base"] + "/console/coordination/fusions")
    # the newest merge (first on the first page) is the one a coordinator may separate
    button = driver.find_elements(
        By.CSS_SELECTOR, f"button[aria-label='Séparer… la fiche {PAIR[1]} de CCI du Puy-de-Dôme']")
    assert button, "the merge made again shows no « Séparer… »"
    no_violations(driver)
    follow(driver, button[0])
    follow(driver, driver.find_element(By.XPATH, "//button[text()='Confirmer la séparation']"))
    assert "Séparation faite" in text(driver)
    assert _porteur_of(hub, PAIR[0]) != _porteur_of(hub, PAIR[1])


def _merged_then_separated(hub: Hub, item: int) -> None:
    """The world's pair merged, then F-DOUBLE-B separated (whatever a test before did)."""
    if _porteur_of(hub, PAIR[0]) != _porteur_of(hub, PAIR[1]):
        with hub.uow() as uow:
            uow.revisits.reopen(item, ("unknown", "different"))
            uow.commit()
        duplicates.decide(hub, item, "same", actor=COORDINATION, confirmed=CONFIRMED_FLAGS)
    duplicates.unmerge(hub, _porteur_of(hub, PAIR[0]), "cci-puy-de-dome", PAIR[1],
                       actor=COORDINATION)


def _through_pages(driver: Any, pager: str, button: str) -> Any:
    """The button labelled `button`, following the numbered pages of the navigation
    labelled `pager` one after the other (as a coordinator would, to the last)."""
    seen = set()
    while True:
        found = driver.find_elements(By.CSS_SELECTOR, f"button[aria-label='{button}']")
        if found:
            return found[0]
        current = _current_page(driver, pager)
        assert current not in seen, f"{button!r}: no page shows it"
        seen.add(current)
        links = driver.find_elements(
            By.XPATH, f"//nav[@aria-label=\"{pager}\"]//a[@aria-label='Page {current + 1}']")
        assert links, f"{button!r} not on page {current} and no page after it"
        follow(driver, links[0])


def _current_page(driver: Any, pager: str) -> int:
    current = driver.find_elements(
        By.XPATH, f"//nav[@aria-label=\"{pager}\"]//*[@aria-current='page']")
    return int(current[0].text) if current else 1


def _decided_later(hub: Hub, clock: Clock, item: int) -> None:
    """LATER pairs judged « personnes différentes » after `item` was set aside."""
    with hub.engine.begin() as conn:
        row = conn.execute(sa.select(review_items).where(review_items.c.id == item)).one()
        copy = {k: v for k, v in row._mapping.items() if k != "id"}
        conn.execute(review_items.insert(), [
            {**copy, "status": "different", "decided_by": COORDINATION,
             "decided_at": clock.now + dt.timedelta(minutes=n + 1)} for n in range(LATER)])


def _merged_later(hub: Hub, clock: Clock, porteur: str) -> None:
    """LATER merges into `porteur` (each moving its fiche, which the coordination sees: a
    merge moving none it sees is not listed) after the pair's."""
    with hub.engine.begin() as conn:
        fiche_pks = conn.execute(sa.select(merge_events.c.fiche_pks).order_by(
            merge_events.c.id.desc())).scalars().first()
        assert fiche_pks, "the pair's merge is recorded"
        held = conn.execute(sa.select(fiches.c.id).where(fiches.c.porteur_id == porteur)
                            ).scalars().all()
        conn.execute(merge_events.insert(), [
            {"kind": "merge", "porteur_id": porteur, "other_porteur_id": f"prt_ancien{n}",
             "fiche_pks": list(held), "review_item_id": None, "actor": COORDINATION,
             "actor_user": None, "at": clock.now + dt.timedelta(minutes=n + 1)}
            for n in range(LATER)])


def _porteur_of(hub: Hub, fiche_id: str) -> str:
    owner = "commune-ambert" if fiche_id == PAIR[0] else "cci-puy-de-dome"
    with hub.uow() as uow:
        return str(uow.fiches.porteur_of(owner, fiche_id).porteur_id)


def _sign_in(console: dict) -> None:
    console["driver"].get(console["base"] + "/console/connexion")
    console["driver"].delete_all_cookies()
    sign_in(console, "coord")
