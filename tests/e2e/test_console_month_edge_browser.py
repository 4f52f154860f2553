"""The monthly meeting sheet at the turn of a month, in a real headless Chromium: the
network lives in Paris time, so a decision taken at half past midnight on the first of
the month belongs to that month's sheet (not to the month before, as it would in UTC,
an hour or two behind), and the sheet opens on the month it is in Paris. A SQLite file,
then PostgreSQL."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator

import pytest
from selenium.webdriver.common.by import By

from hub.services.matching import duplicates
from hub.web.pages import french_month
from tests.e2e.browser import console_world_served
from tests.e2e.test_console_browser import no_violations, sign_in, text

pytestmark = pytest.mark.slow
PARIS = zoneinfo.ZoneInfo("Europe/Paris")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def console(request, tmp_path_factory) -> Iterator[dict]:
    with console_world_served(request, tmp_path_factory, "month-edge") as served_world:
        yield served_world


def test_a_decision_at_half_past_midnight_in_paris_is_on_the_new_month_s_sheet(console):
    hub, clock, driver = console["hub"], console["clock"], console["driver"]
    here = clock.now.astimezone(PARIS)
    month = (here.replace(day=1) + dt.timedelta(days=32)).date().replace(day=1)
    clock.now = dt.datetime.combine(month, dt.time(0, 30), tzinfo=PARIS).astimezone(dt.UTC)
    assert clock.now.date() < month  # still the month before in UTC
    [item] = duplicates.list_review_items(hub)["items"]
    duplicates.decide(hub, item["id"], "different", actor="pnr-livradois-forez")
    driver.get(console["base"] + "/console/connexion")
    driver.delete_all_cookies()
    sign_in(console, "coord")
    driver.get(console["base"] + "/console/coordination/reunion")
    # the sheet opens on the month it is in Paris, prepared today there
    assert driver.find_element(By.TAG_NAME, "h1").text == f"Fiche de réunion — {french_month(month)}"
    assert f"Préparée le {month:%d/%m/%Y}." in text(driver)
    decisions = _decisions(driver)
    assert "Décisions du mois (1)" in decisions, decisions
    assert f"{month:%d/%m/%Y}" in decisions and f"doublon n° {item['id']}" in decisions
    no_violations(driver)
    before = (month - dt.timedelta(days=1)).replace(day=1)
    driver.get(f"{console['base']}/console/coordination/reunion?mois={before:%Y-%m}")
    assert "Aucune décision ce mois-ci." in _decisions(driver)


def _decisions(driver) -> str:
    return next(s.text for s in driver.find_elements(By.CSS_SELECTOR, "section.sheet")
                if s.text.startswith("Décisions du mois"))
