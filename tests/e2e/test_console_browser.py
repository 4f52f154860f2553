"""The console in a real headless Chromium against the hub served by uvicorn on
127.0.0.1, over a real database (a SQLite file, then PostgreSQL)."""

from __future__ import annotations

import base64
import os
import re
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts import users as accounts
from hub.services.matching import duplicates
from tests.conftest import _drop_pg_database
from tests.console_world import DUPLICATE_PAIR, NAMES, PASSWORDS, PORTEURS, build_world
from tests.e2e.browser import axe_violations, chromium, console_database, served
from tests.fakes.publisher import RecordingPublisher

pytestmark = pytest.mark.slow
SHOTS = os.environ.get("CAPACTIF_SCREENSHOTS")  # a folder: save screenshots of the main pages
PERSONAL = [*NAMES, *[p[3] for p in [*PORTEURS, *DUPLICATE_PAIR]],
            *[p[3].lower() for p in [*PORTEURS, *DUPLICATE_PAIR]], "exemple.fr",
            "Paul Roux", "Anne Vidal", "Jean Rochon", "Luc Garnier", "Marie Lac"]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def console(request, tmp_path_factory) -> Iterator[dict]:
    folder, url = console_database(request, tmp_path_factory, "console")
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


def search(driver, words: str) -> None:
    """Type `words` in the porteurs page's search field and press Enter."""
    field = driver.find_element(By.ID, "q")
    field.clear()
    follow(driver, field, words, Keys.ENTER)


def listed(driver) -> list[str]:
    return [th.text for th in driver.find_elements(By.CSS_SELECTOR, "table.porteurs tbody th")]


def no_violations(driver) -> None:
    violations = axe_violations(driver)
    assert not violations, f"{driver.current_url}:\n" + "\n".join(violations)


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
    search(browser, "martinelliac")
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


def test_the_meeting_sheet_lists_each_porteur_once_and_prints_landscape_with_notes(
        console, browser):
    sign_in(console, "coord")
    follow(browser, browser.find_element(By.LINK_TEXT, "Réunion mensuelle"))
    sections = {s.find_element(By.TAG_NAME, "h2").text: s.text
                for s in browser.find_elements(By.CSS_SELECTOR, "section.sheet")}
    assert "Élodie FAURELLIAT" in sections["Porteurs sans référent (1)"]
    assert "Marc BOYERANDOT" in sections["Porteurs sans nouvelles (1)"]
    assert "Élodie" not in sections["Nouveaux porteurs du mois (0)"]
    assert "Notes" in browser.find_element(By.CSS_SELECTOR, "table.meeting thead").text
    assert "prt_" not in text(browser)
    no_violations(browser)
    shot(browser, "reunion")
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        hidden = browser.execute_script(
            "return getComputedStyle(document.querySelector('.top nav')).display")
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "screen"})
    assert hidden == "none"
    pdf = base64.b64decode(browser.execute_cdp_cmd("Page.printToPDF", {
        "preferCSSPageSize": True, "printBackground": False})["data"])
    boxes = [(float(w), float(h)) for w, h in re.findall(
        rb"/MediaBox \[0 0 ([0-9.]+) ([0-9.]+)\]", pdf)]
    assert boxes and all(w > h for w, h in boxes)  # A4 landscape
    assert len(boxes) <= 2  # a small network's sheet, no blank page


def test_the_indicators_are_charts_of_counts_without_personal_data(console, browser):
    sign_in(console, "coord")
    follow(browser, browser.find_element(By.LINK_TEXT, "Indicateurs"))
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg.chart[role=img]")) == 2
    totals = browser.find_element(By.CSS_SELECTOR, ".totals").text
    # 5 porteurs, and the duplicate pair counted twice until a coordinator merges it
    assert "7\nprojets suivis" in totals and "1\nfinancés par une PFIL" in totals
    assert not [name for name in PERSONAL if name in browser.page_source]
    assert not overlapping_labels(browser)  # as Chromium lays the text out
    shot(browser, "indicateurs")
    semesters = Select(browser.find_element(By.ID, "semestre"))
    latest = semesters.options[1]  # newest first, after "Tout l'historique"
    chosen = latest.text
    semesters.select_by_index(1)
    follow(browser, browser.find_element(By.XPATH, "//button[text()='Afficher']"))
    assert chosen.split()[-1] in browser.find_element(By.ID, "periode-affichee").text
    assert Select(browser.find_element(By.ID, "semestre")).first_selected_option.text == chosen
    months = browser.find_elements(By.CSS_SELECTOR, "section table tbody th")
    assert len([m for m in months if m.get_attribute("textContent").strip()]) >= 6
    assert not overlapping_labels(browser)
    no_violations(browser)


