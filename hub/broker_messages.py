"""What a message read from the broker must be before kombu's consumer takes it.

kombu reads a message without checking it: text that is not JSON, JSON that is not an
object, properties without a delivery tag, a body that is not base64 or not the JSON it
declares, compressed garbage ... raise out of the transport and stop the worker
("Unrecoverable error"). Both brokers check each message here as they take it and set
aside the one that fails, with a reason that names the fault, never a value.
"""

from __future__ import annotations

import json
from typing import Any

from kombu.utils.json import loads

from hub.task_headers import BadTaskMessage, wrong_headers

__all__ = ["MAX_MESSAGE_BYTES", "UnreadableMessage", "checked", "envelope"]

# A task carries ids only: a message past this is no message of the hub's.
MAX_MESSAGE_BYTES = 16 * 1024 * 1024
_CONTENT_TYPES = ("application/json",)


class UnreadableMessage(ValueError):
    """A message the consumer cannot take; the text names the fault, never a value."""


def envelope(message: Any) -> dict[str, Any]:
    """`message` if it has the shape kombu's consumer reads without checking (a KeyError
    or TypeError there stops the worker), else UnreadableMessage."""
    if not isinstance(message, dict):
        raise UnreadableMessage("a message is a JSON object")
    properties = message.get("properties")
    if not isinstance(properties, dict) or "delivery_tag" not in properties:
        raise UnreadableMessage("a message has properties with a delivery tag")
    if not isinstance(properties.get("delivery_info", {}), dict):
        raise UnreadableMessage("a message's delivery information is an object")
    if not isinstance(properties.get("body_encoding", ""), str | None):
        raise UnreadableMessage("a message's body encoding is a string")
    if not isinstance(message.get("headers") or {}, dict):
        raise UnreadableMessage("a message's headers are an object")
    if not isinstance(message.get("body", ""), str):
        raise UnreadableMessage("a message's body is a string")
    if not isinstance(message.get("content-encoding", ""), str | None):
        raise UnreadableMessage("a message's content encoding is a string")
    return message


def checked(data: bytes, channel: Any) -> dict[str, Any]:
    """The message in `data` as `channel`'s consumer will take it, else UnreadableMessage
    (BadTaskMessage for a task header Celery would choke on)."""
    if len(data) > MAX_MESSAGE_BYTES:
        raise UnreadableMessage(f"a message of over {MAX_MESSAGE_BYTES} bytes")
    try:
        message = envelope(loads(data.decode("utf-8")))
    except UnicodeDecodeError:
        raise UnreadableMessage("a message that is not UTF-8 text") from None
    except (ValueError, RecursionError) as exc:
        if isinstance(exc, UnreadableMessage):
            raise
        raise UnreadableMessage("a message that is not JSON") from None
    try:
        taken = channel.Message(message, channel=channel)  # decodes and decompresses its body
    except Exception:  # binascii.Error, zlib.error, a compression kombu does not know ...
        raise UnreadableMessage("a body that cannot be decoded (base64, compression)") from None
    if taken.errors:  # kombu keeps a decompression's error for the consumer to meet
        raise UnreadableMessage("a body that cannot be decoded (base64, compression)")
    _body_fits(taken)
    headers = message.get("headers") or {}
    wrong = wrong_headers(headers) if "task" in headers else None
    if wrong is not None:  # read by Celery without checks: it stops the worker
        raise BadTaskMessage(wrong)
    return message


def _body_fits(taken: Any) -> None:
    """The body is the JSON its content type declares (never decoded any other way here:
    a pickled body is refused, not unpickled). One with no content type is left to Celery,
    which refuses it as content it does not accept, without stopping."""
    if taken.content_type is None:
        return
    if taken.content_type not in _CONTENT_TYPES:
        raise UnreadableMessage("a content type other than application/json")
    body = taken.body
    try:
        json.loads(body.decode(taken.content_encoding or "utf-8") if isinstance(body, bytes)
                   else body)
    except (ValueError, LookupError, TypeError, RecursionError):
        raise UnreadableMessage("a body that is not the JSON its content type declares") from None
