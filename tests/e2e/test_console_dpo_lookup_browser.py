"""« Trouver une personne » in a real headless Chromium when more people match than the
page lists: the heading counts every match and says only the first ones are shown,
rather than « 20 personne(s) trouvée(s) ». A SQLite file, then PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from hub.services.accounts.auth import Caller
from hub.services.console.dpo_lookup import MAX_MATCHES
from hub.services.ingest import accept as ingest
from hub.services.ingest import processing
from tests.e2e.browser import console_world_served
from tests.e2e.test_console_browser import follow, no_violations, sign_in
from tests.factories import ALL_PURPOSES, record_consents

pytestmark = pytest.mark.slow
NAMESAKES = MAX_MATCHES + 3  # more people named « Vercingetorax » than the page lists
FIRST_NAMES = ["Adèle", "Basile", "Céleste", "Damien", "Élise", "Firmin", "Gaëlle", "Hugo",
               "Inès", "Jules", "Katia", "Lucien", "Maëlle", "Noël", "Odile", "Pacôme",
               "Quentin", "Rosalie", "Sacha", "Timothée", "Ursule", "Victor", "Wanda"]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def console(request, tmp_path_factory) -> Iterator[dict]:
    with console_world_served(request, tmp_path_factory, "dpo-lookup") as served_world:
        _namesakes(served_world["hub"])
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
