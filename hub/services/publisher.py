"""Publishing work to the workers after commit. Tasks carry ids, never payloads."""

from __future__ import annotations

import abc
import logging
from collections.abc import Sequence
from typing import Any

from hub.errors import BrokerUnavailable

log = logging.getLogger(__name__)

PROCESS_OUTBOX = "hub.process_outbox"


class TaskPublisher(abc.ABC):
    """Port: sends `process_outbox` tasks to the workers."""

    @abc.abstractmethod
    def publish_outbox(self, outbox_ids: Sequence[int]) -> None:
        """Publish one task for these outbox rows; raise BrokerUnavailable on failure."""

    def publish_outbox_safely(self, outbox_ids: Sequence[int]) -> bool:
        """Publish, but never fail the caller: the sweep re-publishes what is lost."""
        if not outbox_ids:
            return True
        try:
            self.publish_outbox(outbox_ids)
        except BrokerUnavailable:
            log.warning("broker unavailable: %d outbox rows left for the sweep", len(outbox_ids))
            return False
        return True


class CeleryPublisher(TaskPublisher):
    def __init__(self, celery_app: Any) -> None:
        self._app = celery_app

    def publish_outbox(self, outbox_ids: Sequence[int]) -> None:
        try:
            self._app.send_task(
                PROCESS_OUTBOX,
                args=[list(outbox_ids)],
                retry=True,
                retry_policy={"max_retries": 2, "interval_start": 0.1, "interval_step": 0.2},
            )
        except Exception as exc:  # kombu raises many kinds; all mean "not published"
            raise BrokerUnavailable(
                "Le courtier de messages est injoignable.", "The message broker is unreachable."
            ) from exc


class RecordingPublisher(TaskPublisher):
    """A publisher that keeps what it was asked to publish (tests, `--no-broker`)."""

    def __init__(self) -> None:
        self.published: list[list[int]] = []

    def publish_outbox(self, outbox_ids: Sequence[int]) -> None:
        self.published.append(list(outbox_ids))
