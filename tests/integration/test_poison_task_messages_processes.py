"""A task message whose headers are not what Celery's worker reads (a `timelimit` of "x",
an `expires` of {}, ...) stopped every worker it was handed to ("Unrecoverable error"),
and, never acknowledged, was handed to the next one: an endless crash loop under a
supervisor. With real worker processes on both brokers: among good messages, each such
message is set aside and logged once, the good ones are processed, the worker stays up."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from capactif_demo.processes import running, start_worker
from hub.services.ingest.processing import pipeline_status
from tests.integration import embedded_hub
from tests.integration.embedded_hub import push
from tests.integration.scale import wait_until
from tests.integration.test_pipeline_processes import (
    batches,
    scale,  # noqa: F401  (the fixture)
)
from tests.integration.test_pipeline_processes import push as push_http

pytestmark = [pytest.mark.integration, pytest.mark.slow]

embedded = embedded_hub.embedded  # the fixture

# The first three stopped every worker (ValueError, TypeError, AttributeError in Celery's
# request builder); the others are values of a type Celery does not expect either.
POISON_HEADERS: list[dict[str, object]] = [
    {"timelimit": "x"}, {"timelimit": 5}, {"expires": {}}, {"timelimit": ["a", "b"]},
    {"timelimit": [None]}, {"timelimit": {}}, {"eta": [1]}, {"expires": ""},
    {"retries": None}, {"argsrepr": 5}, {"root_id": [1]}, {"parent_id": {}},
    {"shadow": 5}, {"group_index": "x"}, {"stamps": "x"}, {"ignore_result": "x"},
]


def poisoned(template: dict, headers: dict[str, object]) -> tuple[str, dict]:
    """A copy of the real task message `template` with its own id and these headers."""
    message = json.loads(json.dumps(template))
    task_id = str(uuid.uuid4())
    message["headers"].update({"id": task_id, "root_id": task_id, **headers})
    message["properties"].update({"correlation_id": task_id, "delivery_tag": str(uuid.uuid4())})
    return task_id, message


def set_aside_lines(log: Path, marker: str) -> list[str]:
    return [line for line in log.read_text(errors="replace").splitlines() if marker in line]


def test_poison_headers_on_the_embedded_broker_are_set_aside_and_the_worker_goes_on(
        embedded, tmp_path):
    env, hub = embedded
    queue = hub.settings.broker_dir / "queue"
    push(hub, 0, 10)
    template = json.loads(sorted(queue.glob("*.msg"))[0].read_text())
    names = []
    for i, headers in enumerate(POISON_HEADERS):
        _id, message = poisoned(template, headers)
        names.append(f"{i:02d}_{uuid.uuid4()}.capactif.msg")  # before the good ones
        (queue / names[-1]).write_text(json.dumps(message))
    workers = [start_worker(env, tmp_path / "logs"),
               start_worker(env, tmp_path / "logs", name="worker-2", beat=False)]
    torn = hub.settings.broker_dir / "torn"
    with running(workers):
        push(hub, 10, 10)
        wait_until(lambda: pipeline_status(hub)["processed"] == 20
                   or not all(w.alive for w in workers), 120, "20 processed fiches")
        wait_until(lambda: len(list(torn.glob("*.msg"))) >= len(names)
                   or not all(w.alive for w in workers), 60, "every poison message set aside")
        assert all(w.alive for w in workers), [w.tail() for w in workers]
    assert pipeline_status(hub)["processed"] == 20
    assert sorted(p.name for p in torn.iterdir()) == names
    logs = [w.log_path for w in workers]
    for name, headers in zip(names, POISON_HEADERS, strict=True):
        lines = [line for log in logs for line in set_aside_lines(log, name)]
        assert len(lines) == 1, (name, lines)
        assert f"the {next(iter(headers))} header" in lines[0]
    assert not any("Unrecoverable error" in log.read_text(errors="replace") for log in logs)


def test_poison_headers_on_redis_are_set_aside_logged_once_and_the_worker_goes_on(scale):  # noqa: F811
    import redis

    from capactif_demo.processes import start_api
    from hub.redis_broker import unreadable_key

    env, observer, creds, logs = scale
    port = int(env["HUB_PORT"])
    client = redis.Redis.from_url(env["HUB_BROKER_URL"])
    queue = env["HUB_QUEUE_NAME"]
    with running([start_api(env, logs, port)]):
        first, second = batches(2, 10)
        assert push_http(observer, port, creds, first)["accepted"] == 10
        wait_until(lambda: client.llen(queue) > 0, 30, "a task message in the queue")
        template = json.loads(client.lindex(queue, 0))
        ids = []
        for headers in POISON_HEADERS:
            task_id, message = poisoned(template, headers)
            ids.append(task_id)
            client.rpush(queue, json.dumps(message))  # the end kombu takes from: before the good ones
        worker = start_worker(env, logs)
        with running([worker]):
            assert push_http(observer, port, creds, second)["accepted"] == 10
            wait_until(lambda: pipeline_status(observer)["processed"] == 20
                       or not worker.alive, 120, "20 processed fiches")
            wait_until(lambda: client.llen(unreadable_key(queue)) == len(ids)
                       or not worker.alive, 60, "every poison message set aside")
            assert worker.alive, worker.tail()
    assert pipeline_status(observer)["processed"] == 20
    kept = client.lrange(unreadable_key(queue), 0, -1)  # the transport sets them aside
    for task_id in ids:
        assert len([m for m in kept if task_id.encode() in m]) == 1, task_id
    lines = set_aside_lines(worker.log_path, "set aside in the Redis list")
    assert len(lines) == len(ids), lines
    for headers in POISON_HEADERS:
        assert any(f"the {next(iter(headers))} header" in line for line in lines), headers
    # Nothing poisoned left to take: what a stopping worker puts back is the beat's own
    # scheduled tasks (the outbox sweep, the webhook dispatch), never a message set aside.
    left = client.lrange(queue, 0, -1)
    assert not [task_id for task_id in ids if any(task_id.encode() in m for m in left)], left
    assert "Unrecoverable error" not in worker.log_path.read_text(errors="replace")
