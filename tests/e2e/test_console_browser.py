"""The console in a real headless Chromium against the hub served by uvicorn on
127.0.0.1, over a real database (a SQLite file, then PostgreSQL)."""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services import accounts, duplicates
from hub.services.publisher import RecordingPublisher
from tests.conftest import _drop_pg_database, _fresh_pg_database, service_missing
from tests.console_world import DUPLICATE_PAIR, NAMES, PASSWORDS, PORTEURS, build_world
from tests.e2e.browser import browser_missing, chromium, served

pytestmark = pytest.mark.slow
SHOTS = os.environ.get("CAPACTIF_SCREENSHOTS")  # a folder: save screenshots of the main pages
PERSONAL = [*NAMES, *[p[3] for p in [*PORTEURS, *DUPLICATE_PAIR]],
            *[p[3].lower() for p in [*PORTEURS, *DUPLICATE_PAIR]], "exemple.fr",
            "Paul Roux", "Anne Vidal", "Jean Rochon", "Luc Garnier", "Marie Lac"]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def console(request, tmp_path_factory) -> Iterator[dict]:
    missing = browser_missing()
    if missing:
        service_missing("Chromium", RuntimeError(missing))
    folder = tmp_path_factory.mktemp(f"console-{request.param}")
    if request.param == "sqlite":
        from hub.store.migrate import upgrade

        url = f"sqlite:///{folder / 'hub.sqlite3'}"
        upgrade(url)
    else:
        url = _fresh_pg_database(request.getfixturevalue("postgres_url"))
    settings = Settings(data_dir=folder / "data", database_url=url, console_max_failed_logins=3)
    hub = Hub.from_settings(settings, publisher=RecordingPublisher())
    world = build_world(hub, folder)
    with served(create_app(hub=hub)) as base, chromium() as driver:
        yield {"hub": hub, "base": base, "driver": driver, **world}
    hub.close()
    if request.param == "postgresql":
        _drop_pg_database(url)


@pytest.fixture
def browser(console):
    driver = console["driver"]
    driver.get(console["base"] + "/console/connexion")
    driver.delete_all_cookies()
    return driver


def sign_in(console, login: str, password: str | None = None) -> None:
    driver = console["driver"]
    driver.get(console["base"] + "/console/connexion")
    driver.find_element(By.ID, "login").send_keys(login)
    driver.find_element(By.ID, "password").send_keys(password or PASSWORDS[login])
    follow(driver, driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))


def follow(driver, element, *keys: str) -> None:
    """Click `element` (or type `keys` into it) and wait for the next page."""
    driver.execute_script("window.capactifOldPage = true")
    element.send_keys(*keys) if keys else element.click()
    WebDriverWait(driver, 30, ignored_exceptions=[WebDriverException]).until(
        lambda d: d.execute_script(
            "return !window.capactifOldPage && document.readyState === 'complete'"))


def shot(driver, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(1280, max(800, min(height, 2400)))
        driver.save_screenshot(str(Path(SHOTS) / f"{name}.png"))
        driver.set_window_size(1280, 900)


def text(driver) -> str:
    return driver.find_element(By.TAG_NAME, "main").text


def test_a_coordinator_signs_in_and_sees_porteurs_without_referent_first(console, browser):
    shot(browser, "connexion")
    sign_in(console, "coord")
    assert browser.current_url.endswith("/console/coordination/porteurs")
    rows = browser.find_elements(By.CSS_SELECTOR, "tbody tr th")
    assert rows[0].text == "Élodie FAURELLIAT"  # no referent: first
    assert rows[1].text == "Marc BOYERANDOT"  # no news for months: next
    page = text(browser)
    assert "Nadia" not in page  # her consent leaves the coordination out
    assert "Hugo" not in page  # he withdrew his consent
    cookie = browser.get_cookie("capactif_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["secure"]
    shot(browser, "porteurs")


def test_the_parcours_shows_the_timeline_across_members_with_referent_and_parrain(console,
                                                                                 browser):
    sign_in(console, "coord")
    follow(browser, browser.find_element(By.LINK_TEXT, "Sophie MARTINELLIAC"))
    assert browser.current_url.endswith(console["porteurs"]["F-INSTALLE"])
    steps = [li.text for li in browser.find_elements(By.CSS_SELECTOR, ".timeline li")]
    assert [s.split("\n")[0].split(" ", 1)[1] for s in steps] == [
        "Premier accueil — Mairie d'Ambert", "Orientation — CCI du Puy-de-Dôme",
        "Financement — Initiative Livradois-Forez", "Installation — CCI du Puy-de-Dôme"]
    facts = browser.find_element(By.CSS_SELECTOR, "dl.facts").text
    assert "Anne Vidal (CCI du Puy-de-Dôme)" in facts and "Jean Rochon" in facts
    assert browser.find_element(By.CSS_SELECTOR, ".stages [aria-current=step]").text == "Installé"
    shot(browser, "parcours")


def test_the_meeting_sheet_lists_new_unassigned_and_stalled_porteurs_and_prints_bare(
        console, browser):
    sign_in(console, "coord")
    follow(browser, browser.find_element(By.LINK_TEXT, "Réunion mensuelle"))
    sections = {s.find_element(By.TAG_NAME, "h2").text: s.text
                for s in browser.find_elements(By.CSS_SELECTOR, "section.sheet")}
    assert "Élodie FAURELLIAT" in sections["Porteurs sans référent (1)"]
    assert "Marc BOYERANDOT" in sections["Porteurs sans nouvelles (1)"]
    assert "Aucun doublon résolu ce mois-ci." in sections["Doublons résolus (0)"]
    shot(browser, "reunion")
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        hidden = browser.execute_script(
            "return getComputedStyle(document.querySelector('.top nav')).display")
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "screen"})
    assert hidden == "none"


