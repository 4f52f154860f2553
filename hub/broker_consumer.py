"""The worker's consumer: back on the broker within about two seconds of its return.

Celery's consumer waits 2, 4, 6 ... up to 30 s between tries to reach a lost broker and
gives up after 100 tries: after a 90 s Redis restart the worker stayed idle 18 s more.
This one tries every 1-2 s for as long as the outage lasts (`broker_connection_max_retries`
is None), so it reconnects by itself; only a broker unreachable at start is fatal, and
then it says which broker (its URL without the password).
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from celery.worker.consumer import Consumer

logger = logging.getLogger(__name__)


class PromptConsumer(Consumer):
    def ensure_connected(self, conn: Any) -> Any:
        conn.ensure_connection = functools.partial(
            conn.ensure_connection, interval_start=1, interval_step=1, interval_max=2)
        try:
            return super().ensure_connected(conn)
        except Exception as exc:
            if self.first_connection_attempt:
                logger.critical(
                    "Courtier injoignable au démarrage / broker unreachable at start: %s (%s). "
                    "Vérifiez HUB_BROKER_URL ou démarrez le courtier ; le worker s'arrête. / "
                    "Check HUB_BROKER_URL or start the broker; the worker stops.",
                    conn.as_uri(), type(exc).__name__)
            raise