def overlapping_labels(driver) -> list:
    """Pairs of chart labels whose laid-out boxes intersect."""
    return driver.execute_script("""
        const found = [];
        for (const chart of document.querySelectorAll('svg.chart')) {
          const boxes = [...chart.querySelectorAll('text')].map(function (t) {
            return [t.textContent, t.getBoundingClientRect()]; });
          for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
            const a = boxes[i][1], b = boxes[j][1];
            if (a.left < b.right - 0.5 && b.left < a.right - 0.5 &&
                a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5)
              found.push([boxes[i][0], boxes[j][0]]);
          }
        }
        return found;""")


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
    assert rows and all("page de la console" in r for r in rows)
    cells = [[td.text for td in r.find_elements(By.TAG_NAME, "td")]
             for r in browser.find_elements(By.CSS_SELECTOR, "table.log tbody tr")]
    assert any(c[3] == "coord" and "porteur.nom" in " ".join(c) for c in cells)  # a login
    assert "usr_" not in text(browser)
    assert any(c[2] == "Parc naturel régional Livradois-Forez" for c in cells)  # a name
    assert "Boyerandot" not in browser.page_source and "Marc" not in text(browser)
    shot(browser, "journal")


def test_a_dpo_reads_the_access_report_verifies_integrity_and_follows_consents(console,
                                                                               browser):
    sign_in(console, "dpo")
    field = browser.find_element(By.ID, "porteur-rapport")
    follow(browser, field, console["porteurs"]["F-INSTALLE"], Keys.ENTER)
    assert "Rapport d'accès aux données d'un porteur" in text(browser)
    recipients = [t.text for t in browser.find_elements(By.CSS_SELECTOR, "table tbody")][1]
    assert "CCI du Puy-de-Dôme" in recipients and "Personne — nom" in recipients
    assert "Personne — adresse — code postal" in recipients  # words the person reads
    assert "porteur.nom" not in recipients and "code_postal" not in recipients
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
            no_violations(browser)
            assert browser.execute_script(
                "return [...document.querySelectorAll('input:not([type=hidden]), select')]"
                ".filter(function (e) { return e.labels.length === 0; }).length") == 0
            for link in browser.find_elements(By.CSS_SELECTOR, "a[href], form[action]"):
                target = link.get_attribute("href") or link.get_attribute("action")
                visited.append(target)
                if link.tag_name == "a" and target.startswith(console["base"] + "/console") \
                        and "/static/" not in target and ".csv" not in target:
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
    row = next(r for r in browser.find_elements(By.CSS_SELECTOR, "table.alerts tbody tr")
               if "Exports en nombre" in r.text)
    follow(browser, row.find_element(By.CSS_SELECTOR, "a.alert-events"))
    members = {r.find_elements(By.TAG_NAME, "td")[2].text
               for r in browser.find_elements(By.CSS_SELECTOR, "table.log tbody tr")}
    assert members == {"CCI du Puy-de-Dôme"}  # the member's events, newest first
    assert "les plus récents d'abord" in browser.find_element(By.CSS_SELECTOR, "caption").text
    assert "Exporter la recherche (CSV, pour un tableur)" in text(browser)
    no_violations(browser)
    browser.back()
    row = next(r for r in browser.find_elements(By.CSS_SELECTOR, "table.alerts tbody tr")
               if "Exports en nombre" in r.text)
    follow(browser, row.find_element(By.XPATH, ".//button[text()='Prendre en compte']"),
           Keys.ENTER)
    assert "Alerte prise en compte" in browser.switch_to.active_element.text
    row = next(r for r in browser.find_elements(By.CSS_SELECTOR, "table.alerts tbody tr")
               if "Exports en nombre" in r.text)
    assert "Prise en compte par dpo le" in row.text
    no_violations(browser)
    follow(browser, browser.find_element(By.LINK_TEXT, "Journal d'accès"))
    Select(browser.find_element(By.ID, "compte")).select_by_visible_text("dpo")
    follow(browser, browser.find_element(By.CSS_SELECTOR, "form.grid button"))
    accounts_shown = {r.find_elements(By.TAG_NAME, "td")[3].text
                      for r in browser.find_elements(By.CSS_SELECTOR, "table.log tbody tr")}
    assert accounts_shown == {"dpo"}
    assert "alerte prise en compte par le DPO" in text(browser)
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
    browser.back()
    Select(browser.find_element(By.ID, "tri")).select_by_visible_text(
        "probabilité la plus haute d'abord")
    follow(browser, browser.find_element(By.XPATH, "//button[text()='Trier']"))
    assert "probabilité la plus haute d'abord" in browser.find_element(
        By.CSS_SELECTOR, "#file-doublons caption").text
    assert browser.find_element(By.XPATH, "//th[text()='Probabilité']").get_attribute(
        "aria-sort") == "descending"
    no_violations(browser)
    follow(browser, browser.find_element(By.PARTIAL_LINK_TEXT, f"Doublon n° {item_id}"))
    assert browser.find_elements(By.XPATH, "//button[text()='Personnes différentes']")
    # a doubtful pair is set aside for the meeting, then taken up again
    follow(browser, browser.find_element(By.XPATH, "//button[text()='À revoir en réunion']"))
    assert "mis de côté" in browser.switch_to.active_element.text  # the notice has the focus
    aside = browser.find_element(By.CSS_SELECTOR, "table.revisit tbody tr")
    assert f"Doublon n° {item_id}" in aside.text and "À revoir en réunion" in aside.text
    assert "Gaëlle CHANTELOUBIÈRE" in aside.text and "0.9" not in aside.text
    no_violations(browser)
    follow(browser, aside.find_element(By.XPATH, ".//button[text()='Reprendre']"))
    assert "Doublon repris" in text(browser)
    follow(browser, browser.find_element(By.PARTIAL_LINK_TEXT, f"Doublon n° {item_id}"))
    warning = browser.find_element(By.CSS_SELECTOR, "section.warning").text
    assert "Identité seule" in warning  # the CCI's fiche gives names alone: said, and ticked
    browser.find_element(By.ID, "confirme_identite_seule_a_verifier").send_keys(Keys.SPACE)
    same = browser.find_element(By.XPATH, "//button[text()='Même personne']")
    follow(browser, same, Keys.ENTER)  # the keyboard is enough
    assert browser.current_url.endswith("/console/coordination/fusions?fait=same")
    assert "même personne" in text(browser)
    merge = browser.find_element(By.XPATH, f"//tr[th[contains(., 'doublon n° {item_id}')]]")
    assert "CCI du Puy-de-Dôme · fiche F-DOUBLE-B" in merge.text
    decided_by = merge.find_elements(By.TAG_NAME, "td")[-1].text
    assert decided_by.startswith("coord (")  # the coordinator's account, then the member
    assert "Gaëlle CHANTELOUBIÈRE" in merge.text and "prt_" not in merge.text  # names, not ids
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
                    if s.text.startswith("Décisions du mois"))
    assert f"Fusion (doublon n° {item_id}), défaite depuis" in resolved
    assert "Séparation" in resolved and "Gaëlle CHANTELOUBIÈRE" in resolved
    follow(browser, browser.find_element(By.LINK_TEXT, "Doublons"))
    assert "Aucun doublon en attente" in text(browser)


