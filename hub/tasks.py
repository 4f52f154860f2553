"""Thin Celery tasks: they take ids, call a service function and own the retries."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from billiard.util import Finalize
from celery import Task, current_app, shared_task
from celery.concurrency.prefork import TaskPool as PreforkPool
from celery.exceptions import Ignore, Reject
from celery.signals import (
    beat_init,
    worker_process_init,
    worker_process_shutdown,
    worker_ready,
    worker_shutdown,
)
from celery.utils.log import current_process_index
from celery.worker import state as worker_state

from hub import pool_signals
from hub.bootstrap import Hub
from hub.config import Settings
from hub.errors import BrokerUnavailable, StoreFull, StoreUnavailable
from hub.outages import REMINDER_S, why_not_sent
from hub.services.audit import retention as audit_retention
from hub.services.audit import trail as audit
from hub.services.delivery import deliveries, webhooks
from hub.services.delivery.publisher import PROCESS_OUTBOX
from hub.services.ingest import processing
from hub.services.ops.data_watch import DataWatch
from hub.services.ops.heartbeat import Heartbeat
from hub.services.ops.worker_timers import WorkerTimer
from hub.services.privacy import consents

_TRANSIENT = (StoreUnavailable, BrokerUnavailable)
log = logging.getLogger(__name__)


class _QuietRetries(Task):
    """A task whose retries never flood the log on a full disk. A full store is not retried
    through the broker (the embedded broker's queue is on the same disk): the task ends,
    the outbox keeps the work and the sweep publishes it again once there is room (the
    store says the disk is full at most every 30 s, the data watch names the folder). A
    retry the broker cannot queue ends the task too, said at most every 30 s in one line,
    instead of Celery's "reject" and its chained tracebacks for each queued task."""

    def retry(self, *args: Any, exc: BaseException | None = None, **kwargs: Any) -> Any:
        if isinstance(exc, StoreFull) and not self.request.called_directly:
            raise Ignore()
        try:
            return super().retry(*args, exc=exc, **kwargs)
        except Reject as refused:  # Celery's: the retry's message was not queued
            _say_retry_refused(self.name, refused)
            raise Ignore() from None


_retry_refused_said_at: float | None = None


def _say_retry_refused(name: str, refused: Reject) -> None:
    global _retry_refused_said_at
    now = time.monotonic()
    if _retry_refused_said_at is not None and now - _retry_refused_said_at < REMINDER_S:
        return
    _retry_refused_said_at = now
    cause = refused.reason if isinstance(refused.reason, BaseException) else None
    log.warning("%s: its retry could not be queued (%s); nothing lost: the outbox sweep, or "
                "the task's next scheduled run, takes the work up", name, why_not_sent(cause))


class _PeriodicTask(_QuietRetries):
    """A task the beat runs again at its next interval: an outage that outlasts its
    retries ends it with one line, not Celery's "raised unexpected" error and its chained
    tracebacks (nothing is lost: the next run takes the work up)."""

    def retry(self, *args: Any, exc: BaseException | None = None, **kwargs: Any) -> Any:
        max_retries = kwargs.get("max_retries")
        limit = self.max_retries if max_retries is None else max_retries
        if isinstance(exc, _TRANSIENT) and limit is not None \
                and self.request.retries + 1 > limit and not self.request.called_directly:
            log.warning("%s: %s through %d tries; its next scheduled run takes the work up "
                        "(nothing lost)", self.name, type(exc).__name__, self.request.retries + 1)
            raise Ignore()
        return super().retry(*args, exc=exc, **kwargs)


# Periodic tasks retry a database or broker outage within seconds, not Celery's 180 s.
_PERIODIC_RETRY: dict[str, Any] = {
    "base": _PeriodicTask, "autoretry_for": _TRANSIENT, "retry_backoff": 1,
    "retry_backoff_max": 15, "retry_jitter": True, "max_retries": 8}


def _hub() -> Hub:
    # Built by the worker's app (hub.bootstrap.create_celery) in each worker process, at
    # its first task (after the fork), never at import time.
    hub: Hub = current_app.capactif_hub.get()
    return hub


_watchers: list[Heartbeat | DataWatch] = []
_EXIT_FAILURE = 1


@worker_ready.connect
def _worker_alive(sender: object = None, **_kwargs: object) -> None:
    settings = Settings.from_env()
    _watchers.append(Heartbeat(settings, "worker").start())  # not _hub(): pre-fork
    _watchers.append(DataWatch(settings, _stop_failed).start())
    if not isinstance(getattr(sender, "pool", None), PreforkPool):
        _start_timers()  # a solo or threaded pool sends and sweeps in this process


def _stop_failed() -> None:
    # Celery's consumer loop checks this flag: a warm shutdown that ends non-zero.
    worker_state.should_stop = _EXIT_FAILURE


@beat_init.connect
def _beat_alive(**_kwargs: object) -> None:
    heartbeat = Heartbeat(Settings.from_env(), "beat").start()
    _watchers.append(heartbeat)
    # The beat `capactif worker` runs is a child process which `worker_shutdown` never
    # reaches: its row is withdrawn as it ends cleanly (SIGTERM ends its loop; billiard
    # runs the finalizers when the child's run returns, atexit a standalone beat's), else
    # it outlived every process and `/healthz` said the scheduler had stopped.
    Finalize(None, heartbeat.stop, exitpriority=10)


@worker_shutdown.connect
def _worker_gone(**_kwargs: object) -> None:
    while _watchers:
        _watchers.pop().stop()
    webhooks.stop_senders()  # a solo or threaded pool sends in this process


@worker_process_init.connect
def _pool_process_started(**_kwargs: object) -> None:
    pool_signals.leave_group_stops_to_the_main_process()  # a group stop is a warm stop
    if not current_process_index(base=0):  # one set of timers per worker: its first pool process
        _start_timers()


def _start_timers() -> None:
    """Every worker dispatches webhooks and sweeps the outbox, not only the one running
    the beat (`hub.services.ops.worker_timers`)."""
    lazy_hub = current_app.capactif_hub  # the worker's app, read in this process's main thread
    settings = Settings.from_env()
    WorkerTimer("webhook dispatch", lambda: webhooks.start_dispatch(lazy_hub.get()),
                settings.dispatch_interval_s, webhooks.stopping).start()
    WorkerTimer("outbox sweep", lambda: processing.sweep_outbox_in_turn(lazy_hub.get()),
                settings.sweep_interval_s, webhooks.stopping).start()


@worker_process_shutdown.connect
def _pool_process_gone(**_kwargs: object) -> None:
    webhooks.stop_senders()  # give the leases back now rather than let them expire


@shared_task(
    name=PROCESS_OUTBOX, base=_QuietRetries, autoretry_for=_TRANSIENT, retry_backoff=True,
    retry_backoff_max=60, retry_jitter=True, max_retries=10,
)
def process_outbox(outbox_ids: list[int]) -> int:
    return processing.process_outbox(_hub(), outbox_ids).claimed


@shared_task(name="hub.sweep_outbox", **_PERIODIC_RETRY)
def sweep_outbox() -> int:
    return processing.sweep_outbox(_hub())


@shared_task(name="hub.forget_nonces", **_PERIODIC_RETRY)
def forget_nonces() -> int:
    return processing.forget_old_nonces(_hub())


@shared_task(name="hub.fold_routing_changes", **_PERIODIC_RETRY)
def fold_routing_changes() -> int:
    return deliveries.fold_routing_changes(_hub())


@shared_task(name="hub.dispatch_webhooks", **_PERIODIC_RETRY)
def dispatch_webhooks() -> int:
    """Start senders for due recipients in this process's own threads and return at once:
    sending never holds a worker slot, so fiches keep flowing past a slow recipient."""
    return webhooks.start_dispatch(_hub())


@shared_task(name="hub.expire_consents", **_PERIODIC_RETRY)
def expire_consents() -> int:
    return consents.expire_due(_hub())


@shared_task(name="hub.publish_audit_head", **_PERIODIC_RETRY)
def publish_audit_head() -> int:
    """Sign a tree head over everything appended so far (every HUB_AUDIT_HEAD_INTERVAL_S)."""
    return int(audit.publish_head(_hub())["size"])


@shared_task(name="hub.archive_audit_log", **_PERIODIC_RETRY)
def archive_audit_log() -> int:
    """Move entries older than HUB_AUDIT_RETENTION_DAYS to a signed archive segment."""
    segment = audit_retention.archive_expired(_hub())
    return 0 if segment is None else segment["fin"] - segment["debut"]


@shared_task(name="hub.noop")
def noop(marker: str | None = None) -> None:
    """Does nothing: the baseline of bench/ingest.py (bare task rate on the same broker).
    The last task of a run names a marker file to create, so the bench sees the end."""
    if marker:
        Path(marker).touch()
