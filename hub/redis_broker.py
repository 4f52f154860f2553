"""The Redis broker: kombu's Redis transport that sets aside a message it cannot read.

kombu's channel decodes what BRPOP (or RPOP, when polled) takes from the queue with no
check: text that is not JSON, a body that is not base64, ... stopped the worker with
"Unrecoverable error", and, the message already taken, every message after it waited for
a restart. Here each message is checked as it is taken (hub.broker_messages); one that
fails is pushed, as read, onto the Redis list `<queue>.unreadable` (the newest first, the
last UNREADABLE_KEPT kept) and logged in one line naming the fault, never its content;
the worker goes on. Tasks carry ids only: the outbox sweep publishes their work again.
The same transport class is used for `redis://`, `rediss://`, `redis+socket://` and
`sentinel://` URLs (kombu's aliases point at it, so its URL parsing is unchanged).
"""

from __future__ import annotations

import logging
from typing import Any

from kombu.transport import TRANSPORT_ALIASES, redis
from kombu.utils.encoding import bytes_to_str

from hub.broker_messages import UnreadableMessage, checked
from hub.task_headers import BadTaskMessage

__all__ = ["PUBLISHER_OPTIONS", "UNREADABLE_KEPT", "unreadable_key", "use_for_redis_urls"]

log = logging.getLogger(__name__)

UNREADABLE_KEPT = 1000

# A publisher's (the API's, a worker's hub's) transport: a Redis that accepts connections
# but does not answer (frozen: SIGSTOP, a VM paused, a half-open connection) made each
# publish wait, kombu's and redis-py's default being no socket timeout at all. Each
# socket operation now ends within PUBLISH_SOCKET_TIMEOUT_S and the publish within its one
# retry (`CeleryPublisher`): the outbox keeps the work and the sweep publishes it once
# the broker answers again. The worker's consumer keeps kombu's defaults (its BRPOP waits
# on purpose; kombu's health check looks after its connection).
PUBLISH_SOCKET_TIMEOUT_S = 0.5
PUBLISHER_OPTIONS = {"visibility_timeout": 600, "socket_timeout": PUBLISH_SOCKET_TIMEOUT_S,
                     "socket_connect_timeout": PUBLISH_SOCKET_TIMEOUT_S}


def unreadable_key(queue: str) -> str:
    """The Redis list where the unreadable messages taken from `queue` are kept."""
    return f"{queue}.unreadable"


class _Checking:
    """What both Redis channels add: each message checked as it is taken."""

    def _brpop_read(self: Any, **options: Any) -> bool:
        try:
            try:
                dest__item = self.client.parse_response(self.client.connection, "BRPOP", **options)
            except self.connection_errors:
                self.client.connection.disconnect()  # the next iteration reconnects
                raise
            if not dest__item:
                raise redis.Empty()
            dest, item = dest__item
            dest = bytes_to_str(dest).rsplit(self.sep, 1)[0]
            self._queue_cycle.rotate(dest)
            message = self._readable(item, dest)
            if message is None:
                raise redis.Empty()
            self.connection._deliver(message, dest)
            return True
        finally:
            self._in_poll = None
            self._flush_brpop_reauth()

    def _get(self: Any, queue: str) -> Any:
        with self.conn_or_acquire() as client:
            for pri in self.priority_steps:
                item = client.rpop(self._q_for_pri(queue, pri))
                if item:
                    self._maybe_update_queues_expire(client, queue)
                    message = self._readable(item, queue)
                    if message is None:
                        break
                    return message
            self._maybe_update_queues_expire(client, queue)
            raise redis.Empty()

    def _handle_message(self: Any, client: Any, response: Any) -> dict[str, Any]:
        """kombu's, but a broadcast message (PUB/SUB, a fanout exchange's) that fails the
        checks is dropped here, logged by its fault and size: kombu logged the first 4,096
        characters of one that is not JSON."""
        payload: dict[str, Any] = super()._handle_message(client, response)  # type: ignore[misc]
        data = payload["data"]
        if not (bytes_to_str(payload["type"]).endswith("message") and data):
            return payload
        raw = data if isinstance(data, bytes) else str(data).encode()
        try:
            checked(raw, self)
        except (UnreadableMessage, BadTaskMessage) as exc:
            log.error("redis broker: unreadable broadcast message on %r dropped (%s, %d bytes)",
                      bytes_to_str(payload["channel"]), exc, len(raw))
            return {**payload, "type": b"dropped"}  # kombu delivers only a "message" type
        return payload

    def _readable(self: Any, item: bytes, queue: str) -> dict[str, Any] | None:
        try:
            return checked(item, self)
        except (UnreadableMessage, BadTaskMessage) as exc:
            self._set_aside(item, queue, str(exc))
            return None

    def _set_aside(self: Any, item: bytes, queue: str, fault: str) -> None:
        key = unreadable_key(queue)
        try:
            with self.conn_or_acquire() as client:
                client.lpush(key, item)
                client.ltrim(key, 0, UNREADABLE_KEPT - 1)
        except self.connection_errors as exc:
            log.error("redis broker: unreadable message taken from %r (%s) dropped: %s "
                      "could not be written (%s)", queue, fault, key, type(exc).__name__)
            return
        log.error("redis broker: unreadable message taken from %r set aside in the Redis "
                  "list %r (%s); the outbox sweep publishes its work again", queue, key, fault)


class Channel(_Checking, redis.Channel):  # type: ignore[misc]  # kombu is untyped
    pass


class SentinelChannel(_Checking, redis.SentinelChannel):  # type: ignore[misc]
    pass


class Transport(redis.Transport):
    Channel = Channel


class SentinelTransport(redis.SentinelTransport):
    Channel = SentinelChannel


def use_for_redis_urls() -> None:
    """Point kombu's Redis URL schemes at these transports (idempotent)."""
    TRANSPORT_ALIASES.update({"redis": f"{__name__}:Transport", "rediss": f"{__name__}:Transport",
                              "sentinel": f"{__name__}:SentinelTransport"})
