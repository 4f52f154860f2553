"""The worker's consumer: back on the broker within about two seconds of its return.

Celery's consumer waits 2, 4, 6 ... up to 30 s between tries to reach a lost broker and
gives up after 100 tries: after a 90 s Redis restart the worker stayed idle 18 s more.
This one tries every 1-2 s for as long as the outage lasts (`broker_connection_max_retries`
is None), so it reconnects by itself; only a broker unreachable at start is fatal, and
then it says which broker (its URL without the password). During an outage each of the
worker's users of the broker (the consumer, the beat) logs it once, then every 30 s
(`HUB_BROKER_OUTAGE_REMINDER_S`), and once more when the broker takes its messages
again (hub.outages).

A message whose envelope is well formed but whose task body is not (wrong shape, wrong
types) or whose headers are not what Celery reads (a `timelimit` of "x", an `expires`
of {}: hub.task_headers) makes Celery's request builder raise a ValueError, TypeError or
AttributeError that stops the worker ("Unrecoverable error"), and every worker the
message is handed to after it. Its shape is checked before Celery's strategy runs: a
message of the wrong shape is rejected and logged as an invalid task, as Celery already
does for a body it cannot decode; one whose headers do not fit is set aside, logged
with its id and the header's name. Any other error raised while Celery turns a message
into a request (a header no check thought of) sets the message aside too, logged with
the error's type and place, never its text: a message never stops the worker. Only the
broker's connection errors go on as raised (the consumer reconnects). The embedded
broker keeps a copy of a message set aside in `broker/torn/`. Tasks carry ids only, and
the outbox sweep publishes again the work of a message set aside.
"""

from __future__ import annotations

import contextlib
import dbm
import errno
import functools
import logging
import shelve
import traceback
from pathlib import Path
from typing import Any

from celery.beat import PersistentScheduler
from celery.exceptions import InvalidTaskError
from celery.worker.consumer import Consumer
from kombu.exceptions import ContentDisallowed, DecodeError

from hub.embedded_broker import TRANSPORT as EMBEDDED_TRANSPORT
from hub.outages import BEAT as _BEAT
from hub.outages import CONSUMER as _CONSUMER
from hub.outages import broker_reached
from hub.task_headers import wrong_embed, wrong_headers

__all__ = ["PromptConsumer", "ReportingScheduler"]

logger = logging.getLogger(__name__)


class PromptConsumer(Consumer):
    def create_task_handler(self, promise: Any = None) -> Any:
        handle = super().create_task_handler() if promise is None else \
            super().create_task_handler(promise)

        def on_task_received(message: Any) -> Any:
            try:
                wrong = _wrong_shape(message)
            except ContentDisallowed as exc:
                return self.on_invalid_task(None, message, exc)
            except DecodeError as exc:
                return self.on_decode_error(message, exc)
            if wrong is not None:
                return self.on_invalid_task(None, message, InvalidTaskError(wrong))
            unfit = _unfit_headers(message)
            if unfit is not None:
                _set_aside(message, unfit)
                return None
            try:
                return handle(message)
            except self.connection_errors:
                raise  # the broker lost: the consumer reconnects
            except Exception as exc:
                # a header or part no check above thought of: the message is set aside
                # rather than stopping every worker it is handed to in turn
                _set_aside(message, _failure(exc))
                return None

        return on_task_received

    def on_connection_error_after_connected(self, exc: Exception) -> None:
        # Celery collects the lost connection's transport, then closes the connection:
        # its channel, still holding unacknowledged messages (a retry waiting its
        # countdown), tries to put them back through the transport gone and raises
        # AttributeError, which stopped the worker ("Unrecoverable error"). Those messages
        # cannot be put back while the broker is down anyway: Redis hands them out again
        # after the visibility timeout; the embedded broker's exist only in the worker's
        # memory, and the outbox sweep publishes their work again.
        if self.connection is not None:
            self.connection.close = functools.partial(
                _close_collected, self.connection, self.connection.close)
        super().on_connection_error_after_connected(exc)

    def ensure_connected(self, conn: Any) -> Any:
        conn.ensure_connection = functools.partial(
            conn.ensure_connection, interval_start=1, interval_step=1, interval_max=2)
        try:
            connected = super().ensure_connected(conn)
        except Exception as exc:
            if self.first_connection_attempt:
                logger.critical(
                    "Courtier injoignable au démarrage / broker unreachable at start: %s (%s). "
                    "Vérifiez HUB_BROKER_URL ou démarrez le courtier ; le worker s'arrête. / "
                    "Check HUB_BROKER_URL or start the broker; the worker stops.",
                    conn.as_uri(), type(exc).__name__)
            raise
        broker_reached(_CONSUMER)
        return connected


