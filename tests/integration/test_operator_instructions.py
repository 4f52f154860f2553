"""What the hub answers a partner or a monitor when it cannot serve says what happened
and when to try again, never what the operator should run: a `capactif` command, a
folder or a setting tell an outsider about the deployment, and a partner cannot act on
them. The operator reads them in the hub's log, in the `capactif` commands' output and in
the details of `/readyz` and `/healthz`, which only the operators are shown (the rule of
`/metrics`: `HUB_METRICS_TOKEN`, or a loopback client no proxy relayed). On both stores
where the store matters; the damaged file is SQLite's."""

from __future__ import annotations

import json
import logging

import pytest
from alembic import command
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts.members import load_network
from hub.services.ops.admin import initialise
from hub.store.migrate import alembic_config
from tests.factories import Credentials, make_network
from tests.integration.conftest import MEMBERS
from tests.integration.test_damaged_database import damage
from tests.integration.test_healthz_scheduler import _beats

pytestmark = pytest.mark.integration

REMOTE = ("10.0.0.7", 50000)
OPERATOR = ("127.0.0.1", 50000)
RELAYED = {"X-Forwarded-For": "203.0.113.9"}


def _client(app, client) -> TestClient:
    return TestClient(app, client=client, raise_server_exceptions=False)


def _asked(hub, path: str, client, headers=None):
    (hub.settings.broker_dir / "queue").mkdir(parents=True, exist_ok=True)
    with _client(create_app(hub=hub), client) as http:
        return http.get(path, headers=headers or {})


def test_a_monitor_is_told_the_scheduler_stopped_and_the_operator_what_to_run(hub):
    _beats(hub, ("worker", 0))
    outside, relayed = _asked(hub, "/healthz", REMOTE), _asked(hub, "/healthz", OPERATOR, RELAYED)
    operator = _asked(hub, "/healthz", OPERATOR)
    for answer in (outside, relayed, operator):
        assert answer.status_code == 503, answer.text
        assert answer.json()["error"]["code"] == "scheduler_stopped"
    assert "capactif" not in outside.text and "capactif" not in relayed.text
    assert "capactif worker" in operator.json()["error"]["message_en"]


def test_readiness_details_are_the_operators_alone(hub):
    command.downgrade(alembic_config(hub.settings.database_url.reveal()), "-1")
    outside, relayed = _asked(hub, "/readyz", REMOTE), _asked(hub, "/readyz", OPERATOR, RELAYED)
    operator = _asked(hub, "/readyz", OPERATOR)
    for answer in (outside, relayed, operator):
        assert answer.status_code == 503, answer.text
        assert answer.json()["verifications"]["base"]["ok"] is False
    assert "detail" not in outside.json()["verifications"]["base"]
    assert "capactif" not in outside.text and "capactif" not in relayed.text
    assert "capactif init" in operator.json()["verifications"]["base"]["detail"]


def test_readiness_details_answer_the_operators_token_from_anywhere(hub):
    command.downgrade(alembic_config(hub.settings.database_url.reveal()), "-1")
    token = type(hub.settings.metrics_token)("s3cr3t-token-of-the-operator-0123456789")
    answer = _asked(hub.with_settings(metrics_token=token), "/readyz", REMOTE,
                    {"Authorization": "Bearer s3cr3t-token-of-the-operator-0123456789"})
    assert "capactif init" in answer.json()["verifications"]["base"]["detail"]


def test_a_partner_is_told_a_damaged_database_without_the_operator_s_command(
        tmp_path, caplog):
    settings = Settings(data_dir=tmp_path / "data")
    initialise(settings)
    hub = Hub.from_settings(settings)
    load_network(hub, make_network(tmp_path / "network.json", MEMBERS), tmp_path / "keys")
    member = Credentials(tmp_path / "keys" / f"{MEMBERS[0]}.json")
    client = _client(create_app(hub=hub), REMOTE)  # no lifespan: its end writes to the file
    damage(settings)
    hub.engine.dispose()
    with caplog.at_level(logging.WARNING):
        answer = client.get("/v1/notices", headers=member.rfc9421_headers("GET", "/v1/notices"))
    hub.close()
    assert answer.status_code == 503, answer.text
    error = answer.json()["error"]
    assert error["code"] == "database_unreadable"
    assert "capactif" not in answer.text and str(tmp_path) not in answer.text
    assert error["message_fr"] and error["message_en"]
    assert any("capactif restore" in record.getMessage() for record in caplog.records)


def test_an_erasure_left_unfinished_tells_the_partner_what_is_left_not_what_to_run():
    """`reste`, answered to the member (and shown at the console) when the old keys could
    not be destroyed after the commit: what is left and what will do it, no command."""
    from hub.services.privacy import erasure_retries

    told = erasure_retries.told({"effacement": "eff_1"}, old_keys_left=True)
    assert told["termine"] is False and told["reste"]["message_en"]
    assert "capactif" not in json.dumps(told)
