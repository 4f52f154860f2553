"""A review item one of whose fiches the coordination may not see (its consent leaves the
coordination out), in a real headless Chromium: the page names neither the member nor the
fiche of that side, compares none of its fields, shows no score detail, and offers only
« À revoir en réunion ». A SQLite file, then PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from selenium.webdriver.common.by import By

from hub.services.matching import duplicates
from tests.e2e.browser import axe_violations
from tests.e2e.duplicate_console import COORDINATION, one_item_console, sign_in_coordination
from tests.e2e.test_console_browser import follow, text
from tests.factories import record_consents
from tests.integration.dedup_world import CCI, COMMUNE, NAMES_ONLY, PERSON, fiche_of, push

pytestmark = pytest.mark.slow


def _hidden_then_visible(hub) -> None:
    hidden = fiche_of(COMMUNE, "A-1", PERSON)
    record_consents(hub, [hidden], roles_destinataires=["accueil", "accompagnement"])
    push(hub, COMMUNE, hidden, consent=False)
    push(hub, CCI, fiche_of(CCI, "C-1", {**NAMES_ONLY, "date_naissance": PERSON["date_naissance"]}))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def console(request, tmp_path_factory) -> Iterator[dict]:
    with one_item_console(request, tmp_path_factory, "closed-side", _hidden_then_visible) as world:
        yield world


def test_a_side_the_coordination_may_not_see_reads_not_consultable_and_can_only_wait(console):
    hub, driver, item = console["hub"], console["driver"], console["item"]
    sign_in_coordination(console)
    driver.get(f"{console['base']}/console/coordination/doublons/{item['id']}")
    shown = text(driver)
    heads = driver.find_elements(By.CSS_SELECTOR, "table.compare thead th")
    assert "côté non consultable" in heads[2].text and "fiche C-1" in heads[1].text
    for told in (COMMUNE.member_id, "A-1", "comparaison du hub", "identique", "Détail du score"):
        assert told not in shown, told
    buttons = [b.text for b in driver.find_elements(By.CSS_SELECTOR, ".decisions button")]
    assert buttons == ["À revoir en réunion"]
    assert not axe_violations(driver)
    follow(driver, driver.find_element(By.XPATH, "//button[text()='À revoir en réunion']"))
    assert duplicates.get_review_item(hub, item["id"], actor=COORDINATION)["statut"] == "unknown"
