"""The embedded broker and the worker's exit code, with real worker processes: a torn or
empty message file never kills the worker, and a worker that cannot work exits non-zero
(so a supervisor set to restart on failure restarts it)."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from capactif_demo.processes import Process, capactif_command, running, start_worker
from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts.members import load_network
from hub.services.ingest.processing import pipeline_status
from tests.factories import make_network
from tests.integration import embedded_hub
from tests.integration.embedded_hub import OWNER, push
from tests.integration.scale import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]
OPERATOR = ("127.0.0.1", 50000)  # a loopback client: the hub's operator (routes_ops)

embedded = embedded_hub.embedded  # the fixture


def test_torn_and_empty_message_files_are_set_aside_and_the_worker_goes_on(embedded, tmp_path):
    env, hub = embedded
    queue = hub.settings.broker_dir / "queue"
    (queue / "0_empty.capactif.msg").write_bytes(b"")  # left by a full disk
    (queue / "1_torn.capactif.msg").write_bytes(b'{"body": "eyJ')  # created, not yet written
    worker = start_worker(env, tmp_path / "logs")
    with running([worker]):
        push(hub, 0, 40)
        wait_until(lambda: pipeline_status(hub)["processed"] == 40 or not worker.alive, 90,
                   "40 processed fiches")
        (queue / "2_torn.capactif.msg").write_bytes(b"\x00\x00")  # while the worker runs
        push(hub, 40, 40)
        wait_until(lambda: pipeline_status(hub)["processed"] == 80 or not worker.alive, 90,
                   "80 processed fiches")
        assert worker.alive, worker.tail()
    assert pipeline_status(hub)["processed"] == 80
    assert sorted(p.name for p in (hub.settings.broker_dir / "torn").iterdir()) == [
        "0_empty.capactif.msg", "1_torn.capactif.msg", "2_torn.capactif.msg"]


def _envelope(headers: object, body: str = "e30=", **fields: object) -> bytes:
    """A kombu message envelope as the file-system transport stores it."""
    return json.dumps({
        "body": body, "content-type": "application/json", "content-encoding": "utf-8",
        "headers": headers, **fields, "properties": {
            "body_encoding": "base64", "delivery_tag": str(uuid.uuid4()),
            "delivery_info": {"exchange": "", "routing_key": "capactif"}}}).encode()


MALFORMED_MESSAGES = {
    "no_properties": b"{}",
    "body_only": b'{"body": "e30="}',
    "properties_null": b'{"body": "e30=", "properties": null}',
    "headers_not_an_object": _envelope(5),
    "task_name_a_list": _envelope({"task": ["hub.process_outbox"], "id": "1"}),
    "task_body_of_the_wrong_shape": _envelope({"task": "hub.process_outbox", "id": "2"}),
    "task_body_a_string": _envelope({"task": "hub.process_outbox", "id": "3"},
                                    body=base64.b64encode(b'"x"').decode()),
    "nested_past_the_parser_limit": b"[" * 100_000 + b"]" * 100_000,
}


def test_messages_of_the_wrong_shape_are_set_aside_and_the_worker_goes_on(embedded, tmp_path):
    """JSON objects that are not kombu messages, and kombu messages whose task body is not
    Celery's, reached the consumer and stopped the worker (KeyError, ValueError,
    RecursionError: "Unrecoverable error")."""
    env, hub = embedded
    queue = hub.settings.broker_dir / "queue"
    queue.mkdir(parents=True, exist_ok=True)
    for i, (name, content) in enumerate(MALFORMED_MESSAGES.items()):
        (queue / f"{i}_{name}.capactif.msg").write_bytes(content)
    worker = start_worker(env, tmp_path / "logs")
    with running([worker]):
        push(hub, 0, 20)
        wait_until(lambda: pipeline_status(hub)["processed"] == 20 or not worker.alive, 90,
                   "20 processed fiches")
        wait_until(lambda: not list(queue.glob("*.msg")) or not worker.alive, 30,
                   "every message read")
        assert worker.alive, worker.tail()
    assert pipeline_status(hub)["processed"] == 20


def test_an_unreadable_message_with_a_read_only_torn_folder_does_not_stop_the_worker(
        embedded, tmp_path):
    env, hub = embedded
    torn = hub.settings.broker_dir / "torn"
    torn.mkdir(parents=True, exist_ok=True)
    worker = start_worker(env, tmp_path / "logs")
    with running([worker]), read_only(torn):
        (hub.settings.broker_dir / "queue" / "0_empty.capactif.msg").write_bytes(b"")
        push(hub, 0, 10)
        wait_until(lambda: pipeline_status(hub)["processed"] == 10 or not worker.alive, 90,
                   "10 processed fiches")
        assert worker.alive, worker.tail()
    assert list(torn.iterdir()) == []
    assert (hub.settings.broker_dir / "reading" / "0_empty.capactif.msg").exists()


def test_a_message_left_half_written_by_a_killed_producer_is_set_aside_and_logged(
        embedded, tmp_path):
    """A producer killed mid-write leaves its message in `staging/`, never in the queue;
    the worker moves it to `torn/` once it is older than any write, and says so."""
    env, hub = embedded
    staging = hub.settings.broker_dir / "staging"
    staging.mkdir(parents=True, exist_ok=True)
    left = staging / f"1_{uuid.uuid4()}.capactif.msg"
    left.write_bytes(b'{"body": "eyJh')
    an_hour_ago = left.stat().st_mtime - 3600
    os.utime(left, (an_hour_ago, an_hour_ago))
    fresh = staging / f"2_{uuid.uuid4()}.capactif.msg"  # a write under way: left alone
    fresh.write_bytes(b'{"bo')
    worker = start_worker(env, tmp_path / "logs")
    torn = hub.settings.broker_dir / "torn"
    with running([worker]):
        push(hub, 0, 5)
        wait_until(lambda: (torn / left.name).exists() or not worker.alive, 60,
                   "the half-written message set aside")
        wait_until(lambda: pipeline_status(hub)["processed"] == 5 or not worker.alive, 90,
                   "5 processed fiches")
        assert worker.alive, worker.tail()
    assert fresh.exists() and not left.exists()
    assert f"staging/ for over a minute moved to {torn / left.name}" in worker.log_path.read_text()


def test_the_broker_folders_removed_while_the_worker_runs_are_made_again(embedded, tmp_path):
    """An operator clearing the broker's staging, reading and torn folders (they look
    like scratch space), or the queue folder itself (the outbox sweep publishes the work
    of its messages again), must not stop the worker nor leave later messages unsent."""
    env, hub = embedded
    worker = start_worker(env, tmp_path / "logs")
    with running([worker]):
        push(hub, 0, 20)
        wait_until(lambda: pipeline_status(hub)["processed"] == 20 or not worker.alive, 90,
                   "20 processed fiches")
        for folder in ("staging", "reading", "torn", "queue"):
            shutil.rmtree(hub.settings.broker_dir / folder, ignore_errors=True)
        push(hub, 20, 20)
        (hub.settings.broker_dir / "queue" / "3_torn.capactif.msg").write_bytes(b"")
        wait_until(lambda: pipeline_status(hub)["processed"] == 40 or not worker.alive, 90,
                   "40 processed fiches")
        # the torn file may be read after the last fiche's message: wait for it too
        torn = hub.settings.broker_dir / "torn"
        wait_until(lambda: (torn / "3_torn.capactif.msg").exists() or not worker.alive, 30,
                   "the torn message set aside")
        assert worker.alive, worker.tail()
    assert pipeline_status(hub)["processed"] == 40
    assert [p.name for p in torn.iterdir()] == ["3_torn.capactif.msg"]


def test_a_full_disk_while_publishing_leaves_no_partial_message_and_loses_no_fiche(
        embedded, tmp_path, monkeypatch):
    """The disk fills up under the API (simulated: each message write stops half-way with
    ENOSPC, in this process only): pushes are still accepted, no partial message reaches
    the queue, and once there is room the worker's outbox sweep publishes every one."""
    import errno

    from hub import embedded_broker

    def full_disk(path: Path, data: bytes) -> None:
        with open(path, "wb") as f:
            f.write(data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    env, hub = embedded
    monkeypatch.setattr(embedded_broker, "_write", full_disk)
    push(hub, 0, 30)
    broker = hub.settings.broker_dir
    assert list((broker / "queue").glob("*.msg")) == []
    assert list((broker / "staging").iterdir()) == []
    monkeypatch.undo()  # room again
    worker = start_worker(env, tmp_path / "logs")
    with running([worker]):
        wait_until(lambda: pipeline_status(hub)["processed"] == 30 or not worker.alive, 90,
                   "30 processed fiches")
        assert worker.alive, worker.tail()
    assert not (broker / "torn").exists() or list((broker / "torn").iterdir()) == []


def test_messages_are_written_whole_before_they_appear_in_the_queue(embedded):
    _env, hub = embedded
    push(hub, 0, 5)
    queued = list((hub.settings.broker_dir / "queue").glob("*.msg"))
    assert queued and all(p.stat().st_size > 100 for p in queued)
    assert list((hub.settings.broker_dir / "staging").iterdir()) == []


def test_a_worker_on_a_read_only_data_directory_exits_non_zero_saying_why(embedded):
    env, hub = embedded
    with read_only(hub.settings.data_dir):
        done = subprocess.run(capactif_command("worker"), env={**os.environ, **env},
                              capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "data_directory_read_only" in done.stderr and "Traceback" not in done.stderr


def working(hub: Hub, worker: Process) -> None:
    """Push 5 fiches and wait for the worker to have processed them."""
    push(hub, 0, 5)
    wait_until(lambda: pipeline_status(hub)["processed"] == 5 or not worker.alive, 90,
               "5 processed fiches")
    assert worker.alive, worker.tail()


def test_a_data_directory_turning_read_only_while_running_stops_the_worker_non_zero(
        embedded, tmp_path):
    env, hub = embedded
    env = {**env, "HUB_HEARTBEAT_INTERVAL_S": "1"}  # the worker checks its folders this often
    worker = start_worker(env, tmp_path / "logs")
    with running([worker]):
        working(hub, worker)
        with read_only(hub.settings.data_dir):
            wait_until(lambda: not worker.alive, 60, "the worker to stop")
        code = worker.popen.returncode
    assert code != 0, worker.tail()
    assert "data_directory_read_only" in worker.log_path.read_text(errors="replace")


def test_a_read_only_reading_folder_stops_the_worker_non_zero_instead_of_wedging_it(
        embedded, tmp_path):
    """Every message is taken by a rename into `broker/reading/`: if that folder refuses
    writes, no message can be taken and the worker would stay up doing nothing, saying
    nothing. It stops non-zero, naming the folder, as for a read-only data directory."""
    env, hub = embedded
    env = {**env, "HUB_HEARTBEAT_INTERVAL_S": "1"}
    worker = start_worker(env, tmp_path / "logs")
    with running([worker]):
        working(hub, worker)
        with read_only(hub.settings.broker_dir / "reading"):
            wait_until(lambda: not worker.alive, 60, "the worker to stop")
        code = worker.popen.returncode
    assert code != 0, worker.tail()
    assert "data_directory_read_only" in worker.log_path.read_text(errors="replace")


def _a_file_instead(folder: Path) -> bool:
    """Replace `folder` by an empty file; False when the running worker made the folder
    again between the two steps (its publisher and its write probe make it when missing)."""
    shutil.rmtree(folder, ignore_errors=True)
    try:
        folder.write_bytes(b"")
    except IsADirectoryError:
        return False
    return True


def test_a_fatal_error_while_consuming_ends_the_worker_with_a_non_zero_exit_code(embedded, tmp_path):
    env, hub = embedded
    queue = hub.settings.broker_dir / "queue"
    worker = start_worker(env, tmp_path / "logs")
    with running([worker]):
        working(hub, worker)
        # the queue folder is gone, a file in its place: the consumer cannot go on
        wait_until(lambda: _a_file_instead(queue), 30, "a file in the queue folder's place")
        wait_until(lambda: not worker.alive, 60, "the worker to stop")
        code = worker.popen.returncode
    assert code != 0, worker.tail()
    assert "Unrecoverable error" in worker.log_path.read_text(errors="replace")


def test_healthz_is_not_ok_on_a_read_only_data_directory(embedded):
    from fastapi.testclient import TestClient

    _env, hub = embedded
    client = TestClient(create_app(hub=hub))
    assert client.get("/healthz").status_code == 200
    with read_only(hub.settings.data_dir):
        answer = client.get("/healthz")
    assert answer.status_code == 503
    assert answer.json()["error"]["code"] == "data_directory_read_only"


def test_readiness_names_the_folder_that_refuses_writes(embedded):
    from fastapi.testclient import TestClient

    _env, hub = embedded
    client = TestClient(create_app(hub=hub), client=OPERATOR)  # the checks' details: operators'
    queue = hub.settings.broker_dir / "queue"
    queue.mkdir(parents=True, exist_ok=True)
    assert client.get("/readyz").status_code == 200
    with read_only(queue):
        ready, health = client.get("/readyz"), client.get("/healthz")
    check = ready.json()["verifications"]["repertoire_donnees"]
    assert ready.status_code == 503 and check["ok"] is False
    assert check["detail"].startswith("queue non inscriptible")
    assert health.json()["error"]["code"] == "data_directory_read_only"


def test_a_read_only_torn_folder_is_said_but_keeps_the_hub_in_service(embedded):
    """An unreadable message that `torn/` refuses stays in `reading/`, never read again,
    and the worker goes on storing and processing: readiness says so, with a count and no
    file name, but neither /readyz (the load balancer's probe) nor /healthz takes the hub
    out of service for a folder that only holds set-aside messages."""
    from fastapi.testclient import TestClient

    _env, hub = embedded
    client = TestClient(create_app(hub=hub), client=OPERATOR)  # the checks' details: operators'
    torn, reading = (hub.settings.broker_dir / name for name in ("torn", "reading"))
    for folder in (torn, reading):
        folder.mkdir(parents=True, exist_ok=True)
    (reading / "0_empty.capactif.msg").write_bytes(b"")
    with read_only(torn):
        ready, health = client.get("/readyz"), client.get("/healthz")
    check = ready.json()["verifications"]["repertoire_donnees"]
    assert ready.status_code == 200 and health.status_code == 200, health.text
    assert check["ok"] is True
    assert check["detail"].startswith("torn non inscriptible")
    assert "1 message(s) laissé(s) dans reading" in check["detail"]
    assert "0_empty" not in check["detail"]


def test_healthz_probes_the_data_directory_once_and_within_the_checks_deadline(
        embedded, monkeypatch):
    """A data directory that stops answering (a hung disk or network mount) makes
    /healthz say so within the checks' deadline. Before, it was probed twice: once
    outside the deadline (the answer waited for the disk), then again within it."""
    from fastapi.testclient import TestClient

    from hub.services.ops import health

    _env, hub = embedded
    probed: list[Path] = []
    disk_back = threading.Event()

    def probe(folder: Path) -> None:
        probed.append(folder)
        if len(probed) == 1:
            disk_back.wait(10)  # the first write hangs

    monkeypatch.setattr(health, "_probe", probe)
    try:
        answer = TestClient(create_app(hub=hub)).get("/healthz")
        seen = list(probed)
    finally:
        disk_back.set()
    assert answer.status_code == 503, answer.text
    assert answer.json()["error"]["code"] == "not_ready"
    assert "repertoire_donnees" in answer.json()["error"]["message_en"]
    assert seen == [hub.settings.data_dir]  # the queue folder's turn comes after it


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """Make `folder` refuse new files: immutable for root (chmod does not stop root),
    mode 0555 for anyone else."""
    as_root = os.geteuid() == 0
    if as_root:
        subprocess.run(["chattr", "+i", str(folder)], check=True)
    else:
        folder.chmod(0o555)
    try:
        yield
    finally:
        if as_root:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        else:
            folder.chmod(0o755)


def test_a_worker_stopped_by_its_systemd_unit_finishes_its_task_and_exits_zero(
        tmp_path, postgres_url):
    """Stopped the way the shipped unit has systemd stop it (KillMode: SIGTERM to the main
    process only with `mixed`, to every process of the unit with the default), mid-task."""
    from tests.integration.scale import scale_store

    unit = (Path(__file__).parents[2] / "deploy/systemd/capactif-worker@.service").read_text()
    kill_mode = dict(line.split("=", 1) for line in unit.splitlines()
                     if line.startswith("KillMode=")).get("KillMode", "control-group")
    with scale_store(postgres_url) as store:
        env = {**store, "HUB_DATA_DIR": str(tmp_path / "data"), "HUB_LOG_LEVEL": "INFO"}
        hub = Hub.from_settings(Settings.from_env(env))
        load_network(hub, make_network(tmp_path / "network.json", [OWNER.member_id]), tmp_path / "c")
        push(hub, 0, 1000)
        worker = start_worker(env, tmp_path / "logs", "stopped", beat=False)
        with running([worker]):
            wait_until(lambda: pipeline_status(hub)["processed"] > 0, 90, "the task under way")
            if kill_mode == "mixed":
                os.kill(worker.popen.pid, signal.SIGTERM)
            else:
                os.killpg(worker.popen.pid, signal.SIGTERM)
            worker.popen.wait(timeout=120)
        hub.close()
    log = worker.log_path.read_text(errors="replace")
    assert worker.popen.returncode == 0
    assert "WorkerLostError" not in log
    received = re.findall(r"Task hub\.process_outbox\[([-0-9a-f]+)\] received", log)
    succeeded = re.findall(r"Task hub\.process_outbox\[([-0-9a-f]+)\] succeeded in", log)
    # the task under way (the first received) finished; a task prefetched behind it and
    # not started goes back to the broker at the warm shutdown, so it may not succeed here
    assert received and received[0] in succeeded
