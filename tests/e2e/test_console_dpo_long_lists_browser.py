"""The DPO's long lists in a real headless Chromium. « Trouver une personne » when more
people match than the page lists: the heading counts every match and says only the
first ones are shown, rather than « 20 personne(s) trouvée(s) ». The consents page with
more withdrawn consents than a page holds: counted, paged 50 at a time, the oldest one
reachable, each named by the member that collected it. A SQLite file, then
PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from hub.services.accounts.auth import Caller
from hub.services.console.dpo_console import CONSENTS_PER_PAGE
from hub.services.console.dpo_lookup import MAX_MATCHES
from hub.services.ingest import accept as ingest
from hub.services.ingest import processing
from tests.e2e.browser import console_world_served
from tests.e2e.test_console_browser import follow, no_violations, sign_in
from tests.factories import ALL_PURPOSES, record_consents

pytestmark = pytest.mark.slow
NAMESAKES = MAX_MATCHES + 3  # more people named « Vercingetorax » than the page lists
WITHDRAWN_LATER = 60  # with the world's own, more withdrawn consents than a page holds
FIRST_NAMES = ["Adèle", "Basile", "Céleste", "Damien", "Élise", "Firmin", "Gaëlle", "Hugo",
               "Inès", "Jules", "Katia", "Lucien", "Maëlle", "Noël", "Odile", "Pacôme",
               "Quentin", "Rosalie", "Sacha", "Timothée", "Ursule", "Victor", "Wanda"]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def console(request, tmp_path_factory) -> Iterator[dict]:
    with console_world_served(request, tmp_path_factory, "dpo-lists") as served_world:
        _namesakes(served_world["hub"])
        served_world["clock"].advance(minutes=1)
        _withdrawn_later(served_world["hub"])
        yield served_world


def _namesakes(hub) -> None:
    """NAMESAKES fiches of the CCI, one person each (first names and e-mails differ)."""
    caller = Caller("cci-puy-de-dome", "", "cci", "accompagnement")
    for n, first in enumerate(FIRST_NAMES[:NAMESAKES]):
        fiche = {"fiche_id": f"F-HOMONYME-{n}", "membre": "cci-puy-de-dome", "version": 1,
                 "mis_a_jour_le": dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC).isoformat(),
                 "porteur": {"nom": "Vercingetorax", "prenom": first,
                             "courriel": f"homonyme{n}@exemple.fr"},
                 "projet": {"intitule": f"Projet {n}", "type": "creation", "stade": "idee"},
                 "consentement": {"reference": f"CST-HOMONYME-{n}"}}
        record_consents(hub, [fiche], roles_destinataires=["coordination"],
                        finalites=ALL_PURPOSES)
        assert ingest.push_batch(hub, caller, [fiche])["accepted"] == 1
        processing.process_outbox(hub, hub.publisher.published[-1])


def _withdrawn_later(hub) -> None:
    """WITHDRAWN_LATER consents (each on a namesake's fiche) withdrawn after the world's one."""
    for n in range(WITHDRAWN_LATER):
        fiche = {"fiche_id": f"F-HOMONYME-{n % NAMESAKES}", "membre": "cci-puy-de-dome",
                 "consentement": {"reference": f"CST-PLUS-{n}"}}
        [record] = record_consents(hub, [fiche], roles_destinataires=["coordination"],
                                   finalites=ALL_PURPOSES)
        hub.consents.withdraw(record.id, "cci-puy-de-dome", hub.clock())


def test_every_withdrawn_consent_is_counted_and_reachable_a_page_at_a_time(console):
    driver, withdrawn = console["driver"], console["withdrawn"]
    sign_in(console, "dpo")
    driver.get(console["base"] + "/console/dpo/consentements")
    heading = driver.find_element(By.ID, "fins").text
    assert heading.endswith(f"({WITHDRAWN_LATER + 1})"), heading
    assert withdrawn not in driver.find_element(By.TAG_NAME, "main").text
    pages = driver.find_element(By.CSS_SELECTOR, "nav[aria-label='Pages des consentements "
                                                 "retirés ou expirés']")
    follow(driver, pages.find_elements(By.TAG_NAME, "a")[-1])
    assert driver.current_url.endswith("page=2#fins")
    [row] = [r for r in driver.find_elements(By.CSS_SELECTOR, "#fins ~ table tbody tr")
             if withdrawn in r.text]
    assert "retiré" in row.text, row.text
    assert len(driver.find_elements(By.CSS_SELECTOR, "#fins ~ table tbody tr")) == \
        WITHDRAWN_LATER + 1 - CONSENTS_PER_PAGE
    no_violations(driver)


def test_a_search_matching_more_people_than_listed_says_how_many_matched(console):
    driver = console["driver"]
    sign_in(console, "dpo")
    driver.get(console["base"] + "/console/dpo/personne")
    follow(driver, driver.find_element(By.ID, "qui"), "vercingetorax", Keys.ENTER)
    heading = driver.switch_to.active_element.text
    assert heading == f"{NAMESAKES} personnes trouvées : les {MAX_MATCHES} premières sont " \
                      "montrées", heading
    assert len(driver.find_elements(By.CSS_SELECTOR, "table tbody tr")) == MAX_MATCHES
    no_violations(driver)
    follow(driver, driver.find_element(By.ID, "qui"), " adèle", Keys.ENTER)
    assert driver.switch_to.active_element.text == "1 personne(s) trouvée(s)"


def test_the_consents_page_names_the_member_that_collected_each_consent(console):
    """« Recueilli par » names the member as every other page does, never by its code."""
    driver = console["driver"]
    sign_in(console, "dpo")
    driver.get(console["base"] + "/console/dpo/consentements")
    rows = driver.find_elements(By.CSS_SELECTOR, "#fins ~ table tbody tr")
    collectors = {r.find_elements(By.TAG_NAME, "td")[1].text for r in rows}
    assert collectors == {"CCI du Puy-de-Dôme"}, collectors
    assert "cci-puy-de-dome" not in driver.find_element(By.TAG_NAME, "main").text
