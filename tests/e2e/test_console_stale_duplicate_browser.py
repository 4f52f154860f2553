"""A review item whose side gets a new version while its page is open, in a real headless
Chromium: the worker scores the item again, and « Même personne » sent from the page as it
was is refused (409, the item shown as it is now, nothing merged); sent again from that
page, it merges. A SQLite file, then PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from selenium.webdriver.common.by import By

from hub.domain.matching.model import IDENTITY_ONLY_KEY
from hub.services.matching import duplicates
from tests.e2e.browser import axe_violations
from tests.e2e.duplicate_console import COORDINATION, one_item_console, sign_in_coordination
from tests.e2e.test_console_browser import follow, text
from tests.integration.dedup_world import CCI, COMMUNE, PERSON, VISIBLE, fiche_of, porteur_of, push

pytestmark = pytest.mark.slow


def _queued(hub) -> None:
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", PERSON))
    push(hub, CCI, fiche_of(CCI, "C-1", VISIBLE))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def console(request, tmp_path_factory) -> Iterator[dict]:
    with one_item_console(request, tmp_path_factory, "stale", _queued) as world:
        yield world


def test_same_sent_from_a_page_older_than_a_new_version_changes_nothing(console):
    hub, driver, item = console["hub"], console["driver"], console["item"]
    sign_in_coordination(console)
    driver.get(f"{console['base']}/console/coordination/doublons/{item['id']}")
    assert "Identité seule" in text(driver)
    driver.find_element(By.ID, f"confirme_{IDENTITY_ONLY_KEY}").click()
    # the CCI pushes C-1 again, her e-mail added; the worker processes it meanwhile
    push(hub, CCI, fiche_of(CCI, "C-1", {**VISIBLE, "courriel": PERSON["courriel"]}, version=2))
    follow(driver, driver.find_element(By.XPATH, "//button[text()='Même personne']"))
    shown = text(driver)
    assert "a changé depuis son affichage" in shown and "Rien n'a été changé" in shown
    assert PERSON["courriel"] in shown and "Identité seule" not in shown  # as it is now
    assert porteur_of(hub, CCI, "C-1") != porteur_of(hub, COMMUNE, "A-1")
    assert duplicates.get_review_item(hub, item["id"], actor=COORDINATION)["statut"] == "open"
    assert not axe_violations(driver)
    follow(driver, driver.find_element(By.XPATH, "//button[text()='Même personne']"))
    assert driver.current_url.endswith("/console/coordination/fusions?fait=same")
    assert porteur_of(hub, CCI, "C-1") == porteur_of(hub, COMMUNE, "A-1")
