"""A database that stops answering (hung, stopped, packets dropped: `TcpProxy.freeze()`)
with real processes: API requests that need it get a 503 in the error envelope with
Retry-After, never a hang; the worker retries its batch, losing nothing and doing
nothing twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess

import pytest
import requests

from capactif_demo.processes import free_port, running, start_api, start_worker
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts.members import load_network
from hub.services.ingest.processing import pipeline_status
from tests.factories import Credentials, make_network, record_consents
from tests.fakes.publisher import RecordingPublisher
from tests.integration.http_pushes import fiches, push
from tests.integration.scale import database_through_proxy, scale_store, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]

MEMBER = "cci-puy-de-dome"
# Short deadlines, so that the test waits seconds: the client gives up 5 s after the
# statement timeout.
DEADLINES = {"HUB_DATABASE_STATEMENT_TIMEOUT_S": "1", "HUB_DATABASE_CONNECT_TIMEOUT_S": "2",
             "HUB_DATABASE_POOL_TIMEOUT_S": "2"}


@pytest.fixture
def scale(tmp_path, postgres_url):
    with scale_store(postgres_url) as store:
        env = {**store, "HUB_DATA_DIR": str(tmp_path / "data"), "HUB_PORT": str(free_port()),
               "HUB_OUTBOX_REPUBLISH_AFTER_S": "2", "HUB_SWEEP_INTERVAL_S": "1", **DEADLINES}
        observer = Hub.from_settings(Settings.from_env(env), publisher=RecordingPublisher())
        load_network(observer, make_network(tmp_path / "network.json", [MEMBER]), tmp_path / "creds")
        yield env, observer, Credentials(tmp_path / "creds" / f"{MEMBER}.json"), tmp_path / "logs"
        observer.close()


def read(port: int, creds: Credentials, fiche_id: str) -> requests.Response:
    target = f"/v1/fiches/{MEMBER}/{fiche_id}"
    return requests.get(f"http://127.0.0.1:{port}{target}", headers=creds.headers("GET", target),
                        timeout=60)


def test_requests_get_a_503_with_retry_after_while_the_database_stops_answering(scale):
    env, observer, creds, logs = scale
    env, proxy = database_through_proxy(env)
    port = int(env["HUB_PORT"])
    before, during, after = fiches("B", 5), fiches("D", 5, 5), fiches("A", 5, 10)
    record_consents(observer, before + during + after)
    try:
        with running([start_api(env, logs, port)]):
            assert push(port, creds, before).status_code == 202
            proxy.freeze()  # connections stay open, nothing comes back
            for answer in (push(port, creds, during), read(port, creds, "B-0")):
                assert answer.status_code == 503, answer.text
                assert answer.json()["error"]["code"] == "store_timeout"
                assert int(answer.headers["Retry-After"]) > 0
                assert "D-0" not in answer.text and "psycopg" not in answer.text
            proxy.restore()
            wait_until(lambda: push(port, creds, after).status_code == 202, 30,
                       "a push accepted once the database answers")
            assert read(port, creds, "B-0").status_code == 200
    finally:
        proxy.close()


def test_a_request_on_an_idle_pooled_connection_is_answered_within_the_connect_deadline(scale):
    """A pooled connection is pinged before use: a ping the server leaves unanswered
    fails after the connect timeout, not after the statement timeout (here 60 s: the
    request would have gone unanswered past the client's 30 s)."""
    env, observer, creds, logs = scale
    env, proxy = database_through_proxy(env)
    env = {**env, "HUB_DATABASE_STATEMENT_TIMEOUT_S": "60"}
    port = int(env["HUB_PORT"])
    before, during = fiches("B", 5), fiches("D", 5, 5)
    record_consents(observer, before + during)
    try:
        with running([start_api(env, logs, port)]):
            assert push(port, creds, before).status_code == 202
            proxy.freeze()
            body = json.dumps({"fiches": during}).encode()
            answer = requests.post(f"http://127.0.0.1:{port}/v1/fiches", data=body,
                                   headers=creds.headers("POST", "/v1/fiches", body), timeout=30)
            assert answer.status_code == 503, answer.text
            assert answer.json()["error"]["code"] == "store_timeout"
    finally:
        proxy.close()


def test_the_worker_retries_its_batch_when_the_database_stops_answering_mid_way(scale):
    env, observer, creds, logs = scale
    env, proxy = database_through_proxy(env)
    env = {**env, "HUB_LOG_LEVEL": "INFO"}
    port = int(env["HUB_PORT"])
    batches = [fiches(f"W{b}", 200, b * 200) for b in range(5)]
    record_consents(observer, [fiche for batch in batches for fiche in batch])
    try:
        with running([start_api(env, logs, port)]):
            for batch in batches:
                assert push(port, creds, batch).status_code == 202
            worker = start_worker(env, logs)
            with running([worker]):
                wait_until(lambda: pipeline_status(observer)["processed"] > 0, 90, "a first batch")
                proxy.freeze()
                # Before: the worker waited on the hung connection for as long as it lasted.
                wait_until(lambda: "StoreTimeout" in worker.log_path.read_text(errors="replace"),
                           60, "the worker giving up on the silent database")
                proxy.restore()
                wait_until(lambda: _all_processed_once(observer, 1000), 120, "1000 processed fiches")
                assert worker.alive, worker.tail()
    finally:
        proxy.close()
    status = pipeline_status(observer)
    assert (status["fiches"], status["porteurs"], status["versions"]) == (1000, 1000, 1000)


def _all_processed_once(observer: Hub, total: int) -> bool:
    status = pipeline_status(observer)
    return status["processed"] == total and status["outbox_pending"] == 0


def test_a_worker_stopped_while_the_database_stops_answering_still_exits(scale):
    """At SIGTERM the worker withdraws its heartbeat row: on a silent database that
    waited for ever, and the worker never ended (systemd would have killed it)."""
    env, _observer, _creds, logs = scale
    env, proxy = database_through_proxy(env)
    env = {**env, "HUB_HEARTBEAT_INTERVAL_S": "1", "HUB_LOG_LEVEL": "INFO"}
    worker = start_worker(env, logs)
    try:
        with running([worker]):
            wait_until(lambda: "ready." in worker.log_path.read_text(errors="replace"), 60,
                       "the worker ready")
            proxy.freeze()
            os.kill(worker.popen.pid, signal.SIGTERM)  # the main process, as systemd does
            # Under 45 s: here PostgreSQL's authentication_timeout (60 s) ends a new
            # connection through the frozen proxy, where a hung server would not.
            try:
                code = worker.popen.wait(timeout=45)
            except subprocess.TimeoutExpired:
                code = None
            assert code is not None, "the worker did not end: " + worker.tail()
    finally:
        proxy.close()