def test_the_indicators_are_charts_of_counts_without_personal_data(console, browser):
    sign_in(console, "coord")
    follow(browser, browser.find_element(By.LINK_TEXT, "Indicateurs"))
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg.chart[role=img]")) == 2
    totals = browser.find_element(By.CSS_SELECTOR, ".totals").text
    # 5 porteurs, and the duplicate pair counted twice until a coordinator merges it
    assert "7\nprojets suivis" in totals and "1\nfinancés par une PFIL" in totals
    assert not [name for name in PERSONAL if name in browser.page_source]
    shot(browser, "indicateurs")


def test_a_dpo_searches_the_access_log_and_finds_the_coordinators_views(console, browser):
    sign_in(console, "coord")
    follow(browser, browser.find_element(By.LINK_TEXT, "Marc BOYERANDOT"))
    follow(browser, browser.find_element(By.CSS_SELECTOR, ".who button"))  # sign out
    assert "Vous êtes déconnecté." in text(browser)
    sign_in(console, "dpo")
    assert browser.current_url.endswith("/console/dpo/journal")
    browser.find_element(By.ID, "porteur").send_keys(console["porteurs"]["F-SILENCE"])
    browser.find_element(By.ID, "action").send_keys("page de la console")
    follow(browser, browser.find_element(By.CSS_SELECTOR, "form.grid button"))
    rows = [r.text for r in browser.find_elements(By.CSS_SELECTOR, "table.log tbody tr")]
    coordinator = next(u["id"] for u in accounts.list_users(console["hub"]) if u["login"] == "coord")
    assert rows and all("page de la console" in r for r in rows)
    assert any(coordinator in r and "porteur.nom" in r for r in rows)
    assert "Boyerandot" not in browser.page_source and "Marc" not in text(browser)
    shot(browser, "journal")


def test_a_dpo_reads_the_access_report_verifies_integrity_and_follows_consents(console,
                                                                               browser):
    sign_in(console, "dpo")
    field = browser.find_element(By.ID, "porteur-rapport")
    follow(browser, field, console["porteurs"]["F-INSTALLE"], Keys.ENTER)
    assert "Rapport d'accès aux données d'un porteur" in text(browser)
    recipients = browser.find_element(By.CSS_SELECTOR, "table tbody").text
    assert "CCI du Puy-de-Dôme" in recipients and "porteur.nom" in recipients
    shot(browser, "rapport")
    follow(browser, browser.find_element(By.LINK_TEXT, "Intégrité"))
    follow(browser, browser.find_element(By.XPATH, "//button[text()='Vérifier maintenant']"))
    assert "Vérification réussie : journal intègre" in text(browser)
    assert "journal intègre" in browser.find_element(By.CSS_SELECTOR, "section dl.facts ~ dl, "
                                                     "section:nth-of-type(2) dl").text
    shot(browser, "integrite")
    follow(browser, browser.find_element(By.LINK_TEXT, "Consentements"))
    assert console["withdrawn"] in text(browser) and "en attente" in text(browser)
    shot(browser, "consentements")