def _porteur(hub, member: str, fiche_id: str) -> str:
    with hub.uow() as uow:
        return uow.fiches.porteur_of(member, fiche_id).porteur_id


def test_a_coordinator_finds_a_porteur_by_name_filters_and_sorts_without_names_in_urls(
        console, browser):
    sign_in(console, "coord")
    search(browser, "faurelliat ÉLODIE")
    assert listed(browser) == ["Élodie FAURELLIAT"]
    assert browser.find_element(By.ID, "q").get_attribute("value") == "faurelliat ÉLODIE"
    assert browser.current_url.endswith("/console/coordination/porteurs")  # POSTed, no URL
    no_violations(browser)
    search(browser, "g.chanteloubiere@exemple.fr")
    assert listed(browser) == ["Gaëlle CHANTELOUBIÈRE"]
    search(browser, "21/09/1986")
    assert listed(browser) == ["Gaëlle CHANTELOUBIÈRE"]
    browser.find_element(By.ID, "q").clear()
    Select(browser.find_element(By.ID, "projets")).select_by_visible_text("tous")
    Select(browser.find_element(By.ID, "membre")).select_by_visible_text(
        "Initiative Livradois-Forez")
    follow(browser, browser.find_element(By.XPATH, "//button[text()='Rechercher']"))
    assert sorted(listed(browser)) == ["Karim BENALITOUX", "Sophie MARTINELLIAC"]
    row = browser.find_element(By.XPATH, "//tr[th[.='Sophie MARTINELLIAC']]")
    following = row.find_element(By.CSS_SELECTOR, "td.following").text
    assert set(following.split(", ")) == {"Mairie d'Ambert", "CCI du Puy-de-Dôme",
                                          "Initiative Livradois-Forez"}
    follow(browser, browser.find_element(By.XPATH, "//th//button[starts-with(., 'Premier contact')]"))
    header = browser.find_element(By.XPATH, "//th[button[starts-with(., 'Premier contact')]]")
    assert header.get_attribute("aria-sort") == "ascending"
    assert listed(browser) == ["Sophie MARTINELLIAC", "Karim BENALITOUX"]  # oldest first
    follow(browser, header.find_element(By.TAG_NAME, "button"))
    assert listed(browser) == ["Karim BENALITOUX", "Sophie MARTINELLIAC"]
    assert Select(browser.find_element(By.ID, "membre")).first_selected_option.text == \
        "Initiative Livradois-Forez"  # the filters stay while sorting
    browser.find_element(By.XPATH, "//label[contains(., 'sans parrain')]/input").click()
    follow(browser, browser.find_element(By.XPATH, "//button[text()='Rechercher']"))
    assert listed(browser) == []  # both have a parrain
    shot(browser, "porteurs-recherche")
    searches = [e for e in console["hub"].audit.search(action="search")
                if e.actor_user == coordinator_id(console)]
    assert {"porteur.nom", "porteur.courriel", "porteur.date_naissance"} <= {
        field for event in searches for field in event.fields}


