"""The publisher's broker outages in the log of any process that builds a hub, whether
its command installed the outage log or not, and however many times it was installed: one
line when an outage starts, one when it ends, never a traceback per failed publish."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import pytest

from hub.bootstrap import Hub
from hub.config import Settings
from hub.errors import BrokerUnavailable
from hub.outages import PUBLISHER, quiet_outages
from hub.services.delivery.publisher import TaskPublisher

# Each test starts as a process whose command installed no outage log, and leaves none.
pytestmark = pytest.mark.usefixtures("fresh_outage_log")


class _Broker(TaskPublisher):
    up = False

    def send(self, task, args):
        if not self.up:
            raise BrokerUnavailable("injoignable", "unreachable") from ConnectionRefusedError(111)


def _closed_port() -> int:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        return free.getsockname()[1]


def test_an_outage_installed_twice_still_logs_its_end(caplog):
    quiet_outages()
    quiet_outages()  # the API's command, then its hub (or a test's second hub)
    broker = _Broker()
    with caplog.at_level(logging.INFO, logger=PUBLISHER):
        broker.publish_outbox_safely([1])
        broker.publish_outbox_safely([2])
        broker.up = True
        broker.publish_outbox_safely([3])
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 2, lines
    assert "broker unreachable" in lines[0] and "reachable again" in lines[1]


def test_a_hub_s_publisher_logs_an_outage_once_without_a_traceback(tmp_path: Path, caplog):
    """A real Celery publisher on a broker that refuses connections, in a process that
    built its hub without `capactif serve` (create_app under another server, a script)."""
    settings = Settings(data_dir=tmp_path / "var", database_url=f"sqlite:///{tmp_path}/hub.db",
                        broker_url=f"redis://127.0.0.1:{_closed_port()}/0")
    hub = Hub.from_settings(settings)
    try:
        with caplog.at_level(logging.INFO, logger=PUBLISHER):
            for outbox_id in range(3):
                assert not hub.publisher.publish_outbox_safely([outbox_id])
    finally:
        hub.close()
    shown = [record for record in caplog.records if record.levelno >= logging.INFO]
    assert len(shown) == 1, [record.getMessage() for record in shown]
    assert shown[0].exc_info is None and "broker unreachable" in shown[0].getMessage()
