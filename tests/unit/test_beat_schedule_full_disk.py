"""Beat's schedule file on a data directory that cannot take more bytes (a full disk, a
quota, a file-size limit): the write fails, beat keeps its schedule in memory and keeps
sending the periodic tasks (the outbox sweep, the webhook dispatch). Before, the failed
write ended the embedded beat process while the worker stayed up, so nothing was swept
or dispatched again until a restart."""

from __future__ import annotations

import contextlib
import resource
from collections.abc import Iterator

from celery import Celery

from hub.broker_consumer import ReportingScheduler


@contextlib.contextmanager
def no_room() -> Iterator[None]:
    """No file this process writes can grow (EFBIG, as ENOSPC on a full disk; CPython
    ignores SIGXFSZ), then room again."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))


def _scheduler(tmp_path) -> ReportingScheduler:
    app = Celery("beat-full-disk", broker="memory://", set_as_current=False)
    app.conf.beat_schedule = {"sweep": {"task": "hub.sweep_outbox", "schedule": 5.0}}
    return ReportingScheduler(app=app, schedule_filename=str(tmp_path / "celerybeat-schedule"))


def test_a_schedule_write_on_a_full_disk_is_kept_in_memory_and_written_once_there_is_room(
        tmp_path, caplog):
    scheduler = _scheduler(tmp_path)
    try:
        with no_room():
            ran = scheduler.schedule["sweep"] = next(scheduler.schedule["sweep"])
            scheduler._do_sync()  # what beat's loop does: it must not raise
            scheduler._do_sync()
        assert scheduler.schedule["sweep"].total_run_count == ran.total_run_count == 1
        assert "schedule not saved" in caplog.text and "File too large" not in caplog.text
        assert caplog.text.count("schedule not saved") == 1  # said once, not at each try
        scheduler._do_sync()  # room again: written
        assert "schedule saved again" in caplog.text
    finally:
        scheduler.close()
    reopened = _scheduler(tmp_path)
    try:
        assert reopened.schedule["sweep"].total_run_count == 1
    finally:
        reopened.close()


def test_beat_closed_on_a_full_disk_ends_cleanly(tmp_path, caplog):
    scheduler = _scheduler(tmp_path)
    scheduler.schedule["sweep"] = next(scheduler.schedule["sweep"])
    with no_room():
        scheduler.close()  # a worker stopped while its disk is full: no traceback
    assert "Store cleanup failed" not in caplog.text


def test_beat_started_on_a_full_disk_keeps_its_schedule_in_memory(tmp_path, caplog):
    _scheduler(tmp_path).close()  # its file from an earlier run
    with no_room():
        scheduler = _scheduler(tmp_path)  # a worker (and its beat) started on a full disk
    try:
        assert "schedule not saved" in caplog.text
        assert scheduler.schedule["sweep"].task == "hub.sweep_outbox"
    finally:
        scheduler.close()