def test_a_coordinator_is_refused_the_dpo_pages_and_a_dpo_the_coordination_pages(console,
                                                                                   browser):
    sign_in(console, "coord")
    for page in ("/console/dpo/journal", "/console/dpo/alertes", "/console/dpo/integrite",
                 "/console/admin/comptes"):
        browser.get(console["base"] + page)
        assert browser.find_element(By.TAG_NAME, "h1").text == "Accès refusé"
        assert "n'est pas ouverte à votre rôle" in text(browser)
    assert "Journal d'accès" not in browser.find_element(By.TAG_NAME, "header").text
    browser.delete_all_cookies()
    sign_in(console, "dpo")
    browser.get(console["base"] + "/console/coordination/porteurs")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Accès refusé"
    assert "Élodie" not in browser.page_source


def test_an_account_is_locked_after_repeated_failures_even_with_the_right_password(console,
                                                                                      browser):
    accounts.add_user(console["hub"], "distrait", "coordinator", "le-bon-mot-de-passe")
    for _ in range(3):  # the answer never says whether the login exists or is locked
        sign_in(console, "distrait", "un-mauvais-mot-de-passe")
        assert "Connexion refusée : identifiant ou mot de passe incorrect" in text(browser)
    sign_in(console, "distrait", "le-bon-mot-de-passe")
    assert "bloquée pendant 15 minutes" in text(browser)
    assert browser.get_cookie("capactif_session") is None
    sign_in(console, "admin")
    row = browser.find_element(By.XPATH, "//tr[th[contains(., 'distrait')]]")
    assert "bloqué" in row.text
    follow(browser, row.find_element(By.XPATH, ".//button[text()='Débloquer']"))
    assert "Compte débloqué." in text(browser)
    shot(browser, "comptes")
    browser.delete_all_cookies()
    sign_in(console, "distrait", "le-bon-mot-de-passe")
    assert browser.current_url.endswith("/console/coordination/porteurs")