def _wrong_shape(message: Any) -> str | None:
    """Why `message` is not a Celery task message Celery's strategy can build a request
    from, or None. Protocol 2: string `task` and `id` headers and a body
    `[args, kwargs, embed]` (list, dict, dict); protocol 1 (no `task` header): a body
    object with string `task` and `id`, a list `args` and a dict `kwargs`. Raises what
    decoding the body raises."""
    headers = message.headers
    if not isinstance(headers, dict):
        return None  # Celery logs and rejects it as an unknown message
    body = message.decode()
    if "task" in headers:
        if not isinstance(headers["task"], str) or not isinstance(headers.get("id"), str):
            return "the task and id headers are strings"
        if isinstance(body, dict) and "args" in body:  # hybrid of protocols 1 and 2
            return _wrong_arguments(body)
        if not (isinstance(body, list | tuple) and len(body) == 3
                and isinstance(body[0], list | tuple)
                and isinstance(body[1], dict) and isinstance(body[2], dict)):
            return "the body is [args, kwargs, embed]: a list, an object, an object"
        return None
    if not isinstance(body, dict):
        return None  # Celery logs and rejects it as an unknown message
    if not isinstance(body.get("task"), str) or not isinstance(body.get("id"), str):
        return "the body's task and id are strings"
    return _wrong_arguments(body)


def _unfit_headers(message: Any) -> str | None:
    """Why the headers (or the body's embedded callbacks) of a protocol 2 message of the
    right shape are not what Celery's worker reads, or None."""
    headers = message.headers
    if not isinstance(headers, dict) or "task" not in headers:
        return None
    body = message.decode()
    if not isinstance(body, list | tuple):
        return wrong_headers(headers)  # a hybrid of protocols 1 and 2
    return wrong_headers(headers) or wrong_embed(body[2])


def _set_aside(message: Any, why: str) -> None:
    """Take `message` off the broker for good, saying its id and why, never its body: the
    embedded broker keeps a copy in `torn/` as for its unreadable files; the outbox sweep
    publishes its work again (tasks carry ids only)."""
    kept = ""
    keep = getattr(message.channel, "set_aside", None)
    if keep is not None:
        kept = f", kept in {keep(message)}"
    if not message.acknowledged:
        message.reject(requeue=False)
    logger.error("task message %s set aside%s: %s; the outbox sweep re-publishes its work",
                 _message_id(message), kept, why)


def _message_id(message: Any) -> str:
    headers = message.headers if isinstance(message.headers, dict) else {}
    found = headers.get("id")
    if found is None:  # protocol 1: in the body, decoded (and accepted) by the checks
        with contextlib.suppress(Exception):
            body = message.decode()
            found = body.get("id") if isinstance(body, dict) else None
    if isinstance(found, str) and len(found) <= 64 and found.replace("-", "").isalnum():
        return found
    return "(without a readable id)"


