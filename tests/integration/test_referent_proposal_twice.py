"""A referent proposal sent twice, over real HTTP on both databases: a double click, two
coordinators on pages opened before either sent, and posts at the same moment make one
proposal and one `referent_propose` notice; the second is answered as the duplicate
queue answers a second decision (the same proposal again: nothing more, back to the
parcours; another one: a 409 page saying what was proposed, when, by which account)."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import httpx
import pytest

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts import users as accounts
from hub.services.accounts.auth import Caller
from hub.services.console import meeting_actions
from hub.services.delivery import feed
from tests.console_world import PASSWORDS, build_world
from tests.e2e.browser import served
from tests.factories import Clock
from tests.fakes.publisher import RecordingPublisher

pytestmark = pytest.mark.integration
SECOND = ("coord2", "deuxieme-coordinatrice")
CHAMBER = Caller("chambre-agriculture-63", "", "chambre_agriculture", "accompagnement")
CCI = Caller("cci-puy-de-dome", "", "cci", "accompagnement")


@pytest.fixture
def world(db_url, tmp_path) -> Iterator[dict]:
    settings = Settings(data_dir=tmp_path / "data", database_url=db_url,
                        console_cookie_secure=False)
    hub = Hub.from_settings(settings, publisher=RecordingPublisher(), clock=Clock())
    built = build_world(hub, tmp_path)
    accounts.add_user(hub, SECOND[0], "coordinator", SECOND[1])
    clients: list[httpx.Client] = []
    with served(create_app(hub=hub)) as base:
        yield {"hub": hub, "base": base, "porteur": built["porteurs"]["F-ORPHELIN"],
               "clients": clients}
        for client in clients:
            client.close()
    hub.close()


def signed_in(world: dict, login: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=world["base"], timeout=60)
    world["clients"].append(client)
    form = client.get("/console/connexion").text
    token = re.search(r'name="csrf" value="([^"]+)"', form)[1]
    answer = client.post("/console/connexion",
                         data={"csrf": token, "login": login, "password": password})
    assert answer.status_code == 303, answer.text
    return client


def proposal_form(client: httpx.Client, porteur: str, member: str) -> dict[str, str]:
    """The parcours page's « Proposer une structure référente » form, filled in."""
    page = client.get(f"/console/coordination/porteurs/{porteur}").text
    [form] = [f for f in re.findall(r"<form.*?</form>", page, re.S)
              if 'name="quoi" value="referent"' in f]
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form))
    return {**fields, "membre": member, "note": ""}


def send(client: httpx.Client, porteur: str, form: dict[str, str]) -> httpx.Response:
    return client.post(f"/console/coordination/porteurs/{porteur}/decisions", data=form)


def proposals(world: dict) -> list:
    return [a for a in meeting_actions.actions_of(world["hub"], world["porteur"])
            if a.kind == "referent"]


def notices(world: dict, caller: Caller) -> list:
    items = feed.read_feed(world["hub"], caller, 0, 100)["deliveries"]
    return [i for i in items if i["evenement"] == "referent_propose"]


def test_a_proposal_sent_twice_from_one_page_is_made_once(world):
    client, porteur = signed_in(world, "coord", PASSWORDS["coord"]), world["porteur"]
    form = proposal_form(client, porteur, CHAMBER.member_id)
    first, again = send(client, porteur, form), send(client, porteur, form)
    assert first.status_code == again.status_code == 303
    assert again.headers["location"] == first.headers["location"]
    assert len(proposals(world)) == 1 and len(notices(world, CHAMBER)) == 1


def test_a_second_coordinator_proposing_from_an_older_page_is_told_what_was_proposed(world):
    porteur = world["porteur"]
    first = signed_in(world, "coord", PASSWORDS["coord"])
    second = signed_in(world, *SECOND)
    first_form = proposal_form(first, porteur, CHAMBER.member_id)
    second_form = proposal_form(second, porteur, CCI.member_id)
    assert send(first, porteur, first_form).status_code == 303
    told = send(second, porteur, second_form)
    assert told.status_code == 409
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", told.text))
    assert "Chambre d&#39;agriculture du Puy-de-Dôme" in page or \
        "Chambre d'agriculture du Puy-de-Dôme" in page
    assert "par le compte coord " in page and "rechargez" in page.lower()
    assert "CCI du Puy-de-Dôme" in page and "n'a pas été enregistrée" in page.replace("&#39;", "'")
    assert len(proposals(world)) == 1
    assert len(notices(world, CHAMBER)) == 1 and notices(world, CCI) == []
    # the page seen again shows the proposal: another one is then made knowingly
    assert send(second, porteur, proposal_form(second, porteur, CCI.member_id)).status_code == 303
    assert len(proposals(world)) == 2 and len(notices(world, CCI)) == 1


def test_proposals_sent_at_the_same_moment_make_one(world):
    porteur = world["porteur"]
    clients = [signed_in(world, "coord", PASSWORDS["coord"]) for _ in range(3)] + \
        [signed_in(world, *SECOND) for _ in range(3)]
    forms = [proposal_form(c, porteur, CHAMBER.member_id) for c in clients]
    answers: list[int] = []
    start = threading.Barrier(len(clients))

    def post(client: httpx.Client, form: dict[str, str]) -> None:
        start.wait()
        answers.append(send(client, porteur, form).status_code)

    threads = [threading.Thread(target=post, args=pair) for pair in zip(clients, forms, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(set(answers)) in ([303], [303, 409]) and len(answers) == len(clients)
    assert len(proposals(world)) == 1 and len(notices(world, CHAMBER)) == 1


def test_a_proposal_from_a_form_without_the_page_s_state_is_refused(world):
    client, porteur = signed_in(world, "coord", PASSWORDS["coord"]), world["porteur"]
    form = {k: v for k, v in proposal_form(client, porteur, CHAMBER.member_id).items()
            if k in ("csrf", "quoi", "membre", "note")}
    refused = send(client, porteur, form)
    assert refused.status_code == 400 and "rechargez la page" in refused.text
    assert proposals(world) == []
