"""Thin Celery tasks: they take ids, call a service function and own the retries."""

from __future__ import annotations

import functools
from pathlib import Path

from celery import shared_task
from celery.signals import beat_init, worker_ready, worker_shutdown

from hub.bootstrap import Hub
from hub.config import Settings
from hub.errors import BrokerUnavailable, StoreUnavailable
from hub.services import audit, audit_retention, consents, processing, webhooks
from hub.services.heartbeat import Heartbeat
from hub.services.publisher import PROCESS_OUTBOX

_TRANSIENT = (StoreUnavailable, BrokerUnavailable)


@functools.cache
def _hub() -> Hub:
    # Built lazily in each worker process (after the fork), never at import time.
    return Hub.from_settings(Settings.from_env())


_heartbeats: list[Heartbeat] = []


@worker_ready.connect
def _worker_alive(**_kwargs: object) -> None:
    _heartbeats.append(Heartbeat(_hub(), "worker").start())


@beat_init.connect
def _beat_alive(**_kwargs: object) -> None:
    _heartbeats.append(Heartbeat(_hub(), "beat").start())


@worker_shutdown.connect
def _worker_gone(**_kwargs: object) -> None:
    while _heartbeats:
        _heartbeats.pop().stop()


@shared_task(
    name=PROCESS_OUTBOX, autoretry_for=_TRANSIENT, retry_backoff=True, retry_backoff_max=60,
    retry_jitter=True, max_retries=10,
)
def process_outbox(outbox_ids: list[int]) -> int:
    return processing.process_outbox(_hub(), outbox_ids).claimed


@shared_task(name="hub.sweep_outbox", autoretry_for=_TRANSIENT, max_retries=3)
def sweep_outbox() -> int:
    return processing.sweep_outbox(_hub())


@shared_task(name="hub.forget_nonces", autoretry_for=_TRANSIENT, max_retries=3)
def forget_nonces() -> int:
    return processing.forget_old_nonces(_hub())


@shared_task(name="hub.dispatch_webhooks", autoretry_for=_TRANSIENT, max_retries=3)
def dispatch_webhooks() -> int:
    return webhooks.dispatch_webhooks(_hub()).sent


@shared_task(name="hub.expire_consents", autoretry_for=_TRANSIENT, max_retries=3)
def expire_consents() -> int:
    return consents.expire_due(_hub())


@shared_task(name="hub.publish_audit_head", autoretry_for=_TRANSIENT, max_retries=3)
def publish_audit_head() -> int:
    """Sign a tree head over everything appended so far (every HUB_AUDIT_HEAD_INTERVAL_S)."""
    return int(audit.publish_head(_hub())["size"])


@shared_task(name="hub.archive_audit_log", autoretry_for=_TRANSIENT, max_retries=3)
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
