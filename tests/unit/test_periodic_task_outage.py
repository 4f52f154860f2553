"""A database outage that outlasts a periodic task's retries ended `hub.sweep_outbox`
with Celery's "raised unexpected: StoreUnavailable" at ERROR and three chained
tracebacks: it now ends the run with one warning line, and the task is not marked
failed (its next scheduled run takes the work up). Celery's own retry path, run eagerly
at the last try."""

from __future__ import annotations

import logging

import pytest

from hub import tasks
from hub.errors import BrokerUnavailable, StoreUnavailable


def _outage(error: type[Exception]):
    def unavailable(_hub: object) -> int:
        try:
            raise OSError("connection refused")
        except OSError as cause:
            raise error("Base indisponible.", "Database unavailable.") from cause
    return unavailable


@pytest.mark.parametrize("error", [StoreUnavailable, BrokerUnavailable])
def test_an_outage_past_the_last_retry_of_a_periodic_task_logs_one_clean_line(
        monkeypatch, caplog, error):
    monkeypatch.setattr(tasks, "_hub", lambda: None)
    monkeypatch.setattr(tasks.processing, "sweep_outbox", _outage(error))
    with caplog.at_level(logging.DEBUG):
        result = tasks.sweep_outbox.apply(retries=tasks.sweep_outbox.max_retries, throw=False)
    assert result.state == "IGNORED"
    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in errors] == [
        f"hub.sweep_outbox: {error.__name__} through 9 tries; its next scheduled run takes "
        "the work up (nothing lost)"]
    assert all(r.exc_info is None for r in errors)


def test_an_outage_before_the_last_retry_is_still_retried(monkeypatch):
    monkeypatch.setattr(tasks, "_hub", lambda: None)
    calls = []

    def unavailable(_hub: object) -> int:
        calls.append(1)
        if len(calls) < 3:
            raise StoreUnavailable("Base indisponible.", "Database unavailable.")
        return 7

    monkeypatch.setattr(tasks.processing, "sweep_outbox", unavailable)
    result = tasks.sweep_outbox.apply(retries=tasks.sweep_outbox.max_retries - 3)
    assert result.get() == 7 and len(calls) == 3
