"""Publishing work to the workers after commit. Tasks carry ids, never payloads."""

from __future__ import annotations

import abc
import logging
from collections.abc import Sequence
from typing import Any

from hub.errors import BrokerUnavailable
from hub.outages import broker_reached
from hub.redis_breaker import RedisBreaker, guarded

log = logging.getLogger(__name__)

PROCESS_OUTBOX = "hub.process_outbox"
DISPATCH_WEBHOOKS = "hub.dispatch_webhooks"


class TaskPublisher(abc.ABC):
    """Port: sends tasks to the workers."""

    @abc.abstractmethod
    def send(self, task: str, args: list[Any]) -> None:
        """Publish one task; raise BrokerUnavailable on failure."""

    def publish_outbox(self, outbox_ids: Sequence[int]) -> None:
        self.send(PROCESS_OUTBOX, [list(outbox_ids)])

    def publish_outbox_safely(self, outbox_ids: Sequence[int]) -> bool:
        """Publish, but never fail the caller: the sweep re-publishes what is lost."""
        if not outbox_ids:
            return True
        try:
            self.publish_outbox(outbox_ids)
        except BrokerUnavailable as exc:
            # An outage's start, then reminders, at ERROR; each failure at DEBUG (hub.outages).
            log.error("broker unavailable: %d outbox rows left for the sweep", len(outbox_ids),
                      exc_info=exc)
            return False
        broker_reached(log.name)
        return True

    def request_dispatch_safely(self) -> None:
        """Ask for a webhook dispatch now; the periodic dispatch covers a failure."""
        try:
            self.send(DISPATCH_WEBHOOKS, [])
        except BrokerUnavailable as exc:
            log.error("broker unavailable: webhook dispatch left to the periodic run",
                      exc_info=exc)
            return
        broker_reached(log.name)


class CeleryPublisher(TaskPublisher):
    """`task_size`: outbox rows per task (None: one task per call). On a server broker a
    push of 500 fiches published as one task is processed by one worker while the others
    wait; tasks of one worker transaction each spread it over all of them, for about a
    millisecond of broker work per task. `breaker`: its Redis server's (hub.redis_breaker),
    skipped a few seconds after a publish or another call to it failed."""

    def __init__(self, celery_app: Any, *, task_size: int | None = None,
                 breaker: RedisBreaker | None = None) -> None:
        self._app = celery_app
        self._task_size = task_size
        self._breaker = breaker

    def publish_outbox(self, outbox_ids: Sequence[int]) -> None:
        ids = list(outbox_ids)
        size = self._task_size or max(1, len(ids))
        for start in range(0, len(ids), size):
            super().publish_outbox(ids[start:start + size])

    def send(self, task: str, args: list[Any]) -> None:
        # One retry (a connection the broker closed is opened again): with the socket
        # timeout of `hub.redis_broker.PUBLISHER_OPTIONS` a broker that does not answer
        # costs a push about a second, not its 202 for as long as the broker is frozen.
        try:
            with guarded(self._breaker):
                self._app.send_task(
                    task, args=args, retry=True,
                    retry_policy={"max_retries": 1, "interval_start": 0.1, "interval_step": 0.2},
                )
        except Exception as exc:  # kombu raises many kinds; all mean "not published"
            raise BrokerUnavailable(
                "Le courtier de messages est injoignable.", "The message broker is unreachable."
            ) from exc


class NullPublisher(TaskPublisher):
    """Publishes nothing: for one-off commands (init, restore, the CLI's own reads) that
    must not start work; the sweep publishes whatever they leave in the outbox."""

    def send(self, task: str, args: list[Any]) -> None:
        return None