def test_a_coordinator_proposes_a_referent_notes_a_parrain_and_an_item_for_the_meeting(
        console, browser):
    from hub.services.accounts.auth import Caller
    from hub.services.console import meeting_actions

    sign_in(console, "coord")
    follow(browser, browser.find_element(By.LINK_TEXT, "Élodie FAURELLIAT"))
    assert "se modifient dans l'outil du membre" in text(browser)
    Select(browser.find_element(By.ID, "membre-referent")).select_by_visible_text(
        "Chambre d'agriculture du Puy-de-Dôme")
    browser.find_element(By.ID, "note-referent").send_keys("Projet agricole ?")
    follow(browser, browser.find_element(By.XPATH, "//button[text()='Proposer']"))
    notice = browser.find_element(By.CSS_SELECTOR, ".notice[role=status]")
    assert "Proposition envoyée" in notice.text
    assert browser.switch_to.active_element == notice  # announced to screen readers
    row = browser.find_element(By.CSS_SELECTOR, "table.decisions-list tbody tr")
    assert "Chambre d'agriculture du Puy-de-Dôme" in row.text
    assert "en attente de la réponse" in row.text and "coord" in row.text
    no_violations(browser)
    hub = console["hub"]
    [proposal] = [a for a in meeting_actions.actions_of(hub, console["porteurs"]["F-ORPHELIN"])
                  if a.kind == "referent"][:1]
    meeting_actions.answer_proposal(hub, Caller("chambre-agriculture-63", "", "chambre_agriculture",
                                                "accompagnement"),
                                    meeting_actions.proposal_id(hub, proposal.id),
                                    {"reponse": "acceptee"})  # the id its notice gave
    browser.refresh()
    assert "acceptée le" in browser.find_element(By.CSS_SELECTOR, "table.decisions-list").text
    browser.find_element(By.ID, "parrain").send_keys("Louis Perrin")
    follow(browser, browser.find_element(By.XPATH, "//button[text()='Noter le parrain']"))
    assert "Parrain noté : Louis Perrin" in text(browser)
    browser.find_element(By.ID, "note-a-voir").send_keys("Trouver un local à Ambert")
    follow(browser, browser.find_element(By.XPATH, "//button[text()='Garder pour la réunion']"))
    assert "Trouver un local à Ambert" in text(browser)
    shot(browser, "decisions")
    follow(browser, browser.find_element(By.XPATH, "//button[text()='Vu en réunion']"))
    assert "Point marqué comme vu en réunion." in text(browser) and "vu en réunion le" in text(
        browser)
    assert {e.action for e in hub.audit.search(since=None) if e.actor_user ==
            coordinator_id(console)} >= {"referent_proposal", "meeting_parrain",
                                         "meeting_a_voir", "meeting_item_seen"}