def _failure(exc: BaseException) -> str:
    """The error's type and where it was raised, never its text (it may quote a value)."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" in {Path(frames[-1].filename).name}:{frames[-1].lineno} {frames[-1].name}" \
        if frames else ""
    return f"the worker could not build a request from it ({type(exc).__name__}{where})"


def _wrong_arguments(body: dict[str, Any]) -> str | None:
    if not isinstance(body.get("args", []), list | tuple) \
            or not isinstance(body.get("kwargs", {}), dict):
        return "the body's args are a list and its kwargs an object"
    return None


def _close_collected(connection: Any, close: Any) -> None:
    """`close()` the lost connection; an AttributeError is the channel putting back its
    unacknowledged messages through the transport Celery has just collected, and only
    then is it let through (logged), else it goes on as raised."""
    try:
        close()
    except AttributeError:
        if connection._transport is not None:
            raise
        logger.debug("closing the lost broker connection, its transport already collected",
                     exc_info=True)
        if connection.transport_cls == EMBEDDED_TRANSPORT:
            logger.warning("broker connection lost with unacknowledged messages: held in the "
                           "worker's memory only, they are gone; the outbox sweep publishes "
                           "their work again")
        else:
            logger.warning("broker connection lost with unacknowledged messages: they come "
                           "back from the broker after its visibility timeout")


class ReportingScheduler(PersistentScheduler):
    """Celery's beat, which says when the broker takes its messages again after an
    outage (the beat has no "connected" line of its own: its outages never ended)."""

    def _ensure_connected(self) -> Any:
        # Celery's beat waits 2, 4, 6 ... up to 30 s between tries to connect, as its
        # consumer did: tried every 1-2 s, like the hub's consumer.
        connection = self.connection
        if not isinstance(connection.ensure_connection, functools.partial):
            connection.ensure_connection = functools.partial(
                connection.ensure_connection, interval_start=1, interval_step=1, interval_max=2)
        return super()._ensure_connected()

    def apply_async(self, entry: Any, producer: Any = None, advance: bool = True,
                    **kwargs: Any) -> Any:
        result = super().apply_async(entry, producer, advance, **kwargs)
        broker_reached(_BEAT)
        return result

    # A schedule file that cannot be written (a full disk, a quota, a file-size limit)
    # is no reason to stop: Celery's beat loop lets the error end the embedded beat
    # process while the worker stays up, and then nothing sweeps the outbox or dispatches
    # webhooks again until a restart. The schedule stays in memory and is written at the
    # next sync once there is room (at worst, after a restart, a periodic task runs early).
    _store: Any = None  # a shelve.Shelf once set up
    _unsaved = False
    _in_memory = False

    def setup_schedule(self) -> None:
        try:
            super().setup_schedule()
        except _STORE_ERRORS as exc:  # started on a full disk: its file kept as it was
            logger.warning("beat: schedule not saved (%s), kept in memory until beat restarts",
                           _reason(exc))
            self._close_store()
            self._in_memory = True
            super().setup_schedule()

    def _open_schedule(self) -> Any:
        if self._in_memory:
            return shelve.Shelf({}, writeback=True)
        return super()._open_schedule()

    def _close_store(self) -> None:
        store, self._store = self._store, None
        database = getattr(store, "dict", None)
        for part in (store, database):  # shelve skips its file's close after a failed write
            if part is not None:
                with contextlib.suppress(*_STORE_ERRORS):
                    part.close()

    def sync(self) -> None:
        try:
            super().sync()
        except _STORE_ERRORS as exc:
            # shelve stops caching its entries when a write fails part way (they would
            # be read afresh from the file at each use, each change to them lost)
            self._store.writeback = True
            if not self._unsaved:
                logger.warning("beat: schedule not saved (%s), kept in memory; written again "
                               "once the data directory has room", _reason(exc))
            self._unsaved = True
            return
        if self._unsaved:
            logger.warning("beat: schedule saved again")
            self._unsaved = False

    def close(self) -> None:
        database = getattr(self._store, "dict", None)
        try:
            super().close()
        except _STORE_ERRORS as exc:  # its store's own last write, as it closes
            logger.warning("beat: schedule not saved as beat stopped (%s)", _reason(exc))
            # the file's own close, skipped by shelve after the failed write, now rather
            # than as an error when it is collected
            if database is not None:
                with contextlib.suppress(*_STORE_ERRORS):
                    database.close()


_STORE_ERRORS: tuple[type[BaseException], ...] = (OSError, *dbm.error)


def _reason(exc: BaseException) -> str:
    # the error's name only: its text names the file
    code = getattr(exc, "errno", None)
    return errno.errorcode.get(code, type(exc).__name__) if isinstance(code, int) else type(exc).__name__
