"""Two coordinators at work on the same queue, and a session that ends while a pair is
open: the second decision gets a clear answer, nothing decided is lost, and signing in
again leads back to the page left."""

from __future__ import annotations

import html
import re
import urllib.parse

import pytest
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.services.accounts import users as accounts
from hub.services.matching import duplicates
from tests.console_world import CONFIRMING, PASSWORDS, build_world, console_hub
from tests.factories import Clock

pytestmark = pytest.mark.integration
SECOND = ("coord2", "deuxieme-coordinatrice")


@pytest.fixture
def world(db_url, tmp_path):
    clock = Clock()
    hub = console_hub(db_url, tmp_path, clock)
    built = build_world(hub, tmp_path)
    accounts.add_user(hub, SECOND[0], "coordinator", SECOND[1])
    app = create_app(hub=hub)
    with TestClient(app, base_url="http://127.0.0.1") as first, \
            TestClient(app, base_url="http://127.0.0.1") as second:
        yield {"hub": hub, "clock": clock, "first": first, "second": second, **built}
    hub.close()


def sign_in(client, login: str, password: str, page: str = "/console/connexion"):
    form = client.get(page).text
    fields = dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', form))
    return client.post("/console/connexion", follow_redirects=False, data={
        **fields, "login": login, "password": password})


def open_item(client) -> tuple[str, dict[str, str]]:
    """The first item's page, and what its decision forms carry (token, revision)."""
    queue = client.get("/console/coordination/doublons").text
    path = re.search(r'href="(/console/coordination/doublons/\d+)"', queue)[1]
    page = client.get(path).text
    return path, {"csrf": re.search(r'name="csrf" value="([^"]+)"', page)[1],
                  "revision": re.search(r'name="revision" value="(\d+)"', page)[1]}


def test_the_second_decision_on_a_pair_says_what_was_decided_and_that_its_own_was_not(world):
    first, second = world["first"], world["second"]
    sign_in(first, "coord", PASSWORDS["coord"])
    sign_in(second, *SECOND)
    path, first_form = open_item(first)
    same_path, second_form = open_item(second)
    assert path == same_path
    assert first.post(path, data={**first_form, "decision": "same", **CONFIRMING}).status_code == 200
    late = second.post(path, data={**second_form, "decision": "different"})
    assert late.status_code == 409
    assert "par le compte coord : « même personne »" in late.text
    assert "Votre choix, « personnes différentes », n'a pas été enregistré" in late.text
    assert 'href="/console/coordination/fusions"' in late.text
    history = duplicates.merge_history(world["hub"])
    assert [event["type"] for event in history] == ["fusion"]


def test_a_merge_sent_after_a_pair_was_set_aside_points_to_where_it_can_be_taken_up(world):
    first, second = world["first"], world["second"]
    sign_in(first, "coord", PASSWORDS["coord"])
    sign_in(second, *SECOND)
    (path, first_form), (_, second_form) = open_item(first), open_item(second)
    first.post(path, data={**first_form, "decision": "unknown"})
    late = second.post(path, data={**second_form, "decision": "same", **CONFIRMING})
    assert late.status_code == 409 and "« à revoir en réunion »" in late.text
    assert 'href="/console/coordination/doublons#a-revoir"' in late.text
    assert duplicates.merge_history(world["hub"]) == []


def split_forms(client) -> list[dict[str, str]]:
    page = client.get("/console/coordination/fusions").text
    return [dict(re.findall(r'name="(\w+)" value="([^"]*)"', form)) for form in re.findall(
        r'<form method="post" action="/console/coordination/fusions/separer".*?</form>', page,
        re.S)]


def test_the_second_separation_of_a_fiche_says_who_separated_it_and_when(world):
    first, second = world["first"], world["second"]
    sign_in(first, "coord", PASSWORDS["coord"])
    sign_in(second, *SECOND)
    path, form = open_item(first)
    first.post(path, data={**form, "decision": "same", **CONFIRMING})
    [form] = split_forms(first)
    [same_form] = split_forms(second)
    done = first.post("/console/coordination/fusions/separer", data={**form, "confirme": "oui"})
    assert done.status_code == 200 and "Séparation faite" in done.text
    late = second.post("/console/coordination/fusions/separer",
                       data={**same_form, "confirme": "oui"})
    assert late.status_code == 409
    text = html.unescape(late.text)
    assert "déjà été séparée" in text and "par le compte coord" in text
    again = first.post("/console/coordination/fusions/separer", data={**form, "confirme": "oui"})
    assert again.status_code == 200 and "Séparation faite" in again.text  # a double click
    assert [e["type"] for e in duplicates.merge_history(world["hub"])] == ["separation", "fusion"]


