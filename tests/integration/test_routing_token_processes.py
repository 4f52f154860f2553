"""`capactif members load` while members replace their subscriptions through the API, real
processes on PostgreSQL: every write to members or subscriptions draws a routing token
(migrations 0038, 0041), and with one token row the load (a member updated first, then
each member's subscriptions replaced in turn) and a PUT /v1/subscriptions of a member it
had not reached yet (its rows deleted, then its trigger waiting on the row the load held)
waited on each other: DeadlockDetected, the load exiting 1 with nothing kept and the PUT
answering 503. Appended token rows make no writer wait on another for the token."""

from __future__ import annotations

import json
import os
import subprocess
import threading

import orjson
import pytest
import requests

from capactif_demo.processes import capactif_command, free_port, running, start_api
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts.members import load_network
from tests.factories import Credentials
from tests.integration.scale import scale_store

pytestmark = [pytest.mark.integration, pytest.mark.slow]

MEMBERS = 300
PUTTING = tuple(f"bge-{n:03d}" for n in range(MEMBERS - 3, MEMBERS))  # last in the file
_BODY = orjson.dumps({"abonnements": [{"communes": ["63430"]}]})


def _network(folder, commune: str):
    members = [{"id": f"bge-{n:03d}", "nom": f"BGE {n}", "nature": "bge",
                "role": "accompagnement", "contact": {"courriel": f"bge{n}@exemple.fr"},
                "abonnements": [{"communes": [commune]}]} for n in range(MEMBERS)]
    path = folder / f"network-{commune}.json"
    path.write_text(json.dumps({"reseau": "t", "membres": members}), encoding="utf-8")
    return path


@pytest.fixture
def world(tmp_path, postgres_url):
    with scale_store(postgres_url) as store:
        # the PUTs loop for as long as the load runs (longer on a loaded machine): no
        # rate limit must answer them, this is no test of it
        env = {**store, "HUB_DATA_DIR": str(tmp_path / "data"),
               "HUB_RATE_LIMIT_WRITE": "1000000/minute",
               "HUB_RATE_LIMIT_PER_SOURCE": "1000000/minute"}
        hub = Hub.from_settings(Settings.from_env(env))
        load_network(hub, _network(tmp_path, "63003"), tmp_path / "creds")
        hub.close()
        yield env, tmp_path


def test_a_members_load_and_subscription_puts_meanwhile_all_succeed(world):
    env, folder = world
    port = free_port()
    again = _network(folder, "63125")
    answers: list[int] = []
    loaded = threading.Event()

    def put(member_id: str) -> None:
        credentials = Credentials(folder / "creds" / f"{member_id}.json")
        while not loaded.is_set():
            headers = credentials.headers("PUT", "/v1/subscriptions", _BODY)
            answers.append(requests.put(f"http://127.0.0.1:{port}/v1/subscriptions",
                                        data=_BODY, headers=headers, timeout=120).status_code)

    with running([start_api(env, folder / "logs", port)]):
        putters = [threading.Thread(target=put, args=(m,)) for m in PUTTING]
        for putter in putters:
            putter.start()
        try:
            load = subprocess.run(
                capactif_command("members", "load", str(again), "--credentials-dir",
                                 str(folder / "creds")),
                env={**os.environ, **env}, capture_output=True, text=True, timeout=300,
                check=False)
        finally:
            loaded.set()
            for putter in putters:
                putter.join()
    assert load.returncode == 0, load.stderr[-2000:]
    assert answers and set(answers) == {200}, sorted(set(answers))