def test_a_dpo_goes_from_a_persons_name_to_a_complete_access_report(console, browser):
    sign_in(console, "dpo")
    follow(browser, browser.find_element(By.LINK_TEXT, "Trouver une personne"))
    no_violations(browser)
    field = browser.find_element(By.ID, "qui")
    follow(browser, field, "martinelliac SOPHIE", Keys.ENTER)
    assert browser.current_url.endswith("/console/dpo/personne")  # no name in a URL
    assert browser.find_element(By.ID, "qui").get_attribute("value") == "martinelliac SOPHIE"
    assert browser.switch_to.active_element.text == "1 personne(s) trouvée(s)"
    rows = browser.find_elements(By.CSS_SELECTOR, "table tbody tr")
    assert len(rows) == 1 and console["porteurs"]["F-INSTALLE"] in rows[0].text
    assert "Mairie d'Ambert" in rows[0].text
    no_violations(browser)
    shot(browser, "personne")
    follow(browser, rows[0].find_element(By.PARTIAL_LINK_TEXT, "Rapport d'accès"))
    page = text(browser)
    for expected in ("Sophie Martinelliac", "Sources des données", "Mairie d'Ambert",
                     "CCI du Puy-de-Dôme", "Durée de conservation", "Vos droits",
                     "Retirer votre consentement", "CNIL"):
        assert expected in page, expected
    no_violations(browser)
    shot(browser, "rapport")
    browser.get(console["base"] + "/console/dpo/rapport/prt_inconnu")
    assert "Aucun porteur n'a l'identifiant" in text(browser)
    assert "Vos droits" not in text(browser)


def test_every_page_reflows_at_320_pixels_without_horizontal_scrolling(console, browser):
    pages = {"coord": ["/console/coordination/porteurs", "/console/coordination/reunion",
                       "/console/coordination/doublons", "/console/coordination/fusions",
                       "/console/coordination/indicateurs", "/console/coordination/effacements",
                       f"/console/coordination/porteurs/{console['porteurs']['F-INSTALLE']}"],
             "dpo": ["/console/dpo/personne", "/console/dpo/journal", "/console/dpo/alertes",
                     "/console/dpo/consentements", "/console/dpo/integrite"]}
    overflowing = []
    for login, paths in pages.items():
        browser.delete_all_cookies()
        sign_in(console, login)
        browser.set_window_size(320, 900)
        try:
            for path in paths:
                browser.get(console["base"] + path)
                wide = browser.execute_script(
                    "return [document.documentElement.scrollWidth, window.innerWidth,"
                    " Math.max(...[...document.querySelectorAll('.top a, .top button')]"
                    ".map(function (e) { return e.getBoundingClientRect().right; }))]")
                if wide[0] > wide[1] or wide[2] > wide[1]:
                    overflowing.append((path, wide))
        finally:
            browser.set_window_size(1280, 900)
    assert not overflowing


