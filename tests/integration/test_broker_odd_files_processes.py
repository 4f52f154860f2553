"""Files that are not messages in the embedded broker's queue folder (a FIFO, symlinks,
a directory, a device-sized sparse file, binary bytes), with a real worker: each is set
aside in `torn/` saying why, none blocks or stops the worker, no symlink is followed out
of the folder, and every fiche pushed around them is processed."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from capactif_demo.processes import running, start_worker
from hub.embedded_broker import MAX_MESSAGE_BYTES
from hub.services.ingest.processing import pipeline_status
from tests.integration import embedded_hub
from tests.integration.embedded_hub import push
from tests.integration.scale import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]
embedded = embedded_hub.embedded  # the fixture


def lay_odd_files(queue: Path, outside: Path) -> dict[str, str]:
    """Odd files under message names in `queue`, and the reason each is set aside."""
    outside.mkdir()
    os.mkfifo(outside / "pipe")
    (outside / "message.json").write_bytes(b'{"body": "e30=", "properties": {}}')
    os.mkfifo(queue / "0_fifo.capactif.msg")
    (queue / "1_to_a_fifo.capactif.msg").symlink_to(outside / "pipe")
    (queue / "2_to_a_file.capactif.msg").symlink_to(outside / "message.json")
    (queue / "3_dangling.capactif.msg").symlink_to(outside / "nothing")
    (queue / "4_folder.capactif.msg").mkdir()
    (queue / "4_folder.capactif.msg" / "inside").write_bytes(b"{}")
    with open(queue / "5_huge.capactif.msg", "wb") as huge:  # sparse: takes no room
        huge.truncate(MAX_MESSAGE_BYTES * 4)
    (queue / "6_binary.capactif.msg").write_bytes(bytes(range(256)) * 64)
    return {"0_fifo": "NotAMessageFile", "1_to_a_fifo": "SymlinkRefused",
            "2_to_a_file": "SymlinkRefused", "3_dangling": "SymlinkRefused",
            "4_folder": "NotAMessageFile", "5_huge": "MessageTooLarge",
            "6_binary": "a message that is not UTF-8 text"}


def test_odd_files_in_the_queue_are_set_aside_and_never_block_the_worker(
        embedded, tmp_path):
    env, hub = embedded
    queue = hub.settings.broker_dir / "queue"
    reasons = lay_odd_files(queue, tmp_path / "outside")
    worker = start_worker(env, tmp_path / "logs")
    with running([worker]):
        push(hub, 0, 30)
        wait_until(lambda: pipeline_status(hub)["processed"] == 30 or not worker.alive, 120,
                   "30 processed fiches")
        torn = hub.settings.broker_dir / "torn"
        wait_until(lambda: len(list(torn.iterdir())) == len(reasons) or not worker.alive,
                   60, "every odd file set aside")
        assert worker.alive, worker.tail()
        push(hub, 30, 10)  # the worker still takes new work
        wait_until(lambda: pipeline_status(hub)["processed"] == 40 or not worker.alive, 120,
                   "40 processed fiches")
        assert worker.alive, worker.tail()
    log = worker.log_path.read_text(errors="replace")
    assert sorted(p.name for p in torn.iterdir()) == sorted(f"{n}.capactif.msg" for n in reasons)
    for name, reason in reasons.items():
        assert re.search(rf"{name}\.capactif\.msg \({reason}\)", log), (name, log[-3000:])
    outside = tmp_path / "outside"  # nothing outside the folder was moved or read
    assert sorted(p.name for p in outside.iterdir()) == ["message.json", "pipe"]
    assert (torn / "2_to_a_file.capactif.msg").is_symlink()
    assert list(queue.iterdir()) == [] and list((hub.settings.broker_dir / "reading").iterdir()) == []
