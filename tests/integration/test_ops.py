"""Readiness checks and metrics access, in process on both databases."""

from __future__ import annotations

import pytest
from alembic import command
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.store.migrate import alembic_config

pytestmark = pytest.mark.integration
TOKEN = "s3cr3t-token-of-the-operator-0123456789"  # at least 32 characters (hub.config)


def _client(hub, host="127.0.0.1"):
    (hub.settings.broker_dir / "queue").mkdir(parents=True, exist_ok=True)
    return TestClient(create_app(hub=hub), base_url=f"http://{host}", client=(host, 50000))


def test_a_migrated_hub_with_its_keys_and_policy_is_ready(hub):
    with _client(hub) as client:
        answer = client.get("/readyz")
    assert answer.status_code == 200, answer.text
    assert all(check["ok"] for check in answer.json()["verifications"].values())


def test_a_database_behind_the_code_s_migrations_is_not_ready(hub):
    command.downgrade(alembic_config(hub.settings.database_url.reveal()), "-1")
    with _client(hub) as client:
        answer = client.get("/readyz")
    assert answer.status_code == 503
    assert "capactif init" in answer.json()["verifications"]["base"]["detail"]


def test_liveness_needs_nothing_but_the_process(hub):
    hub.engine.dispose()
    with _client(hub) as client:
        assert client.get("/livez").json() == {"statut": "vivant"}


def test_metrics_are_refused_to_a_remote_client_without_the_operators_token(hub):
    with _client(hub, host="10.0.0.7") as client:
        answer = client.get("/metrics")
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize("relayed", [
    {"X-Forwarded-For": "203.0.113.9"}, {"Forwarded": "for=203.0.113.9"},
    {"X-Real-IP": "203.0.113.9"}, {"X-Forwarded-Host": "hub.exemple.fr"},
    {"x-forwarded-for": ""}, {"True-Client-IP": "203.0.113.9"},
    {"X-Client-IP": "203.0.113.9"}, {"CF-Connecting-IP": "203.0.113.9"},
    {"Client-IP": "203.0.113.9"}, {"X-Cluster-Client-IP": "203.0.113.9"},
    {"Fastly-Client-IP": "203.0.113.9"}, {"X-Original-Forwarded-For": "203.0.113.9"},
    {"X-Azure-ClientIP": "203.0.113.9"}, {"X-Envoy-External-Address": "203.0.113.9"}])
def test_metrics_are_refused_to_a_request_a_local_proxy_relayed(hub, relayed):
    """Behind a reverse proxy on the same machine every client arrives from the loopback
    address: a request carrying a proxy's forwarding header came from elsewhere."""
    with _client(hub) as client:
        answer = client.get("/metrics", headers=relayed)
        direct = client.get("/metrics")
    assert answer.status_code == 403, answer.text
    assert answer.json()["error"]["code"] == "forbidden"
    assert direct.status_code == 200


def test_metrics_answer_the_operators_token_from_anywhere(hub):
    hub = hub.with_settings(metrics_token=type(hub.settings.metrics_token)(TOKEN))
    with _client(hub, host="10.0.0.7") as client:
        refused = client.get("/metrics", headers={"Authorization": "Bearer wrong"})
        answer = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert refused.status_code == 403
    assert answer.status_code == 200
    assert "capactif_outbox_pending 0.0" in answer.text
    assert TOKEN not in answer.text


def test_the_settings_never_print_the_metrics_token(hub):
    hub = hub.with_settings(metrics_token=type(hub.settings.metrics_token)(TOKEN))
    assert TOKEN not in repr(hub.settings)


def test_every_metric_the_alert_rules_use_is_exported(hub):
    import re
    from pathlib import Path

    rules = (Path(__file__).resolve().parents[2] / "deploy/prometheus/alerts.yml").read_text()
    used = set(re.findall(r"\b(capactif_[a-z_]+)", rules))
    with _client(hub) as client:
        client.get("/v1/feed")  # one HTTP answer, so the per-route families have a sample
        exported = client.get("/metrics").text
    declared = set(re.findall(r"^# TYPE (capactif_[a-z_]+) ", exported, re.M))
    missing = {name for name in used if not {name, name.removesuffix("_total")} & declared}
    assert used and not missing, missing