def test_a_form_without_its_anti_forgery_token_is_refused(console, browser):
    browser.get(console["base"] + "/console/connexion")
    browser.execute_script("document.querySelector('input[name=csrf]').value = 'forged'")
    sign_in_form = browser.find_element(By.CSS_SELECTOR, "main form")
    browser.find_element(By.ID, "login").send_keys("dpo")
    browser.find_element(By.ID, "password").send_keys(PASSWORDS["dpo"])
    follow(browser, sign_in_form.find_element(By.TAG_NAME, "button"))
    assert "jeton anti-falsification" in text(browser)
    assert browser.get_cookie("capactif_session") is None
    sign_in(console, "dpo")
    follow(browser, browser.find_element(By.LINK_TEXT, "Intégrité"))
    browser.execute_script("document.querySelectorAll('input[name=csrf]')"
                           ".forEach(function (i) { i.remove(); })")
    follow(browser, browser.find_element(By.XPATH, "//button[text()='Vérifier maintenant']"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Accès refusé"
    assert "jeton anti-falsification" in text(browser)


def test_no_page_url_carries_personal_data_and_every_field_has_a_label(console, browser,
                                                                         caplog):
    visited = []
    for login in ("coord", "dpo", "admin"):
        browser.delete_all_cookies()
        sign_in(console, login)
        queue, seen = [browser.current_url], set()
        while queue:
            url = queue.pop()
            if url in seen:
                continue
            seen.add(url)
            browser.get(url)
            visited.append(browser.current_url)
            assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "fr"
            assert browser.execute_script(
                "return [...document.querySelectorAll('input:not([type=hidden]), select')]"
                ".filter(function (e) { return e.labels.length === 0; }).length") == 0
            for link in browser.find_elements(By.CSS_SELECTOR, "a[href], form[action]"):
                target = link.get_attribute("href") or link.get_attribute("action")
                visited.append(target)
                if link.tag_name == "a" and target.startswith(console["base"] + "/console") \
                        and "/static/" not in target:
                    queue.append(target.split("#")[0])
    assert len(set(visited)) > 10
    urls = "\n".join(urllib.parse.unquote(u) for u in visited)
    assert not [name for name in PERSONAL if name.lower() in urls.lower()]
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert not [name for name in PERSONAL if name in logged]


def test_the_first_tab_reaches_the_skip_link(console, browser):
    sign_in(console, "coord")
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    focused = browser.switch_to.active_element
    assert focused.text == "Aller au contenu"


def test_a_dpo_sees_the_unusual_access_alert_and_can_export_the_log_as_csv(console, browser):
    sign_in(console, "dpo")
    follow(browser, browser.find_element(By.LINK_TEXT, "Alertes"))
    rows = [r.text for r in browser.find_elements(By.CSS_SELECTOR, "table.alerts tbody tr")]
    exports = [r for r in rows if "Exports en nombre" in r]
    assert exports and "CCI du Puy-de-Dôme" in exports[0] and "6 exports" in exports[0]
    assert not [name for name in PERSONAL if name in browser.page_source]
    shot(browser, "alertes")
    follow(browser, browser.find_element(By.LINK_TEXT, "Journal d'accès"))
    assert browser.find_element(By.XPATH, "//button[contains(., 'CSV')]").is_displayed()


def coordinator_id(console) -> str:
    return next(u["id"] for u in accounts.list_users(console["hub"]) if u["login"] == "coord")


def test_a_coordinator_resolves_a_duplicate_sees_it_in_the_history_then_unmerges_it(console,
                                                                                   browser):
    hub = console["hub"]
    sign_in(console, "coord")
    follow(browser, browser.find_element(By.LINK_TEXT, "Doublons"))
    follow(browser, browser.find_element(By.PARTIAL_LINK_TEXT, "Doublon n°"))
    item_id = int(browser.current_url.rsplit("/", 1)[1])
    compare = browser.find_element(By.CSS_SELECTOR, "table.compare").text
    assert "Gaelle" in compare and "Gaëlle" in compare and "CCI du Puy-de-Dôme" in compare
    different = [r.text for r in browser.find_elements(By.CSS_SELECTOR, "tr.state-different")]
    assert any(r.startswith("Prénom") and "écrit autrement" in r for r in different)
    steps = [r.find_element(By.TAG_NAME, "th").text
             for r in browser.find_elements(By.CSS_SELECTOR, "table.waterfall tbody tr")]
    assert steps[0] == "A priori" and {"Nom", "Prénom", "Date de naissance"} <= set(steps)
    assert "Total" in browser.find_element(By.CSS_SELECTOR, "table.waterfall tfoot").text
    shot(browser, "doublon")
    same = browser.find_element(By.XPATH, "//button[text()='Même personne']")
    assert browser.find_elements(By.XPATH, "//button[text()='Personnes différentes']")
    assert browser.find_elements(By.XPATH, "//button[text()='Je ne sais pas']")
    follow(browser, same, Keys.ENTER)  # the keyboard is enough
    assert browser.current_url.endswith("/console/coordination/fusions?fait=same")
    assert "même personne" in text(browser)
    merge = browser.find_element(By.XPATH, f"//tr[th[contains(., 'doublon n° {item_id}')]]")
    assert "CCI du Puy-de-Dôme · fiche F-DOUBLE-B" in merge.text
    shot(browser, "fusions")
    [decided] = hub.audit.search(action="merge")
    assert decided.actor_user == coordinator_id(console)
    porteurs = {f: _porteur(hub, m, f) for m, f in (("commune-ambert", "F-DOUBLE-A"),
                                                    ("cci-puy-de-dome", "F-DOUBLE-B"))}
    assert len(set(porteurs.values())) == 1

    follow(browser, merge.find_element(By.XPATH, ".//button[text()='Séparer…']"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Confirmer la séparation"
    assert _porteur(hub, "cci-puy-de-dome", "F-DOUBLE-B") == porteurs["F-DOUBLE-B"]  # not yet
    follow(browser, browser.find_element(By.XPATH, "//button[text()='Confirmer la séparation']"))
    assert "Séparation faite" in text(browser)
    assert not browser.find_elements(By.XPATH, "//button[text()='Séparer…']")
    assert browser.find_element(By.XPATH, "//tr[th[starts-with(., 'Séparation')]]")
    assert _porteur(hub, "cci-puy-de-dome", "F-DOUBLE-B") != porteurs["F-DOUBLE-A"]
    [split] = hub.audit.search(action="unmerge")
    assert split.actor_user == coordinator_id(console)
    assert [e["type"] for e in duplicates.merge_history(hub)] == ["separation", "fusion"]

    follow(browser, browser.find_element(By.LINK_TEXT, "Réunion mensuelle"))
    resolved = next(s.text for s in browser.find_elements(By.CSS_SELECTOR, "section.sheet")
                    if s.text.startswith("Doublons résolus"))
    assert resolved.startswith("Doublons résolus (2)") and f"Fusion (doublon n° {item_id})" in resolved
    follow(browser, browser.find_element(By.LINK_TEXT, "Doublons"))
    assert "Aucun doublon en attente" in text(browser)


def _porteur(hub, member: str, fiche_id: str) -> str:
    with hub.uow() as uow:
        return uow.fiches.porteur_of(member, fiche_id).porteur_id