def test_repeated_buttons_each_name_their_account_or_fiche(console, browser):
    sign_in(console, "admin")
    names = browser.execute_script(
        "return [...document.querySelectorAll('main button')].map(function (b) {"
        " return b.getAttribute('aria-label') || b.textContent.trim(); })")
    repeated = [n for n in names if names.count(n) > 1]
    assert names and not repeated, repeated


def test_the_account_form_keeps_its_values_and_shows_its_error_beside_it(console, browser):
    sign_in(console, "admin")
    browser.find_element(By.ID, "new-login").send_keys("Secretariat.Reunion")  # a capital letter
    Select(browser.find_element(By.ID, "new-role")).select_by_value("dpo")
    browser.find_element(By.ID, "new-password").send_keys("un mot de passe long")
    browser.find_element(By.ID, "new-password2").send_keys("un autre mot de passe")
    follow(browser, browser.find_element(By.XPATH, "//button[text()='Créer le compte']"))
    form = browser.find_element(By.CSS_SELECTOR, "main form[action$='/admin/comptes']")
    assert "Les deux mots de passe diffèrent." in form.text  # beside the fields, not far above
    assert browser.find_element(By.ID, "new-login").get_attribute("value") == "Secretariat.Reunion"
    assert Select(browser.find_element(By.ID, "new-role")).first_selected_option \
        .get_attribute("value") == "dpo"
    assert browser.switch_to.active_element.get_attribute("class") == "error"
    for field in ("new-password", "new-password2"):
        browser.find_element(By.ID, field).send_keys("un mot de passe long")
    follow(browser, browser.find_element(By.XPATH, "//button[text()='Créer le compte']"))
    assert "Compte créé." in browser.switch_to.active_element.text  # the notice has the focus
    assert any(u["login"] == "secretariat.reunion" for u in accounts.list_users(console["hub"]))


