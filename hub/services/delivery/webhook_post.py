"""One signed webhook POST: the hub's signature headers, the POST itself (a redirect
never followed, the answer's body read up to a small bound, a `Retry-After` read), and
whether a failed one may have carried the document out."""

from __future__ import annotations

import base64
import time
from typing import Any

import requests
from urllib3.exceptions import NewConnectionError

from hub.bootstrap import Hub
from hub.keys import b64url
from hub.store.records import Delivery, Member
from hub.webhook_session import cut_off, post_done, retry_after_s, skim

TIMED_OUT = "network_ReadTimeout"
CUT_OFF = "network_cut_off"  # the POST was cut off: no answer, whatever part of one came


def sign_webhook(hub: Hub, body: bytes, msg_id: str, timestamp: int | None = None) -> dict[str, str]:
    """Headers of a hub-signed webhook: Standard Webhooks `v1a` (Ed25519 over
    `msg_id.timestamp.body`; during a key rotation, one signature per key: the current one
    and the announced next one), and until HUB_LEGACY_SIGNATURES_UNTIL also the former
    X-Capactif-Signature (Ed25519 over `timestamp + "\\n" + body`)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    content = f"{msg_id}.{ts}.".encode() + body
    standard = " ".join("v1a," + base64.b64encode(key.sign(content)).decode("ascii")
                        for key in hub.hub_keys.signing_keys())  # + the announced next key
    headers = {"webhook-id": msg_id, "webhook-timestamp": ts, "webhook-signature": standard,
               "X-Capactif-Key-Id": hub.hub_key.key_id, "Content-Type": "application/json"}
    if hub.clock() < hub.settings.legacy_signatures_end:
        headers["X-Capactif-Timestamp"] = ts
        headers["X-Capactif-Signature"] = b64url(hub.hub_key.sign(ts.encode() + b"\n" + body))
    return headers


def post(hub: Hub, member: Member, delivery: Delivery) -> tuple[int, str, float | None, bool]:
    """(status, error code, seconds the recipient asked to wait, whether the request may
    have gone out) of one POST."""
    body = delivery.document.encode()
    headers = sign_webhook(hub, body, delivery.idempotency_key)
    headers["Idempotency-Key"] = delivery.idempotency_key
    headers["X-Capactif-Delivery-Id"] = delivery.idempotency_key
    settings = hub.settings
    try:  # a URL removed since planning fails as a network error (MissingSchema), retried
        # A redirect is not followed: the delivery would go, signed, wherever the
        # member's endpoint points (another host, an address inside the hub's network)
        # and be logged as delivered to the member. A 3xx is a failed attempt.
        response = hub.webhook_session.post(
            member.webhook_url or "", data=body, headers=headers, allow_redirects=False,
            timeout=(settings.webhook_connect_timeout_s, settings.webhook_timeout_s),
            stream=True)
        skim(response)  # the body is read up to a small bound, never whole
    except requests.RequestException as exc:
        # cut off before its status line came whole, the POST fails as a connection
        # error: it is a cut-off all the same (the next try waits a read timeout)
        if cut_off():
            return 0, CUT_OFF, None, True
        if isinstance(exc, requests.ReadTimeout):
            return 0, TIMED_OUT, None, True
        return 0, f"network_{type(exc).__name__}", None, may_have_sent(exc)
    finally:
        post_done()
    if cut_off():
        return 0, CUT_OFF, None, True
    asked = retry_after_s(response.headers.get("Retry-After"), time.time())
    return response.status_code, f"http_{response.status_code}", asked, True


_NOTHING_SENT = (requests.ConnectTimeout, requests.exceptions.SSLError,
                 requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                 requests.exceptions.InvalidSchema)


def may_have_sent(exc: requests.RequestException) -> bool:
    """False only when the POST failed before its request could go out: no URL, a
    connection never made (refused, a name not found, a connect timeout, a TLS
    handshake failed); a connection reset or closed after sending may have carried it."""
    if isinstance(exc, _NOTHING_SENT):
        return False
    return not _caused_by(exc, NewConnectionError)


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    """Whether `kind` is among the errors `exc` wraps (requests and urllib3 wrap their
    causes in `args`, `reason`, `__cause__` and `__context__`)."""
    seen: set[int] = set()
    todo: list[Any] = [exc]
    while todo:
        item = todo.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        if isinstance(item, kind):
            return True
        seen.add(id(item))
        todo += [*item.args, getattr(item, "reason", None), item.__cause__, item.__context__]
    return False
