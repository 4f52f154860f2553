"""A push whose transaction meets a PostgreSQL server that stops answering (stopped with
SIGSTOP, hung, a network that drops packets: `TcpProxy.freeze()`) gets its 503 once the
silence probe found the server silent (`HUB_DATABASE_SILENCE_PROBE_S` + the connect
timeout, about 10 s by default), not a connect timeout later. Before, the push's nonce
was then written alone on a new connection, which waited the whole connect timeout on
the silent server (and failed): measured with the server stopped mid-push, 15.2 s from
the stop to the 503, where docs/deploy.md says about 10 s. Here each wait on the silent
server is a connection the proxy accepted: the probe's, and no other."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts.auth import PendingNonce
from hub.services.accounts.members import load_network
from tests.conftest import _drop_pg_database, _fresh_pg_database
from tests.factories import Credentials, make_network, record_consents
from tests.fakes.publisher import RecordingPublisher
from tests.integration.http_pushes import fiches
from tests.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.integration]

MEMBER = "cci-puy-de-dome"


@pytest.fixture
def through_proxy(postgres_url, tmp_path) -> Iterator[tuple[Hub, TcpProxy, Credentials]]:
    """A hub on a database of the test's own reached through a proxy the test freezes,
    with short deadlines (a probe after 1 s of silence, 2 s to connect)."""
    url = _fresh_pg_database(postgres_url)
    proxy = TcpProxy(sa.engine.make_url(url).port or 5432)
    settings = Settings(data_dir=tmp_path / "data", database_connect_timeout_s=2,
                        database_silence_probe_s=1, database_statement_timeout_s=60,
                        database_url=sa.engine.make_url(url).set(port=proxy.port)
                        .render_as_string(False))
    hub = Hub.from_settings(settings, publisher=RecordingPublisher())
    try:
        load_network(hub, make_network(tmp_path / "network.json", [MEMBER]), tmp_path / "creds")
        yield hub, proxy, Credentials(tmp_path / "creds" / f"{MEMBER}.json")
    finally:
        proxy.close()
        hub.close()
        _drop_pg_database(url)


def test_a_push_stopped_mid_transaction_by_a_silent_database_waits_for_no_other_connection(
        through_proxy, monkeypatch):
    hub, proxy, creds = through_proxy
    batch = fiches("S", 3)
    record_consents(hub, batch)
    accepted: list[int] = []
    remember = PendingNonce.remember_within

    def server_stops_answering(nonce: PendingNonce, uow) -> None:  # the push's first statement
        proxy.freeze()
        accepted.append(proxy.accepted)
        remember(nonce, uow)

    monkeypatch.setattr(PendingNonce, "remember_within", server_stops_answering)
    body = json.dumps({"fiches": batch}).encode()
    with TestClient(create_app(hub=hub)) as client:
        try:
            answer = client.post("/v1/fiches", content=body,
                                 headers=creds.headers("POST", "/v1/fiches", body))
            waited_on = proxy.accepted - accepted[0]
        finally:
            proxy.restore()
    assert answer.status_code == 503, answer.text
    assert answer.json()["error"]["code"] == "store_timeout"
    assert waited_on == 1  # the probe's connection; before, the nonce's too
