"""A full disk under an embedded worker: one clear line for each part of it, naming the
cause, then quiet until there is room again.

Before, each task queued when the data directory filled up failed on the store, asked
Celery for a retry, and Celery could not write the retry's message to the embedded
broker's folder on the same disk: "reject requeue=False" with some ninety lines of
chained traceback, for every queued message (about 2,400 lines in 30 s with twenty
pushes waiting); the beat's sends failing the same way were logged as "broker
unreachable (OSError)", blaming the broker for a full disk; each heartbeat that failed
(two processes, every interval) said so again. The ENOSPC is injected where the file is
written."""

from __future__ import annotations

import errno
import logging
from pathlib import Path
from typing import Any

import pytest
from celery.exceptions import Ignore
from kombu.exceptions import ChannelError

from hub import tasks
from hub.config import Settings
from hub.embedded_broker import Channel
from hub.errors import StoreFull, StoreUnavailable
from hub.outages import BEAT, OutageLog
from hub.services.ops.heartbeat import Heartbeat

STAGING = "/srv/capactif/var/broker/staging"


def _no_space() -> OSError:
    return OSError(errno.ENOSPC, "No space left on device", f"{STAGING}/1_x.capactif.msg")


def _full(_hub: object, *_args: object) -> int:
    raise StoreFull("Disque plein.", "Disk full.")


@pytest.mark.parametrize(("task", "service"), [(tasks.process_outbox, "process_outbox"),
                                               (tasks.sweep_outbox, "sweep_outbox")])
def test_a_full_store_ends_the_task_at_once_without_a_retry_through_the_broker(
        monkeypatch, caplog, task, service):
    """No retry message (the embedded broker's queue is on the same disk): the outbox keeps
    the work, and the sweep publishes it again once there is room."""
    calls: list[int] = []

    def full(*args: object) -> int:
        calls.append(1)
        return _full(*args)

    monkeypatch.setattr(tasks, "_hub", lambda: None)
    monkeypatch.setattr(tasks.processing, service, full)
    args = [[1, 2]] if task is tasks.process_outbox else []
    with caplog.at_level(logging.DEBUG):
        result = task.apply(args=args, throw=False)
    assert (result.state, len(calls)) == ("IGNORED", 1)
    assert [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info] == []


class _Unqueued:
    """A retry's signature whose message the broker cannot write (its disk is full)."""

    def apply_async(self, *_args: Any, **_kwargs: Any) -> None:
        try:
            raise _no_space()
        except OSError as exc:
            raise ChannelError(f"Cannot add a message to queue 'capactif': {exc}") from exc


def test_a_retry_the_broker_cannot_queue_ends_the_task_with_one_line_naming_the_full_disk(
        monkeypatch, caplog):
    task = tasks.process_outbox
    monkeypatch.setattr(task, "signature_from_request", lambda *_a, **_k: _Unqueued())
    monkeypatch.setattr(tasks, "_retry_refused_said_at", None, raising=False)
    task.push_request(id="t-1", args=[[1]], kwargs={}, retries=0, is_eager=False,
                      called_directly=False, delivery_info={})
    try:
        with caplog.at_level(logging.DEBUG):
            for _ in range(3):  # three queued tasks meeting the same full disk
                with pytest.raises(Ignore):
                    task.retry(exc=StoreUnavailable("Base occupée.", "Database busy."))
    finally:
        task.pop_request()
    lines = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(lines) == 1 and lines[0].exc_info is None, [r.getMessage() for r in lines]
    said = lines[0].getMessage()
    assert "disk full" in said and STAGING in said and "free some space" in said, said


def _beat_failed() -> logging.LogRecord:
    """The beat's line when the embedded broker cannot write a periodic task's message."""
    try:
        try:
            raise _no_space()
        except OSError as exc:
            raise ChannelError("Cannot add a message to queue 'capactif'") from exc
    except ChannelError as failed:
        exc_info = (type(failed), failed, failed.__traceback__)
    return logging.LogRecord(BEAT, logging.ERROR, __file__, 1, "Message Error: %s\n%s",
                             ("Couldn't apply scheduled task", "stack"), exc_info)


def test_the_beat_says_the_disk_is_full_and_where_not_that_the_broker_is_unreachable(caplog):
    now = [0.0]
    outages = OutageLog(lambda: now[0])
    logging.getLogger(BEAT).setLevel(logging.INFO)
    try:
        shown = []
        for second in range(0, 35):
            now[0] = float(second)
            line = _beat_failed()
            if outages.filter(line):
                shown.append((second, line.levelname, line.getMessage(), line.exc_info))
        now[0] = 40.0
        with caplog.at_level(logging.INFO, logger=BEAT):
            outages.reached(BEAT)
    finally:
        logging.getLogger(BEAT).setLevel(logging.NOTSET)
    assert [(s, level) for s, level, _m, _e in shown] == [(0, "ERROR"), (30, "WARNING")]
    first, reminder = shown[0][2], shown[1][2]
    assert "unreachable" not in first and "injoignable" not in first
    assert "disk full" in first and STAGING in first and "free some space" in first, first
    assert shown[0][3] is None  # no traceback
    assert "disk still full after 30 s" in reminder, reminder
    [ended] = caplog.records
    assert "room again" in ended.getMessage() and STAGING in ended.getMessage()


def test_the_embedded_broker_s_refused_write_names_its_folder_for_the_log(tmp_path, monkeypatch):
    """A write refused on a full disk names no file (the file was opened): the error the
    beat logs names where the message was written (its folder, for the line above)."""
    def no_space(_path, _data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("hub.embedded_broker._write", no_space)
    channel = Channel.__new__(Channel)
    channel.__dict__.update(data_folder_out=str(tmp_path / "queue"),
                            data_folder_in=str(tmp_path / "queue"))
    with pytest.raises(ChannelError) as refused:
        channel._put("capactif", {"body": "{}"})
    cause = refused.value.__cause__
    assert isinstance(cause, OSError) and cause.errno == errno.ENOSPC
    assert Path(cause.filename).parent == tmp_path / "staging"


def test_a_heartbeat_failing_beat_after_beat_says_so_once_then_once_when_it_beats_again(
        tmp_path, monkeypatch, caplog):
    heartbeat = Heartbeat(Settings(data_dir=tmp_path / "data"), "worker")
    outcomes = iter([_full, _full, _full, None, None])

    def beat_once() -> None:
        failing = next(outcomes)
        if failing is not None:
            failing(None)

    monkeypatch.setattr(heartbeat, "beat_once", beat_once)
    with caplog.at_level(logging.DEBUG, logger="hub.services.ops.heartbeat"):
        for _ in range(5):
            heartbeat.beat_and_say()
    said = [(r.levelname, r.getMessage()) for r in caplog.records if r.levelno >= logging.INFO]
    assert [level for level, _ in said] == ["WARNING", "WARNING"], said
    assert "heartbeat failed (StoreFull)" in said[0][1]
    assert "heartbeat again after 3 failed tries" in said[1][1]
