"""A broadcast message (kombu's fanout exchanges over Redis PUB/SUB, as Celery's remote
control uses) that the consumer cannot read is dropped and logged by its fault and size
only, as a task message is: kombu logged the first 4,096 characters of one that is not
JSON, which could hold anything, personal data included. A real Redis, the hub's
transport (hub.redis_broker), a consumer of the test's own exchange."""

from __future__ import annotations

import contextlib
import logging
import uuid

import pytest
import redis
from kombu import Connection, Exchange, Queue

from hub.redis_broker import use_for_redis_urls
from tests.conftest import REDIS_URL, service_missing

pytestmark = [pytest.mark.integration]

# What a stray publisher could send: text that is no message, holding personal data.
STRAY = "Mme Josiane Fayolle, 12 rue des Gentianes, 63210 Rochefort, 06 12 34 56 78"


@pytest.fixture
def broker() -> redis.Redis:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        service_missing("Redis", exc)
    use_for_redis_urls()
    return client


@pytest.mark.parametrize("stray", [STRAY, STRAY + " " + "x" * 5000, '{"properties": "' + STRAY + '"}'],
                         ids=["not JSON", "long, not JSON", "JSON, not a message"])
def test_an_unreadable_broadcast_message_is_logged_by_its_fault_and_size_only(
        broker, caplog, stray):
    name = f"test-broadcast-{uuid.uuid4().hex[:8]}"
    exchange = Exchange(name, type="fanout", durable=False)
    received: list[object] = []
    caplog.set_level(logging.DEBUG)
    with Connection(REDIS_URL) as connection:
        channel = connection.default_channel
        queue = Queue(f"{name}.queue", exchange, channel=channel, auto_delete=True)
        with connection.Consumer(queue, callbacks=[lambda body, m: received.append(body)],
                                 accept=["json"]):
            topic = channel._get_publish_topic(name, "")
            _published_once_heard(connection, broker, topic, stray.encode())
            connection.Producer(channel).publish({"after": "the stray"}, exchange=exchange)
            while not received:  # the stray first, then the good message
                connection.drain_events(timeout=10)
    assert received == [{"after": "the stray"}]
    assert "Fayolle" not in caplog.text and "Gentianes" not in caplog.text
    [line] = [r.getMessage() for r in caplog.records if "broadcast" in r.getMessage()]
    assert f"{len(stray.encode())} bytes" in line, line


def _published_once_heard(connection: Connection, broker: redis.Redis, topic: str,
                          data: bytes) -> None:
    """`data` published on `topic` once the consumer listens (PUB/SUB keeps nothing for
    a subscriber to come: a message published before is heard by nobody)."""
    for _ in range(200):
        if broker.publish(topic, data):
            return
        with contextlib.suppress(TimeoutError):
            connection.drain_events(timeout=0.1)  # the consumer subscribes as it drains
    pytest.fail(f"nobody subscribed to {topic!r}")
