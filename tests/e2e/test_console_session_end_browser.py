"""A console session ended by HUB_CONSOLE_SESSION_HOURS, in a real headless Chromium that
keeps its cookies as a browser does: a form sent after the end leads to the sign-in page
saying that it was not recorded, a link followed after the end to the sign-in page saying
that the session ended. The session lasts 2 seconds of the hub's settable clock; the test
waits for the browser's own clock to pass those 2 seconds too. A SQLite file, then
PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from selenium.webdriver.common.by import By

from hub.services.matching import duplicates
from tests.e2e.duplicate_console import COORDINATION, PASSWORD, one_item_console
from tests.e2e.test_console_browser import follow, text
from tests.integration.dedup_world import CCI, COMMUNE, PERSON, VISIBLE, fiche_of, push

pytestmark = pytest.mark.slow
SESSION_SECONDS = 2


def _queued(hub) -> None:
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", PERSON))
    push(hub, CCI, fiche_of(CCI, "C-1", VISIBLE))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def console(request, tmp_path_factory) -> Iterator[dict]:
    with one_item_console(request, tmp_path_factory, "session-end", _queued,
                          console_session_hours=SESSION_SECONDS / 3600) as world:
        yield world


def _sign_in(console: dict, suite: str = "") -> float:
    """Sign in as the coordination's account; when the session began, by the real clock."""
    driver = console["driver"]
    if not suite:
        driver.get(console["base"] + "/console/connexion")
    driver.find_element(By.ID, "login").send_keys("coord")
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    began = time.monotonic()
    follow(driver, driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    return began


def _end_session(console: dict, began: float) -> None:
    """The session's end passes by the hub's clock and by the browser's."""
    console["clock"].advance(seconds=SESSION_SECONDS + 1)
    time.sleep(max(0.0, began + SESSION_SECONDS + 1 - time.monotonic()))


def test_a_form_sent_after_the_session_ended_is_not_recorded_and_the_page_says_so(console):
    hub, driver, item = console["hub"], console["driver"], console["item"]
    began = _sign_in(console)
    pair = f"{console['base']}/console/coordination/doublons/{item['id']}"
    driver.get(pair)
    _end_session(console, began)
    follow(driver, driver.find_element(By.XPATH, "//button[text()='Personnes différentes']"))
    assert "/console/connexion?" in driver.current_url and "fin=action" in driver.current_url
    assert "votre dernière action n'a pas été enregistrée" in text(driver)
    assert duplicates.get_review_item(hub, item["id"], actor=COORDINATION)["statut"] == "open"
    _sign_in(console, suite=pair)
    assert driver.current_url == pair


def test_a_link_followed_after_the_session_ended_says_the_session_ended(console):
    driver = console["driver"]
    began = _sign_in(console)
    assert driver.current_url.endswith("/console/coordination/porteurs")
    _end_session(console, began)
    driver.get(console["base"] + "/console/coordination/doublons")
    assert "/console/connexion?" in driver.current_url and "fin=session" in driver.current_url
    assert "Votre session a pris fin : connectez-vous de nouveau" in text(driver)