def test_a_coordinator_confirms_an_erasure_request_an_owner_left_unanswered(console, browser):
    """A member's erasure request erases its own fiche only and asks the other owners
    (here the PFIL); the PFIL does not answer, the coordinator confirms for it from the
    "Effacements" page, then on the page saying it is final (forms with their
    anti-forgery token): the PFIL's fiche is then erased, and the confirmation is in the
    access log under the coordinator's account."""
    from hub.errors import DataErased
    from hub.services.accounts.auth import Caller
    from hub.services.ingest import accept as ingest
    from hub.services.ingest import processing
    from hub.services.ingest.fiches import read_own_fiche
    from hub.services.privacy import erasure
    from tests.console_world import _fiche
    from tests.factories import ALL_PURPOSES, record_consents

    hub = console["hub"]
    pfil = Caller("pfil-livradois-forez", "", "pfil", "financement")
    commune = Caller("commune-ambert", "", "commune", "accueil")
    today = hub.clock().date()
    for caller, fiche_id in ((pfil, "F-EFFACE-P"), (commune, "F-EFFACE-C")):
        fiche = _fiche(today, caller.member_id, fiche_id, "Bérénice", "Effacetoux",
                       "Scierie mobile", "idee", [(3, caller.member_id, "accueil", None, None)])
        # open to the coordination: a request about a fiche hidden from it is not listed
        record_consents(hub, [fiche], finalites=ALL_PURPOSES, roles_destinataires=[
            "accueil", "accompagnement", "financement", "coordination"])
        assert ingest.push_batch(hub, caller, [fiche])["accepted"] == 1
        processing.process_outbox(hub, hub.publisher.published[-1])
    with hub.uow() as uow:
        porteur_id = uow.fiches.porteur_of(pfil.member_id, "F-EFFACE-P").porteur_id
        assert uow.fiches.porteur_of(commune.member_id, "F-EFFACE-C").porteur_id == porteur_id
    asked = erasure.request_erasure(hub, commune, {"fiche_id": "F-EFFACE-C"})
    assert read_own_fiche(hub, pfil, pfil.member_id, "F-EFFACE-P")["fiche"]["porteur"]["nom"] \
        == "Effacetoux"

    sign_in(console, "coord")
    follow(browser, browser.find_element(By.LINK_TEXT, "Effacements"))
    row = browser.find_element(By.XPATH, "//tbody/tr[th='Initiative Livradois-Forez']")
    assert porteur_id in row.text and "Mairie d'Ambert" in row.text and "en attente" in row.text
    assert "Effacetoux" not in text(browser)
    no_violations(browser)
    shot(browser, "effacements")
    browser.set_window_size(320, 900)
    try:  # a row and its button reflow too
        assert browser.execute_script(
            "return document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        browser.set_window_size(1280, 900)
    follow(browser, row.find_element(By.TAG_NAME, "button"))
    assert "Initiative Livradois-Forez" in text(browser) and "définitivement" in text(browser)
    no_violations(browser)
    assert read_own_fiche(hub, pfil, pfil.member_id, "F-EFFACE-P")  # not before confirming
    browser.execute_script("document.querySelectorAll('input[name=csrf]')"
                           ".forEach(function (i) { i.remove(); })")
    follow(browser, browser.find_element(By.XPATH, "//button[text()='Effacer définitivement']"))
    assert "jeton anti-falsification" in text(browser)  # a forged form erases nothing
    assert read_own_fiche(hub, pfil, pfil.member_id, "F-EFFACE-P")
    follow(browser, browser.find_element(By.LINK_TEXT, "Effacements"))
    follow(browser, browser.find_element(
        By.XPATH, "//tbody/tr[th='Initiative Livradois-Forez']//button"))
    follow(browser, browser.find_element(By.XPATH, "//button[text()='Effacer définitivement']"))
    notice = browser.find_element(By.CSS_SELECTOR, ".notice[role=status]")
    assert "Effacement confirmé" in notice.text
    assert "Aucune demande en attente." in text(browser)
    with pytest.raises(DataErased):
        read_own_fiche(hub, pfil, pfil.member_id, "F-EFFACE-P")
    assert erasure.read_erasure(hub, commune, asked["effacement"])["demandes"] == [
        {"membre": pfil.member_id, "statut": "confirmed"}]
    [event] = hub.audit.search(action="erasure_request_confirm", limit=10)
    assert event.actor_user == coordinator_id(console)


def test_a_decision_taken_at_the_keyboard_leads_back_to_the_list_as_it_was_filtered(
        console, browser):
    """Filters chosen, a porteur opened, a point kept for the meeting, then back: with
    the keyboard alone (Tab, typing, Enter), and the list is still filtered and sorted."""
    sign_in(console, "coord")
    Select(browser.find_element(By.ID, "membre")).select_by_visible_text("Mairie d'Ambert")
    browser.find_element(By.XPATH, "//label[contains(., 'sans référent')]/input").send_keys(
        Keys.SPACE)
    follow(browser, browser.find_element(By.XPATH, "//button[text()='Rechercher']"), Keys.ENTER)
    follow(browser, browser.find_element(By.XPATH, "//th//button[starts-with(., 'Commune')]"),
           Keys.ENTER)
    assert listed(browser) == ["Élodie FAURELLIAT"]
    follow(browser, browser.find_element(By.LINK_TEXT, "Élodie FAURELLIAT"), Keys.ENTER)
    no_violations(browser)
    note = browser.find_element(By.ID, "note-a-voir")
    note.send_keys("Qui peut l'accompagner ?", Keys.TAB)
    follow(browser, browser.switch_to.active_element, Keys.ENTER)  # « Garder pour la réunion »
    assert "Point ajouté" in browser.find_element(By.CSS_SELECTOR, ".notice[role=status]").text
    no_violations(browser)
    follow(browser, browser.find_element(By.LINK_TEXT, "← Porteurs à suivre"), Keys.ENTER)
    assert listed(browser) == ["Élodie FAURELLIAT"]
    assert Select(browser.find_element(By.ID, "membre")).first_selected_option.text == \
        "Mairie d'Ambert"
    assert browser.find_element(
        By.XPATH, "//label[contains(., 'sans référent')]/input").is_selected()
    header = browser.find_element(By.XPATH, "//th[button[starts-with(., 'Commune')]]")
    assert header.get_attribute("aria-sort") == "ascending"
    assert "Faurelliat" not in browser.current_url and "FAURELLIAT" not in browser.current_url
    no_violations(browser)
