"""Operations with real processes: readiness follows the database and the broker,
metrics move as fiches flow (API, worker, PostgreSQL and Redis all real)."""

from __future__ import annotations

import json
import time

import pytest
import requests
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from capactif_demo.processes import free_port, running, start_api, start_worker
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts.members import load_network
from hub.services.audit import trail as audit
from tests.factories import Credentials, make_fiche, make_network, other_porteur, record_consents
from tests.fakes.publisher import RecordingPublisher
from tests.integration.scale import (
    OwnRedis,
    database_through_proxy,
    scale_store,
    wait_until,
)
from tests.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.integration, pytest.mark.slow]

MEMBER = "cci-puy-de-dome"


@pytest.fixture
def scale(tmp_path, postgres_url):
    with scale_store(postgres_url) as store:
        env = {**store, "HUB_DATA_DIR": str(tmp_path / "data"), "HUB_PORT": str(free_port()),
               "HUB_HEARTBEAT_INTERVAL_S": "1", "HUB_SWEEP_INTERVAL_S": "1"}
        observer = Hub.from_settings(Settings.from_env(env), publisher=RecordingPublisher())
        load_network(observer, make_network(tmp_path / "network.json", [MEMBER]), tmp_path / "creds")
        yield env, observer, Credentials(tmp_path / "creds" / f"{MEMBER}.json"), tmp_path / "logs"
        observer.close()


def ready(port: int) -> tuple[int, dict]:
    answer = requests.get(f"http://127.0.0.1:{port}/readyz", timeout=30)
    return answer.status_code, answer.json()


def scrape(port: int) -> dict[tuple[str, tuple], float]:
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=30).text
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def test_readiness_fails_while_the_database_is_cut_off_and_recovers(scale):
    env, _observer, _creds, logs = scale
    url = sa.engine.make_url(env["HUB_DATABASE_URL"])
    proxy = TcpProxy(url.port or 5432)
    env = {**env, "HUB_DATABASE_URL": url.set(port=proxy.port).render_as_string(False)}
    port = int(env["HUB_PORT"])
    try:
        with running([start_api(env, logs, port)]):
            assert ready(port)[0] == 200
            proxy.cut()
            status, body = ready(port)
            assert status == 503
            assert body["verifications"]["base"]["ok"] is False
            assert body["verifications"]["courtier"]["ok"] is True
            assert requests.get(f"http://127.0.0.1:{port}/livez", timeout=10).status_code == 200
            proxy.restore()
            wait_until(lambda: ready(port)[0] == 200, 30, "readiness after the database is back")
    finally:
        proxy.close()


def test_readiness_fails_while_the_broker_is_down_and_recovers(scale, tmp_path):
    env, _observer, _creds, logs = scale
    own_redis = OwnRedis(tmp_path, logs)
    env = own_redis.settings(env)
    port = int(env["HUB_PORT"])
    broker = own_redis.start()
    with running([start_api(env, logs, port)]):
        wait_until(lambda: ready(port)[0] == 200, 30, "readiness with the broker up")
        broker.kill()
        status, body = ready(port)
        assert status == 503
        assert body["verifications"]["courtier"]["ok"] is False
        assert body["verifications"]["base"]["ok"] is True
        broker = own_redis.start("redis-again")
        with running([broker]):
            wait_until(lambda: ready(port)[0] == 200, 30, "readiness after the broker is back")


