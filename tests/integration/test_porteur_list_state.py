"""The porteurs list keeps what the coordinator asked for (filters, sort, page) when a
porteur's parcours is opened from it, and after a decision taken there: the way back
leads to the same list, not to the whole network again. The search text (personal data)
never travels in an address."""

from __future__ import annotations

import html
import re
import urllib.parse

import pytest
from fastapi.testclient import TestClient

from hub.api.app import create_app
from tests.console_world import build_world, console_hub
from tests.factories import Clock
from tests.integration.test_console import csrf_of, sign_in

pytestmark = pytest.mark.integration
LIST = "/console/coordination/porteurs"
ASKED = {"membre": "commune-ambert", "etape": "emergence", "sans_referent": "1",
         "trier": "commune:desc"}
KEPT = {"membre": "commune-ambert", "etape": "emergence", "sans_referent": "1",
        "tri": "commune", "ordre": "desc"}


@pytest.fixture
def world(db_url, tmp_path):
    hub = console_hub(db_url, tmp_path, Clock())
    built = build_world(hub, tmp_path)
    with TestClient(create_app(hub=hub), base_url="http://127.0.0.1",
                    raise_server_exceptions=False) as client:
        yield {"hub": hub, "client": client, **built}
    hub.close()


def _rows(page: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="([^"?]+)', page)


def _back(page: str) -> str:
    return html.unescape(re.search(r'<a href="([^"]*)">← Porteurs à suivre</a>', page)[1])


def _kept(address: str) -> dict[str, str]:
    parsed = urllib.parse.urlsplit(address)
    assert parsed.path == LIST
    return dict(urllib.parse.parse_qsl(parsed.query))


def test_the_way_back_from_a_parcours_leads_to_the_list_as_it_was_filtered(world):
    client = world["client"]
    sign_in(client, "coord")
    form = client.get(LIST).text
    listed = client.post(LIST, data={"csrf": csrf_of(form), "q": "Faurelliat", **ASKED}).text
    orphan = f"{LIST}/{world['porteurs']['F-ORPHELIN']}"
    assert orphan in _rows(listed)
    opened = re.search(rf'<th scope="row"><a href="({re.escape(orphan)}[^"]*)"', listed)[1]
    parcours = client.get(html.unescape(opened)).text
    back = _back(parcours)
    assert _kept(back) == KEPT
    assert "Faurelliat" not in back and "q=" not in back  # the search text stays out
    shown = client.get(back).text
    assert _rows(shown) == _rows(client.post(LIST, data={
        "csrf": csrf_of(form), **ASKED}).text)


def test_a_decision_taken_on_a_parcours_keeps_the_way_back_to_the_filtered_list(world):
    client = world["client"]
    sign_in(client, "coord")
    form = client.get(LIST).text
    listed = client.post(LIST, data={"csrf": csrf_of(form), **ASKED}).text
    orphan = f"{LIST}/{world['porteurs']['F-ORPHELIN']}"
    opened = re.search(rf'<th scope="row"><a href="({re.escape(orphan)}[^"]*)"', listed)[1]
    parcours = client.get(html.unescape(opened)).text
    carried = re.search(r'name="liste" value="([^"]*)"', parcours)
    decided = client.post(f"{orphan}/decisions", data={
        "csrf": csrf_of(parcours), "quoi": "a_voir", "note": "Qui l'accompagne ?",
        "liste": html.unescape(carried[1]) if carried else ""})
    assert decided.status_code == 200 and "Point ajouté" in decided.text
    assert _kept(_back(decided.text)) == KEPT


@pytest.mark.parametrize("liste", ["q=Faurelliat&membre=commune-ambert", "etape=inconnue",
                                   "du=31/02/2026", "page=x&tri=%00", "%ZZ"])
def test_a_way_back_the_list_never_offered_leads_to_the_list_without_it(world, liste):
    """Never the search text, never a 400 or a 500 for an address typed or cut short."""
    client = world["client"]
    sign_in(client, "coord")
    orphan = f"{LIST}/{world['porteurs']['F-ORPHELIN']}"
    answer = client.get(orphan, params={"liste": liste})
    assert answer.status_code == 200
    back = _back(answer.text)
    assert "Faurelliat" not in back and set(_kept(back)) <= {*KEPT, "page"}


def test_the_way_back_leads_to_the_page_the_list_was_on(world):
    client = world["client"]
    sign_in(client, "coord")
    orphan = f"{LIST}/{world['porteurs']['F-ORPHELIN']}"
    answer = client.get(orphan, params={"liste": "membre=commune-ambert&page=3"})
    assert _kept(_back(answer.text)) == {"membre": "commune-ambert", "page": "3"}
    assert "page 1 sur 1" in client.get(_back(answer.text)).text  # past the last: the last
