"""What people type or edit in the console's addresses and forms: a character Python calls
a digit without being one of 0-9 (superscript two, a mathematical bold one) is a bad
number like any other, never a 500; a malformed parameter is a French page; a month
asked in the address is the month shown."""

from __future__ import annotations

import html

import pytest
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.config import Settings
from tests.console_world import build_world
from tests.factories import Clock
from tests.fakes.publisher import RecordingPublisher
from tests.integration.test_console import csrf_of, sign_in

pytestmark = pytest.mark.integration
NOT_DIGITS = ["²", "𝟏", "1²", "①"]  # str.isdigit() is true of each, int() refuses each


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("odd-numbers")
    from hub.store.migrate import upgrade

    url = f"sqlite:///{folder / 'hub.sqlite3'}"
    upgrade(url)
    settings = Settings(data_dir=folder / "data", database_url=url, console_cookie_secure=False)
    hub = Hub.from_settings(settings, publisher=RecordingPublisher(), clock=Clock())
    built = build_world(hub, folder)
    app = create_app(hub=hub)
    clients = {}
    for login in ("coord", "dpo"):
        client = TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False)
        sign_in(client, login)
        clients[login] = client
    yield {"hub": hub, **clients, **built}
    for client in clients.values():
        client.close()
    hub.close()


@pytest.mark.parametrize("value", NOT_DIGITS)
@pytest.mark.parametrize("path", ["/console/coordination/porteurs",
                                  "/console/coordination/doublons"])
def test_a_page_number_that_is_not_0_to_9_shows_the_first_page(world, path, value):
    answer = world["coord"].get(path, params={"page": value})
    assert answer.status_code == 200


@pytest.mark.parametrize("value", NOT_DIGITS)
def test_a_search_page_number_that_is_not_0_to_9_shows_the_first_page(world, value):
    coord, dpo = world["coord"], world["dpo"]
    page = coord.get("/console/coordination/porteurs").text
    assert coord.post("/console/coordination/porteurs",
                      data={"csrf": csrf_of(page), "aller": value}).status_code == 200
    page = dpo.get("/console/dpo/journal").text
    assert dpo.post("/console/dpo/journal", data={"csrf": csrf_of(page), "membre": "",
                                                  "aller": value}).status_code == 200


@pytest.mark.parametrize("value", NOT_DIGITS)
def test_a_meeting_point_or_an_alert_that_is_not_a_number_is_a_bad_request(world, value):
    coord, dpo = world["coord"], world["dpo"]
    porteur = world["porteurs"]["F-ORPHELIN"]
    page = coord.get(f"/console/coordination/porteurs/{porteur}").text
    answer = coord.post(f"/console/coordination/porteurs/{porteur}/decisions",
                        data={"csrf": csrf_of(page), "quoi": "vu", "point": value})
    assert answer.status_code == 400 and "Décision inconnue" in answer.text
    page = dpo.get("/console/dpo/alertes").text
    answer = dpo.post("/console/dpo/alertes/prise-en-compte",
                      data={"csrf": csrf_of(page), "entree": value})
    assert answer.status_code == 400 and "Alerte inconnue" in answer.text


@pytest.mark.parametrize("query", ["sortie=abc", "sortie=%C2%B2"])
def test_a_malformed_parameter_is_a_french_page_that_does_not_echo_it(world, query):
    client = TestClient(world["coord"].app, base_url="http://127.0.0.1")
    answer = client.get(f"/console/connexion?{query}")
    assert answer.status_code == 400 and answer.headers["content-type"].startswith("text/html")
    assert "abc" not in answer.text and "²" not in answer.text and '"detail"' not in answer.text


def test_a_meeting_sheet_of_an_older_month_is_the_month_the_selector_shows(world):
    page = world["coord"].get("/console/coordination/reunion", params={"mois": "2024-03"}).text
    assert "Fiche de réunion — mars 2024" in page
    assert '<option value="2024-03" selected>' in page


def _journal(world, **fields):
    dpo = world["dpo"]
    page = dpo.get("/console/dpo/journal").text
    return dpo.post("/console/dpo/journal", data={"csrf": csrf_of(page), **fields})


@pytest.mark.parametrize("typed", ["15/03/2026", "2026-03-15", "5/3/2026"])
def test_a_day_is_taken_in_the_french_format_the_pages_write_it_in_or_in_iso(world, typed):
    coord = world["coord"]
    answer = coord.get("/console/coordination/porteurs", params={"du": typed, "au": typed})
    assert answer.status_code == 200, answer.text
    shown = "2026-03-05" if typed == "5/3/2026" else "2026-03-15"
    assert f'name="du" type="date" value="{shown}"' in answer.text
    answer = _journal(world, depuis=typed, jusqua=typed)
    assert answer.status_code == 200, answer.text
    assert f'name="depuis" type="date" value="{shown}"' in answer.text
    assert world["dpo"].get("/console/dpo/journal", params={"depuis": typed}).status_code == 200


@pytest.mark.parametrize(("typed", "said"), [
    ("31/02/2026", "ce jour n'existe pas"), ("15/13/2026", "ce jour n'existe pas"),
    ("15-03-2026", "au format JJ/MM/AAAA"), ("le 15 mars", "au format JJ/MM/AAAA"),
    ("15/03/26", "au format JJ/MM/AAAA"), ("15/03/0999", "l'année doit être comprise entre"),
    ("１５/03/2026", "au format JJ/MM/AAAA")])
def test_a_day_refused_says_what_was_wrong_and_in_which_field(world, typed, said):
    answer = world["coord"].get("/console/coordination/porteurs", params={"au": typed})
    page = html.unescape(answer.text)
    assert answer.status_code == 400 and said in page and "« jusqu'au »" in page, page
    answer = _journal(world, depuis=typed)
    page = html.unescape(answer.text)
    assert answer.status_code == 400 and said in page and "« Du »" in page
