"""A review item the worker flagged, in a real headless Chromium: the console shows what
to check, and « Même personne » needs each flag ticked by name (the browser asks first;
the hub refuses a form without it, 409, and changes nothing). A SQLite file, then
PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from selenium.webdriver.common.by import By

from hub.domain.matching.model import IDENTITY_ONLY_KEY, MOVED_AWAY_KEY
from hub.services.matching import duplicates
from tests.e2e.browser import axe_violations
from tests.e2e.duplicate_console import one_item_console, sign_in_coordination
from tests.e2e.test_console_browser import follow, text
from tests.integration.dedup_world import CCI, COMMUNE, porteur_of
from tests.integration.test_flagged_decisions import moved_away_world

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def console(request, tmp_path_factory) -> Iterator[dict]:
    with one_item_console(request, tmp_path_factory, "flagged", moved_away_world) as world:
        yield world


def test_a_flagged_pair_says_what_to_check_and_same_needs_its_flag_ticked(console):
    hub, driver, item = console["hub"], console["driver"], console["item"]
    assert item["explication"].get(MOVED_AWAY_KEY) is True
    assert IDENTITY_ONLY_KEY not in item["explication"]
    sign_in_coordination(console)
    page = f"{console['base']}/console/coordination/doublons/{item['id']}"
    driver.get(page)
    warning = driver.find_element(By.CSS_SELECTOR, "section.warning").text
    assert "Autre domicile" in warning and "vérifiez" in warning
    assert "Autre domicile" in text(driver).split("Pourquoi il attend une décision")[1]
    assert not axe_violations(driver)
    tick = driver.find_element(By.ID, f"confirme_{MOVED_AWAY_KEY}")
    assert driver.find_element(By.CSS_SELECTOR, f"label[for=confirme_{MOVED_AWAY_KEY}]").text \
        == "J'ai vérifié : autre domicile"
    same = driver.find_element(By.XPATH, "//button[text()='Même personne']")
    same.click()  # the browser asks for the tick first: nothing is sent
    assert driver.execute_script("return arguments[0].validity.valueMissing", tick)
    assert driver.current_url == page
    # a form sent without the tick all the same (an old page, a script): refused, kept open
    driver.execute_script("arguments[0].removeAttribute('required')", tick)
    follow(driver, same)
    assert "n'a pas été enregistré" in text(driver)
    assert duplicates.get_review_item(hub, item["id"], actor="pnr-livradois-forez")[
        "statut"] == "open"
    assert porteur_of(hub, CCI, "G-1") != porteur_of(hub, COMMUNE, "V-1")
    driver.find_element(By.ID, f"confirme_{MOVED_AWAY_KEY}").click()  # ticked
    follow(driver, driver.find_element(By.XPATH, "//button[text()='Même personne']"))
    assert driver.current_url.endswith("/console/coordination/fusions?fait=same")
    assert porteur_of(hub, CCI, "G-1") == porteur_of(hub, COMMUNE, "V-1")
