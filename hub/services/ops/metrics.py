"""Prometheus metrics of the hub, counted without personal data.

Two sources, both safe with many processes on many machines:
- the store, read at scrape time by a collector: ingest, outbox lag, delivery backlog
  and dead letters per recipient member, review queue, access-log head age, worker
  heartbeats. Every process writes these figures through the database, so any API
  process answers for the whole hub;
- this API process's own HTTP answers (counter and latency histogram by route template
  and status, refused authentications among them) and calls to Redis (answered, failed,
  skipped by its breaker: hub.redis_breaker), which Prometheus scrapes per process.

Labels are route templates, status codes and member ids (organisations): never a path
with ids filled in, never a personal value.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from hub.bootstrap import Hub
from hub.store.ops_repository import StoreFigures

PREFIX = "capactif"
STALE_HEARTBEAT_FACTOR = 3  # a process silent for 3 heartbeat intervals is counted dead


class StoreCollector(Collector):
    """Figures read from the store at each scrape."""

    def __init__(self, hub: Hub) -> None:
        self._hub = hub

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        now = self._hub.clock()
        try:
            with self._hub.uow() as uow:
                figures = uow.ops.figures()
        except Exception:  # the store is down: say so instead of failing the scrape
            yield _gauge("store_up", "1 when the store answered this scrape", 0)
            return
        yield _gauge("store_up", "1 when the store answered this scrape", 1)
        yield from _store_families(figures, now, self._hub.settings.heartbeat_interval_s)
        with contextlib.suppress(Exception):  # the store went down since: store_up said it
            yield _gauge("audit_integrity_ok", "1 when the stored access log still gives its "
                         "last signed head's root (0: `capactif audit export`, then verify)",
                         int(self._hub.audit.matches_signed_head()))


def _store_families(figures: StoreFigures, now: dt.datetime,
                    heartbeat_s: float) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
    yield _counter("fiche_versions_received", "fiche versions accepted and stored",
                   figures.fiche_versions)
    yield _gauge("outbox_pending", "accepted items not yet processed by a worker",
                 figures.outbox_pending)
    yield _gauge("outbox_lag_seconds", "age of the oldest unprocessed outbox item (0 if none)",
                 _age(figures.outbox_oldest_pending_at, now))
    backlog = GaugeMetricFamily(f"{PREFIX}_delivery_backlog", "webhook deliveries waiting, per recipient",
                                labels=["recipient"])
    dead = GaugeMetricFamily(f"{PREFIX}_deliveries_dead", "dead-lettered deliveries, per recipient",
                             labels=["recipient"])
    oldest = GaugeMetricFamily(f"{PREFIX}_delivery_oldest_pending_seconds",
                               "age of the oldest waiting delivery, per recipient", labels=["recipient"])
    for entry in figures.backlogs:
        backlog.add_metric([entry.recipient_id], entry.pending)
        dead.add_metric([entry.recipient_id], entry.dead)
        oldest.add_metric([entry.recipient_id], _age(entry.oldest_pending_at, now))
    yield from (backlog, dead, oldest)
    # every open item, those hidden from the coordination included (its queue and count
    # leave them out): an operators' figure, never shown to a member (docs/deploy.md)
    yield _gauge("review_queue_open", "duplicate pairs waiting for a coordinator", figures.review_open)
    yield _counter("audit_entries", "access-log entries appended", figures.audit_entries)
    yield _gauge("audit_unsigned_entries", "access-log entries not yet covered by a signed head",
                 max(0, figures.audit_entries - figures.audit_signed_size))
    head_age = (now.timestamp() - figures.audit_last_head_ms / 1000) if figures.audit_last_head_ms else -1
    yield _gauge("audit_head_age_seconds", "age of the last signed tree head (-1: none yet)", head_age)
    alive = GaugeMetricFamily(f"{PREFIX}_processes_alive",
                              "worker and beat processes with a recent heartbeat", labels=["kind"])
    counts = {"worker": 0, "beat": 0}
    for beat in figures.heartbeats:
        if _age(beat.seen_at, now) <= STALE_HEARTBEAT_FACTOR * heartbeat_s:
            counts[beat.kind] = counts.get(beat.kind, 0) + 1
    for kind, count in sorted(counts.items()):
        alive.add_metric([kind], count)
    yield alive


def _age(moment: dt.datetime | None, now: dt.datetime) -> float:
    if moment is None:
        return 0.0
    if moment.tzinfo is None:  # SQLite gives naive UTC times back
        moment = moment.replace(tzinfo=dt.UTC)
    return max(0.0, (now - moment).total_seconds())


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"{PREFIX}_{name}", documentation, value=value)


def _counter(name: str, documentation: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(f"{PREFIX}_{name}", documentation, value=value)


class RedisCallsCollector(Collector):
    """This process's calls to Redis (rate limits, refusal counters, publishes)."""

    def __init__(self, hub: Hub) -> None:
        self._hub = hub

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(
            f"{PREFIX}_redis_calls", "calls of this process to Redis: answered (ok), failed, "
            "or skipped for a few seconds after a failure (HUB_REDIS_BREAKER_S)",
            labels=["outcome"])
        for outcome, count in self._hub.redis_breakers.counts().items():
            family.add_metric([outcome], count)
        yield family


class HttpMetrics:
    """This process's HTTP answers, by route template and status."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.answers = Counter(f"{PREFIX}_http_answers", "HTTP answers of this API process",
                               ["route", "method", "status"], registry=registry)
        self.seconds = Histogram(f"{PREFIX}_http_answer_seconds", "time to answer, by route",
                                 ["route", "method"], registry=registry,
                                 buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        self.answers.labels(route, method, str(status)).inc()
        self.seconds.labels(route, method).observe(seconds)


def build_registry(hub: Hub) -> tuple[CollectorRegistry, HttpMetrics]:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(hub))
    registry.register(RedisCallsCollector(hub))
    return registry, HttpMetrics(registry)
