"""Pages printed from the console, in a real headless Chromium: the monthly meeting sheet
(landscape) and the DPO's access report (portrait), whose tables must stay whole on
the page. Long names, project titles and notes (a pasted web address, a name of the
schema's greatest length) wrap inside their column instead of pushing a table past the
edge of the page, where the printer cuts it."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import re
from collections.abc import Iterator

import pytest
from selenium.webdriver.common.by import By

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts.auth import Caller
from hub.services.accounts.sessions import ConsoleSession
from hub.services.console import meeting_actions
from hub.services.ingest import accept as ingest
from hub.services.ingest import processing
from tests.conftest import service_missing
from tests.console_world import _fiche, build_world
from tests.e2e.browser import axe_missing, browser_missing, chromium, served
from tests.e2e.test_console_browser import follow, sign_in
from tests.factories import ALL_PURPOSES, Clock, record_consents
from tests.fakes.publisher import RecordingPublisher

pytestmark = pytest.mark.slow
LONG_NAME = "Abcdefghijklmnopqrstuvwxyzbcdefghijklmnopqrstuvwxyz" * 2  # 102: cut to 100 below
ADDRESS = ("https://www.service-public.fr/professionnels-entreprises/vosdroits/"
           "F23282?identifiant=aide-creation-reprise-entreprise-acre-2026")
PRINTABLE_PX = 1047  # A4 landscape, 10 mm margins (landscape.css): 277 mm at 96 px per inch
PORTRAIT_PX = 733  # A4 portrait with Chromium's default margins (about 0.4 in each side)


@pytest.fixture(scope="module")
def console(tmp_path_factory) -> Iterator[dict]:
    missing = browser_missing() or axe_missing()
    if missing:
        service_missing("Chromium and axe-core", RuntimeError(missing))
    from hub.store.migrate import upgrade

    folder = tmp_path_factory.mktemp("meeting-print")
    url = f"sqlite:///{folder / 'hub.sqlite3'}"
    upgrade(url)
    clock = Clock()
    settings = Settings(data_dir=folder / "data", database_url=url, console_cookie_secure=False)
    hub = Hub.from_settings(settings, publisher=RecordingPublisher(), clock=clock)
    world = build_world(hub, folder)
    fiche = _fiche(hub.clock().date(), "commune-ambert", "F-LONG", "Anne-Marie",
                   LONG_NAME[:100], f"Reprise d'un commerce, aides : {ADDRESS}"[:200],
                   "emergence", [(40, "commune-ambert", "accueil", None, None)])
    record_consents(hub, [fiche], roles_destinataires=["accueil", "coordination"],
                    finalites=ALL_PURPOSES)
    assert ingest.push_batch(hub, Caller("commune-ambert", "", "commune", "accueil"),
                             [fiche])["accepted"] == 1
    processing.process_outbox(hub, hub.publisher.published[-1])
    session = ConsoleSession("usr_coord", "coord", "coordinator", "pnr-livradois-forez", "x",
                             clock() + dt.timedelta(hours=1))
    porteur = world["porteurs"]["F-ORPHELIN"]
    meeting_actions.keep_to_discuss(hub, session, porteur, f"Voir les aides : {ADDRESS}")
    meeting_actions.record_parrain(hub, session, porteur, LONG_NAME[:100], "")
    with served(create_app(hub=hub)) as base, chromium() as driver:
        yield {"hub": hub, "base": base, "driver": driver, **world}
    hub.close()


@contextlib.contextmanager
def printed(driver, width: int) -> Iterator[None]:
    """The page laid out as printed on paper `width` pixels wide (print media emulated)."""
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        driver.set_window_size(width, 900)
        yield
    finally:
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "screen"})
        driver.set_window_size(1280, 900)


def test_long_names_and_addresses_wrap_inside_the_printed_landscape_page(console):
    driver = console["driver"]
    sign_in(console, "coord")
    follow(driver, driver.find_element(By.LINK_TEXT, "Réunion mensuelle"))
    page = driver.find_element(By.TAG_NAME, "main").text
    assert LONG_NAME[:100].upper() in page and "aide-creation-reprise" in page
    with printed(driver, PRINTABLE_PX):
        edge = driver.execute_script("return document.documentElement.clientWidth")
        past_the_edge = driver.execute_script(
            "return [...document.querySelectorAll('table.meeting')].filter("
            "  t => t.getBoundingClientRect().right > arguments[0] + 0.5).map("
            "  t => t.closest('section').querySelector('h2').textContent + ': ' +"
            "  Math.round(t.getBoundingClientRect().width) + ' px')", edge)
        whole_dates = driver.execute_script(
            "return [...document.querySelectorAll('table.meeting td')].filter("
            "  td => /^\\d\\d\\/\\d\\d\\/\\d{4}$/.test(td.textContent.trim())).every("
            "  td => td.getClientRects().length && td.scrollWidth <= td.clientWidth)")
    assert not past_the_edge, f"tables wider than the printed page ({edge} px): {past_the_edge}"
    assert whole_dates  # a date is never broken across lines or cut
    pdf = base64.b64decode(driver.execute_cdp_cmd("Page.printToPDF", {
        "preferCSSPageSize": True, "printBackground": False})["data"])
    boxes = [(float(w), float(h)) for w, h in re.findall(
        rb"/MediaBox \[0 0 ([0-9.]+) ([0-9.]+)\]", pdf)]
    assert boxes and all(w > h for w, h in boxes)


def test_the_access_report_prints_its_tables_whole_on_a_portrait_page(console):
    driver = console["driver"]
    sign_in(console, "dpo")
    driver.get(console["base"] + "/console/dpo/rapport/" + console["porteurs"]["F-INSTALLE"])
    assert "Destinataires" in driver.find_element(By.TAG_NAME, "main").text
    with printed(driver, PORTRAIT_PX):
        tables = driver.execute_script(
            "return [...document.querySelectorAll('main table')].map(t => ({"
            "  caption: t.caption ? t.caption.textContent : '', display: getComputedStyle(t).display,"
            "  cut: t.scrollWidth > t.clientWidth + 1,"
            "  past: t.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5}))")
    assert len(tables) == 2
    for table in tables:  # a table (its header repeated on each page), nothing cut or past
        assert table == {**table, "display": "table", "cut": False, "past": False}, table
