"""A message on the Redis queue that kombu's transport cannot read (not JSON, not an
object, a body that is not base64 or not the JSON it declares, compressed garbage, ...)
stopped the worker ("Unrecoverable error" from kombu's `_brpop_read`), and every message
after it waited for a restart. With a real worker on real Redis and PostgreSQL, for each
kind: the message is set aside in `<queue>.unreadable` with one log line naming the fault,
the fiches pushed with it are processed, the worker stays up."""

from __future__ import annotations

import base64
import json

import pytest

from capactif_demo.processes import running, start_api, start_worker
from hub.redis_broker import unreadable_key
from hub.services.ingest.processing import pipeline_status
from tests.integration.scale import wait_until
from tests.integration.test_pipeline_processes import (
    batches,
    push,
    scale,  # noqa: F401  (the fixture)
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _message(**changes: object) -> bytes:
    """A message of kombu's Redis shape carrying an empty task body, with `changes`."""
    message: dict[str, object] = {
        "body": _b64(b"[[], {}, {}]"), "content-encoding": "utf-8",
        "content-type": "application/json", "headers": {},
        "properties": {"delivery_tag": "poison", "body_encoding": "base64",
                       "delivery_info": {"exchange": "", "routing_key": "capactif"}}}
    for key, value in changes.items():
        if key.startswith("properties."):
            message["properties"][key.partition(".")[2]] = value  # type: ignore[index]
        else:
            message[key] = value
    return json.dumps(message).encode()


# (kind, raw message, the fault its log line names)
UNREADABLE: list[tuple[str, bytes, str]] = [
    ("not_json", b"not json at all", "not JSON"),
    ("not_utf8", b"\xff\xfe{", "not UTF-8"),
    ("not_an_object", b"[1, 2]", "a JSON object"),
    ("no_properties", json.dumps({"body": ""}).encode(), "delivery tag"),
    ("properties_a_string", _message(properties="x"), "delivery tag"),
    ("headers_a_list", _message(headers=[1]), "headers are an object"),
    ("body_a_number", _message(body=5), "body is a string"),
    ("content_encoding_a_number", _message(**{"content-encoding": 5}), "content encoding"),
    ("delivery_info_a_list", _message(**{"properties.delivery_info": [1]}), "delivery information"),
    ("body_encoding_a_list", _message(**{"properties.body_encoding": [1]}), "body encoding"),
    ("bad_base64", _message(body="!!!notbase64"), "cannot be decoded"),
    ("body_not_json", _message(body=_b64(b"not json")), "not the JSON"),
    ("body_not_utf8", _message(body=_b64(b"\xff\xfe")), "not the JSON"),
    ("compressed_garbage", _message(headers={"compression": "application/x-gzip"},
                                    body=_b64(b"garbage, not gzip")), "cannot be decoded"),
    ("unknown_compression", _message(headers={"compression": "x-nothing"}), "cannot be decoded"),
    ("pickled", _message(**{"content-type": "application/x-python-serialize"}), "content type"),
]


@pytest.mark.parametrize(("kind", "raw", "fault"), UNREADABLE, ids=[k for k, _, _ in UNREADABLE])
def test_an_unreadable_message_on_redis_is_set_aside_and_the_worker_goes_on(
        scale, kind, raw, fault):  # noqa: F811
    import redis

    env, observer, creds, logs = scale
    port = int(env["HUB_PORT"])
    client = redis.Redis.from_url(env["HUB_BROKER_URL"])
    queue = env["HUB_QUEUE_NAME"]
    with running([start_api(env, logs, port)]):
        assert push(observer, port, creds, batches(1, 5)[0])["accepted"] == 5
        wait_until(lambda: client.llen(queue) > 0, 30, "a task message in the queue")
        client.rpush(queue, raw)  # the end kombu takes from: before the good ones
        worker = start_worker(env, logs)
        with running([worker]):
            wait_until(lambda: pipeline_status(observer)["processed"] == 5
                       or not worker.alive, 120, "5 processed fiches")
            assert worker.alive, worker.tail()
    assert pipeline_status(observer)["processed"] == 5
    assert client.lrange(unreadable_key(queue), 0, -1) == [raw]
    log = worker.log_path.read_text(errors="replace")
    lines = [line for line in log.splitlines() if "unreadable message" in line]
    assert len(lines) == 1, lines
    assert fault in lines[0] and unreadable_key(queue) in lines[0]
    assert "Unrecoverable error" not in log
