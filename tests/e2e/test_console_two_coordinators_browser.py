"""Two coordinators in two real browsers on one pair, with the keyboard alone: the one
who decides second, and the one whose session ended, are told what happened on pages
that pass axe."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts import users as accounts
from hub.services.matching import duplicates
from tests.conftest import service_missing
from tests.console_world import PASSWORDS, build_world
from tests.e2e.browser import axe_missing, browser_missing, chromium, served
from tests.e2e.test_console_browser import follow, no_violations, text
from tests.fakes.publisher import RecordingPublisher

pytestmark = pytest.mark.slow
SECOND = ("coord2", "deuxieme-coordinatrice")


@pytest.fixture
def two(tmp_path) -> Iterator[dict]:
    missing = browser_missing() or axe_missing()
    if missing:
        service_missing("Chromium and axe-core", RuntimeError(missing))
    from hub.store.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'hub.sqlite3'}"
    upgrade(url)
    hub = Hub.from_settings(Settings(data_dir=tmp_path / "data", database_url=url),
                            publisher=RecordingPublisher())
    build_world(hub, tmp_path)
    accounts.add_user(hub, SECOND[0], "coordinator", SECOND[1])
    with served(create_app(hub=hub)) as base, chromium() as first, chromium() as second:
        yield {"hub": hub, "base": base, "first": first, "second": second}
    hub.close()


def keys(driver, *typed: str) -> None:
    """Type, Tab and Enter as a person at the keyboard; waits for the page Enter opens."""
    *before, last = typed
    if before:
        ActionChains(driver).send_keys(*before).perform()
    follow(driver, driver.switch_to.active_element, last)


def tab_to(driver, label: str, most: int = 40) -> None:
    """Press Tab until the focused element reads `label`."""
    for _ in range(most):
        ActionChains(driver).send_keys(Keys.TAB).perform()
        if driver.switch_to.active_element.text.strip().startswith(label):
            return
    raise AssertionError(f"« {label} » never took the focus")


def sign_in_by_keyboard(driver, base: str, login: str, password: str) -> None:
    driver.get(base + "/console/connexion")
    keys(driver, login, Keys.TAB, password, Keys.ENTER)


def both_at(two, *links: str) -> tuple:
    """Both coordinators signed in at the keyboard, each following `links` in turn."""
    first, second, base = two["first"], two["second"], two["base"]
    sign_in_by_keyboard(first, base, "coord", PASSWORDS["coord"])
    sign_in_by_keyboard(second, base, *SECOND)
    for driver in (first, second):
        for link in links:
            tab_to(driver, link)
            keys(driver, Keys.ENTER)
    return first, second


def tick_flags(driver, most: int = 40) -> None:
    """Tab to the pair's flag to confirm (the console world's pair is flagged
    `identite_seule_a_verifier`) and tick it with the space bar."""
    for _ in range(most):
        ActionChains(driver).send_keys(Keys.TAB).perform()
        if (driver.switch_to.active_element.get_attribute("name") or "").startswith("confirme_"):
            ActionChains(driver).send_keys(Keys.SPACE).perform()  # no page opens
            assert driver.switch_to.active_element.is_selected()
            return
    raise AssertionError("no flag to confirm took the focus")


def press(driver, label: str) -> str:
    """Tab to the control reading `label`, press Enter; the page it opens, as text."""
    tab_to(driver, label)
    keys(driver, Keys.ENTER)
    return text(driver)


def test_the_coordinator_deciding_second_at_the_keyboard_is_told_what_was_decided(two):
    first, second = both_at(two, "Doublons", "Doublon n°")
    tick_flags(first)
    press(first, "Même personne")
    assert "Décision enregistrée : même personne" in text(first)
    press(second, "Personnes différentes")
    told = text(second)
    assert "par le compte coord : « même personne »" in told
    assert "Votre choix, « personnes différentes », n'a pas été enregistré" in told
    no_violations(second)
    press(second, "historique des fusions")
    assert second.current_url.endswith("/console/coordination/fusions")
    assert [e["type"] for e in duplicates.merge_history(two["hub"])] == ["fusion"]


def test_a_decision_after_the_session_ended_says_so_and_signing_in_leads_back(two):
    first, base = two["first"], two["base"]
    sign_in_by_keyboard(first, base, "coord", PASSWORDS["coord"])
    first.get(base + "/console/coordination/doublons")
    follow(first, first.find_element(By.PARTIAL_LINK_TEXT, "Doublon n°"))
    pair = first.current_url
    ended = first.get_cookie("capactif_session")
    first.delete_cookie("capactif_session")
    first.add_cookie({**ended, "value": "session-terminee"})  # as the server sees an ended one
    tick_flags(first)
    press(first, "Même personne")
    assert "votre dernière action n'a pas été enregistrée" in text(first)
    no_violations(first)
    keys(first, "coord", Keys.TAB, PASSWORDS["coord"], Keys.ENTER)  # the login field has focus
    assert first.current_url == pair
    assert duplicates.dedup_status(two["hub"]).get("review_open") == 1


def test_the_coordinator_separating_second_at_the_keyboard_is_told_and_can_undo_it(two):
    [item] = duplicates.list_review_items(two["hub"])["items"]
    duplicates.decide(two["hub"], item["id"], "same", actor="pnr-livradois-forez",
                      confirmed=duplicates.flags_of(item["explication"]))
    first, second = both_at(two, "Fusions", "Séparer…")
    press(first, "Confirmer la séparation")
    assert "Séparation faite" in text(first)
    press(second, "Confirmer la séparation")
    told = text(second)
    assert "a déjà été séparée de ce porteur" in told and "par le compte coord" in told
    no_violations(second)
    press(second, "À revoir en réunion")
    press(second, "Reprendre")
    assert "Doublon repris" in text(second)
    assert [i["id"] for i in duplicates.list_review_items(two["hub"])["items"]] == [item["id"]]
