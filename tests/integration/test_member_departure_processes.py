"""A member leaving the network while the hub runs: real worker processes on Redis and
PostgreSQL, a real HTTP recipient, the real API process and the `capactif` command. What
waited for the member (planned deliveries, fiches still in the broker) never reaches it,
a webhook in flight when it leaves is the last one it gets, and its former credentials
are refused by the API in the hub's envelope."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from capactif_demo.processes import capactif_command, free_port, running, start_api, start_worker
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts.members import load_network
from hub.services.ingest.processing import pipeline_status
from hub.store.delivery_tables import deliveries
from tests.factories import Credentials
from tests.integration.scale import scale_store, wait_until
from tests.integration.test_webhook_leases_processes import OWNER, distinct_received, push
from tests.receiver import Recipient

pytestmark = [pytest.mark.integration, pytest.mark.slow]

LEAVING = "cci-thiers"
STAYING = "pfil-livradois"


def _member(member_id: str, kind: str, role: str, webhook: str | None = None) -> dict:
    member = {"id": member_id, "nom": member_id, "nature": kind, "role": role,
              "contact": {"courriel": f"{member_id}@exemple.fr"}}
    if webhook:
        member.update(webhook=webhook, abonnements=[{"communes": ["63003"]}])
    return member


@pytest.fixture
def world(tmp_path, postgres_url):
    with scale_store(postgres_url) as store, Recipient() as leaving, Recipient() as staying:
        env = {**store, "HUB_DATA_DIR": str(tmp_path / "data"), "HUB_DISPATCH_INTERVAL_S": "0.5",
               "HUB_WEBHOOK_TIMEOUT_S": "120", "HUB_WEBHOOK_LEASE_S": "5",
               "HUB_WEBHOOK_RETRY_BASE_S": "0.5", "HUB_WEBHOOK_RETRY_MAX_S": "1"}
        members = [_member(OWNER.member_id, "commune", "accueil"),
                   {**_member(LEAVING, "cci", "accompagnement", leaving.url),
                    "dpo": {"portee": "membre"}},
                   _member(STAYING, "pfil", "financement", staying.url)]
        (tmp_path / "network.json").write_text(json.dumps({"reseau": "t", "membres": members}))
        (tmp_path / "smaller.json").write_text(json.dumps(
            {"reseau": "t", "membres": [m for m in members if m["id"] != LEAVING]}))
        hub = Hub.from_settings(Settings.from_env(env))  # publishes to the real broker
        load_network(hub, tmp_path / "network.json", tmp_path / "creds")
        yield env, hub, leaving, staying, tmp_path
        hub.close()


def leave(env: dict[str, str], folder: Path) -> subprocess.CompletedProcess[str]:
    """`capactif members load` of the file without the member, confirming its departure."""
    return subprocess.run(
        capactif_command("members", "load", str(folder / "smaller.json"), "--leave", LEAVING,
                         "--credentials-dir", str(folder / "creds")),
        env={**os.environ, **env}, capture_output=True, text=True, timeout=300, check=False)


def statuses(hub: Hub, member_id: str) -> list[tuple[str, str | None]]:
    with hub.uow() as uow:
        return sorted(tuple(r) for r in uow.connection.execute(
            sa.select(deliveries.c.status, deliveries.c.last_error)
            .where(deliveries.c.recipient_id == member_id)))


def delivered_events(hub: Hub, member_id: str) -> int:
    return len(hub.audit.search(action="webhook_delivery", member=member_id, limit=100_000))


def test_a_member_dropped_while_deliveries_and_fiches_wait_for_it_is_sent_none_of_them(world):
    env, hub, leaving, staying, folder = world
    logs = folder / "logs"
    leaving.status = 503  # its deliveries wait, retried
    with running([start_worker(env, logs, "worker-1")]):
        push(hub, 0, 10)
        wait_until(lambda: distinct_received(staying) == 10, 90, "10 webhooks to the staying one")
        wait_until(lambda: leaving.arrivals, 60, "a first refused attempt to the leaving one")
    push(hub, 10, 10)  # no worker: these wait in the broker
    result = leave(env, folder)
    assert result.returncode == 0, result.stderr
    assert f"sorti du réseau : {LEAVING} ; identifiants révoqués" in result.stdout
    assert "livraisons annulées : 10 webhook(s)" in result.stdout
    tried = len(leaving.arrivals)
    leaving.status = 200
    with running([start_worker(env, logs, "worker-2")]):
        wait_until(lambda: pipeline_status(hub)["processed"] == 20, 90, "20 processed fiches")
        wait_until(lambda: distinct_received(staying) == 20, 90, "20 webhooks to the staying one")
    assert len(leaving.arrivals) == tried and leaving.received == []
    assert statuses(hub, LEAVING) == [("cancelled", "member_left")] * 10  # none planned since
    assert delivered_events(hub, LEAVING) == 0


def test_a_webhook_in_flight_when_its_member_leaves_is_the_last_one_it_gets(world):
    env, hub, leaving, staying, folder = world
    leaving.gate = threading.Event()  # the first POST is held until the member has left
    with running([start_worker(env, folder / "logs", "worker-1")]):
        push(hub, 0, 10)
        wait_until(lambda: leaving.arrivals, 90, "a first webhook in flight")
        result = leave(env, folder)
        assert result.returncode == 0, result.stderr
        leaving.gate.set()
        wait_until(lambda: ("sent", None) in statuses(hub, LEAVING), 60,
                   "the webhook in flight answered and recorded")
        wait_until(lambda: distinct_received(staying) == 10, 90, "10 webhooks to the staying one")
        with hub.uow() as uow:
            wait_until(lambda: uow.deliveries.lease_of(LEAVING).dispatch_lease_owner is None, 30,
                       "the leaving one's sender to finish")
    assert len(leaving.arrivals) == 1 and distinct_received(leaving) == 1
    assert statuses(hub, LEAVING) == [("cancelled", "member_left")] * 9 + [("sent", None)]
    assert delivered_events(hub, LEAVING) == 1  # what it did get stays logged


def test_its_former_credentials_are_refused_by_the_api_in_the_envelope(world):
    env, _hub, _leaving, _staying, folder = world
    own = Credentials(folder / "creds" / f"{LEAVING}.json")
    dpo = Credentials(folder / "creds" / f"{LEAVING}.dpo.json")
    port = free_port()

    def call(credentials: Credentials, target: str) -> requests.Response:
        return requests.get(f"http://127.0.0.1:{port}{target}", timeout=30,
                            headers=credentials.headers("GET", target))

    with running([start_api(env, folder / "logs", port)]):
        assert call(own, "/v1/feed").status_code == 200
        assert call(dpo, "/v1/audit").status_code == 200
        result = leave(env, folder)
        assert result.returncode == 0, result.stderr
        for credentials, target in ((own, "/v1/feed"), (dpo, "/v1/audit")):
            answer = call(credentials, target)
            assert answer.status_code == 401
            assert answer.json()["error"]["code"] == "authentication_failed"
            assert LEAVING not in answer.text  # says nothing of who left
