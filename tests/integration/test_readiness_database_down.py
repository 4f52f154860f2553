"""Readiness with the database out of reach: only the database is said to fail. The key
check reads the key files (present, readable) and cannot compare them with the
database's key generations then: it says so and passes, so an operator is never sent
looking for a key problem that is a database outage."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts.members import load_network
from tests.conftest import _drop_pg_database, _fresh_pg_database
from tests.factories import make_network
from tests.fakes.publisher import RecordingPublisher
from tests.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.integration]


@pytest.fixture
def hub_behind_a_proxy(postgres_url, tmp_path) -> Iterator[tuple[Hub, TcpProxy]]:
    url = _fresh_pg_database(postgres_url)
    proxy = TcpProxy(sa.engine.make_url(url).port or 5432)
    settings = Settings(data_dir=tmp_path / "data", database_connect_timeout_s=2,
                        database_url=sa.engine.make_url(url).set(port=proxy.port)
                        .render_as_string(False))
    hub = Hub.from_settings(settings, publisher=RecordingPublisher())
    try:
        load_network(hub, make_network(tmp_path / "network.json", ["cci-puy-de-dome"]),
                     tmp_path / "creds")
        (settings.broker_dir / "queue").mkdir(parents=True, exist_ok=True)
        yield hub, proxy
    finally:
        proxy.close()
        hub.close()
        _drop_pg_database(url)


def test_a_database_out_of_reach_fails_the_database_check_alone(hub_behind_a_proxy):
    hub, proxy = hub_behind_a_proxy
    with TestClient(create_app(hub=hub), client=("127.0.0.1", 50000)) as client:
        assert client.get("/readyz").status_code == 200
        proxy.cut()  # every connection dropped and none accepted
        hub.engine.dispose()
        answer = client.get("/readyz")
    assert answer.status_code == 503, answer.text
    checks = answer.json()["verifications"]
    assert checks["base"]["ok"] is False
    assert checks["cles"]["ok"] is True, checks
    assert "base" in checks["cles"]["detail"]  # the generations could not be compared
    assert "cles" not in answer.json()["error"]["message_en"]
