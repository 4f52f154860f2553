"""Rate limits: a burst over the limit gets 429 with Retry-After in the error envelope,
then recovers; at scale two API processes count against one window kept in Redis."""

from __future__ import annotations

import time

import pytest
import requests
from fastapi.testclient import TestClient

from capactif_demo.processes import free_port, running, start_api
from hub.api.app import create_app
from tests.integration.scale import wait_until
from tests.integration.test_ops_processes import MEMBER, scale  # noqa: F401  (fixture)

pytestmark = pytest.mark.integration


def _feed(client, creds):
    return client.get("/v1/feed", headers=creds.headers("GET", "/v1/feed"))


def test_a_member_over_its_read_limit_gets_429_then_recovers(hub, credentials):
    hub = hub.with_settings(rate_limit_read="5 per 2 seconds")
    creds = next(iter(credentials.values()))
    with TestClient(create_app(hub=hub)) as client:
        statuses = [_feed(client, creds).status_code for _ in range(7)]
        refused = _feed(client, creds)
        assert statuses[:5] == [200] * 5
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(refused.headers["Retry-After"]) <= 2
        time.sleep(int(refused.headers["Retry-After"]) + 0.2)
        assert _feed(client, creds).status_code == 200


def test_one_member_over_its_limit_does_not_limit_another(hub, credentials):
    hub = hub.with_settings(rate_limit_read="3 per 10 seconds")
    first, second = list(credentials.values())[:2]
    with TestClient(create_app(hub=hub)) as client:
        for _ in range(4):
            _feed(client, first)
        assert _feed(client, first).status_code == 429
        assert _feed(client, second).status_code == 200


def test_an_address_flooding_unsigned_requests_is_stopped_before_authentication(hub):
    hub = hub.with_settings(rate_limit_per_source="4 per 10 seconds")
    with TestClient(create_app(hub=hub)) as client:
        statuses = [client.get("/v1/feed").status_code for _ in range(6)]
    assert statuses[:4] == [401] * 4
    assert statuses[4:] == [429, 429]


@pytest.mark.slow
def test_two_api_processes_share_one_window_in_redis(scale):  # noqa: F811
    env, _observer, creds, logs = scale
    env = {**env, "HUB_RATE_LIMIT_READ": "6 per 4 seconds"}
    ports = [free_port(), free_port()]
    with running([start_api(env, logs / f"api-{port}", port) for port in ports]):
        def read(port: int) -> requests.Response:
            return requests.get(f"http://127.0.0.1:{port}/v1/feed", timeout=30,
                                headers=creds.headers("GET", "/v1/feed"))

        statuses = [read(ports[i % 2]).status_code for i in range(8)]
        assert statuses[:6] == [200] * 6, statuses
        assert statuses[6:] == [429, 429]
        wait_until(lambda: read(ports[0]).status_code == 200, 10, "the window to pass")