def test_a_decision_sent_after_the_session_ended_is_not_lost_in_silence(world):
    first, hub = world["first"], world["hub"]
    sign_in(first, "coord", PASSWORDS["coord"])
    path, form = open_item(first)
    world["clock"].advance(hours=9)  # the pair left open overnight
    answer = first.post(path, data={**form, "decision": "same", **CONFIRMING})
    assert "Votre session a pris fin : votre dernière action n'a pas été enregistrée" in \
        html.unescape(answer.text)
    assert duplicates.dedup_status(hub).get("review_open") == 1
    assert sign_in(first, "coord", PASSWORDS["coord"], page=str(answer.url)).headers[
        "location"] == path


def test_a_link_followed_before_signing_in_is_the_page_shown_after(world):
    client = world["first"]
    answer = client.get("/console/coordination/fusions")
    assert "session a pris fin" not in answer.text
    assert sign_in(client, "coord", PASSWORDS["coord"], page=str(answer.url)).headers[
        "location"] == "/console/coordination/fusions"


@pytest.mark.parametrize("suite", ["//exemple.org/console", "https://exemple.org/",
                                   "/console/../api", "/ailleurs", "/dpo/journal",
                                   "/admin/comptes", "/coordination/fusions\n",
                                   "/coordination/inexistante",
                                   "/coordination/doublons/reprendre"])
def test_a_return_page_outside_the_accounts_pages_is_ignored(world, suite):
    """Another role's pages (a coordinator's session), a path with a trailing line break,
    a path no page answers, a form's target: the person's home page instead."""
    client = world["first"]
    answer = sign_in(client, "coord", PASSWORDS["coord"],
                     page=f"/console/connexion?suite={urllib.parse.quote(suite)}")
    assert answer.headers["location"] == "/console/coordination/porteurs"


def test_a_form_posted_to_a_path_that_is_no_page_leads_back_to_the_page_above(world):
    first = world["first"]
    sign_in(first, "coord", PASSWORDS["coord"])
    queue = first.get("/console/coordination/doublons").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', queue)[1]
    world["clock"].advance(hours=9)
    answer = first.post("/console/coordination/doublons/reprendre",
                        data={"csrf": csrf, "doublon": "1"})
    assert urllib.parse.parse_qs(answer.url.query.decode())["suite"] == ["/coordination/doublons"]
    assert sign_in(first, "coord", PASSWORDS["coord"], page=str(answer.url)).headers[
        "location"] == "/console/coordination/doublons"


def test_signing_out_after_the_session_ended_says_the_person_is_signed_out(world):
    first = world["first"]
    sign_in(first, "coord", PASSWORDS["coord"])
    csrf = re.search(r'name="csrf" value="([^"]+)"',
                     first.get("/console/coordination/doublons").text)[1]
    world["clock"].advance(hours=9)
    answer = html.unescape(first.post("/console/deconnexion", data={"csrf": csrf}).text)
    assert "Vous êtes déconnecté" in answer and "dernière action" not in answer


def test_the_same_decision_sent_twice_by_the_same_coordinator_is_answered_as_recorded(world):
    first = world["first"]
    sign_in(first, "coord", PASSWORDS["coord"])
    path, form = open_item(first)
    assert first.post(path, data={**form, "decision": "different"}).status_code == 200
    again = first.post(path, data={**form, "decision": "different"},
                       follow_redirects=False)
    assert again.status_code == 303
    assert again.headers["location"] == "/console/coordination/doublons?fait=different"


@pytest.mark.parametrize("decision", ["same", "different"])
def test_the_same_decision_sent_by_another_coordinator_is_still_not_theirs(world, decision):
    first, second = world["first"], world["second"]
    for client, (login, password) in ((first, ("coord", PASSWORDS["coord"])),
                                      (second, SECOND)):
        sign_in(client, login, password)
    (path, first_form), (_, second_form) = open_item(first), open_item(second)
    first.post(path, data={**first_form, "decision": decision, **CONFIRMING})
    late = second.post(path, data={**second_form, "decision": decision, **CONFIRMING})
    assert late.status_code == 409 and "par le compte coord" in late.text