def test_metrics_move_as_fiches_flow_through_api_and_worker(scale):
    env, observer, creds, logs = scale
    port = int(env["HUB_PORT"])
    fiches = [make_fiche(fiche_id=f"M-{i}", porteur=other_porteur(i)) for i in range(40)]
    record_consents(observer, fiches)
    with running([start_api(env, logs, port)]):
        before = scrape(port)
        assert before[("capactif_fiche_versions_received_total", ())] == 0
        assert before[("capactif_processes_alive", (("kind", "worker"),))] == 0
        body = json.dumps({"fiches": fiches}).encode()
        answer = requests.post(f"http://127.0.0.1:{port}/v1/fiches", data=body,
                               headers=creds.headers("POST", "/v1/fiches", body), timeout=60)
        assert answer.status_code == 202
        unsigned = requests.post(f"http://127.0.0.1:{port}/v1/fiches", data=body, timeout=60)
        assert unsigned.status_code == 401
        queued = scrape(port)
        assert queued[("capactif_fiche_versions_received_total", ())] == 40
        assert queued[("capactif_outbox_pending", ())] >= 1
        with running([start_worker(env, logs)]):
            wait_until(lambda: scrape(port)[("capactif_outbox_pending", ())] == 0, 90, "the outbox drained")
            wait_until(lambda: scrape(port)[("capactif_processes_alive", (("kind", "worker"),))] >= 1,
                       30, "a worker heartbeat")
        after = scrape(port)
    route = (("method", "POST"), ("route", "/v1/fiches"))
    assert after[("capactif_http_answers_total", (*route[:1], route[1], ("status", "202")))] == 1
    assert after[("capactif_http_answers_total", (*route[:1], route[1], ("status", "401")))] == 1
    assert after[("capactif_outbox_lag_seconds", ())] == 0
    assert after[("capactif_store_up", ())] == 1


def test_the_audit_head_is_published_again_soon_after_a_database_outage(scale):
    env, observer, _creds, logs = scale
    url = sa.engine.make_url(env["HUB_DATABASE_URL"])
    proxy = TcpProxy(url.port or 5432)  # the worker reaches the database through it
    env = {**env, "HUB_DATABASE_URL": url.set(port=proxy.port).render_as_string(False),
           "HUB_AUDIT_HEAD_INTERVAL_S": "1", "HUB_LOG_LEVEL": "INFO"}
    try:
        worker = start_worker(env, logs)
        with running([worker]):
            wait_until(lambda: audit.latest_head(observer), 60, "a first signed head")
            proxy.cut()
            audit.record(observer, [audit.event(observer, "audit_export", "dpo")])
            size = observer.audit.size
            time.sleep(4)  # several heads due meanwhile
            proxy.restore()
            wait_until(lambda: audit.latest_head(observer)["size"] >= size, 60,
                       "a head over the event logged during the outage")
            assert worker.alive, worker.tail()
        text = worker.log_path.read_text(errors="replace")
    finally:
        proxy.close()
    heads = [line for line in text.splitlines() if "hub.publish_audit_head" in line]
    assert [line for line in heads if "Retry in" in line and "StoreUnavailable" in line]
    assert not [line for line in heads if "OperationalError" in line or "raised" in line]


def test_healthz_is_not_ok_while_the_database_or_the_broker_is_down(scale, tmp_path):
    env, _observer, _creds, logs = scale
    env, proxy = database_through_proxy(env)
    own_redis = OwnRedis(tmp_path, logs)
    env = own_redis.settings(env)
    port = int(env["HUB_PORT"])
    broker = own_redis.start()
    try:
        with running([start_api(env, logs, port)]):
            wait_until(lambda: health(port) == (200, "ok"), 30, "healthz with both up")
            proxy.cut()
            assert health(port) == (503, "not_ready")
            proxy.restore()
            wait_until(lambda: health(port) == (200, "ok"), 30, "healthz after the database")
            broker.kill()
            assert health(port) == (503, "not_ready")
            broker = own_redis.start("redis-again")
            with running([broker]):
                wait_until(lambda: health(port) == (200, "ok"), 30, "healthz after the broker")
    finally:
        proxy.close()
        broker.kill()


def health(port: int) -> tuple[int, str]:
    answer = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=30)
    body = answer.json()
    return answer.status_code, body.get("status") or body["error"]["code"]


def test_readiness_answers_within_seconds_when_the_database_stops_answering(scale):
    env, _observer, _creds, logs = scale
    env, proxy = database_through_proxy(env)
    port = int(env["HUB_PORT"])
    try:
        with running([start_api(env, logs, port)]):
            assert ready(port)[0] == 200
            proxy.freeze()  # connections stay open, nothing comes back: a hung server
            status, body = ready(port)  # before: no answer at all (the probe waited forever)
            assert status == 503 and body["verifications"]["base"]["ok"] is False
            assert health(port) == (503, "not_ready")
            proxy.restore()
            wait_until(lambda: ready(port)[0] == 200, 30, "readiness after the database answers")
    finally:
        proxy.close()
