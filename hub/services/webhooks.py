"""Send webhook deliveries: signed by the hub, in order per recipient, retried with
exponential backoff and jitter on 5xx and network errors, never on 4xx, and
dead-lettered after the retry budget (replayable).

One thread per due recipient, each holding a lease on that recipient, so a slow
or failing recipient never delays the others and two workers never send the
same recipient's deliveries at once.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import functools
import random
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import orjson
import requests
from requests.adapters import HTTPAdapter

from hub.bootstrap import Hub
from hub.keys import b64url
from hub.services import audit
from hub.services.deliveries import still_covered
from hub.store.delivery_repository import CANCELLED, DEAD, SENT

_LEASE = dt.timedelta(minutes=5)
_PAGE = 50
_RETRYABLE_4XX = {408, 425, 429}


@dataclasses.dataclass
class DispatchSummary:
    sent: int = 0
    failed: int = 0
    dead: int = 0
    cancelled: int = 0
    events: list[Any] = dataclasses.field(default_factory=list)

    def add(self, other: DispatchSummary) -> None:
        for name in ("sent", "failed", "dead", "cancelled"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def dispatch_webhooks(hub: Hub) -> DispatchSummary:
    """Send every due webhook delivery; returns what happened."""
    with hub.uow() as uow:
        due = uow.deliveries.due_recipients(hub.clock())
    total = DispatchSummary()
    if not due:
        return total
    with ThreadPoolExecutor(max_workers=min(8, len(due)), thread_name_prefix="webhook") as pool:
        for summary in pool.map(lambda member: _dispatch_recipient(hub, member), due):
            total.add(summary)
    return total


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


def backoff_delay(hub: Hub, attempts: int, rng: random.Random | None = None) -> float:
    """Exponential backoff with full jitter between half and the whole delay."""
    settings = hub.settings
    ceiling = min(settings.webhook_retry_max_s, settings.webhook_retry_base_s * 2 ** (attempts - 1))
    return ceiling * (0.5 + 0.5 * (rng or random).random())


def _dispatch_recipient(hub: Hub, member_id: str) -> DispatchSummary:
    summary = DispatchSummary()
    with hub.uow() as uow:
        if not uow.deliveries.claim_recipient(member_id, hub.clock(), _LEASE):
            return summary
        member = uow.members.get(member_id)
        uow.commit()
    try:
        _send_in_order(hub, member, summary)
    finally:
        with hub.uow() as uow:
            uow.deliveries.release_recipient(member_id)
            uow.commit()
        audit.record(hub, summary.events)
    return summary


def _send_in_order(hub: Hub, member: Any, summary: DispatchSummary) -> None:
    """Send the recipient's pending deliveries page by page, in feed order. Outcomes of a
    page are written in one transaction; a crash before that re-sends deliveries that
    carry the same idempotency key, which recipients use to ignore repeats."""
    while True:
        with hub.uow() as uow:
            page = uow.deliveries.next_pending(member.id, _PAGE)
            sources = uow.fiches.sources_of(
                (d.fiche_pk, d.fiche_version) for d in page
                if d.fiche_pk is not None and d.fiche_version is not None)
        if not page:
            return
        outcomes: list[tuple[int, dict[str, Any]]] = []
        try:
            if not _send_page(hub, member, page, sources, outcomes, summary):
                return
        finally:
            _record_all(hub, outcomes)


def _send_page(hub: Hub, member: Any, page: list[Any], sources: dict[Any, Any],
               outcomes: list[tuple[int, dict[str, Any]]], summary: DispatchSummary) -> bool:
    """True when the whole page was dealt with and the next page may follow."""
    for delivery in page:
        now = hub.clock()
        if delivery.next_attempt_at is not None and _aware(delivery.next_attempt_at) > now:
            return False  # the head of the line waits: later deliveries keep their order
        if not _still_allowed(hub, member, delivery, sources):
            outcomes.append((delivery.id, {"status": CANCELLED,
                                           "last_error": "consent_no_longer_covers"}))
            summary.cancelled += 1
            continue
        if not _attempt(hub, member, delivery, outcomes, summary):
            return False
    return True


def _still_allowed(hub: Hub, member: Any, delivery: Any, sources: dict[Any, Any]) -> bool:
    source = sources.get((delivery.fiche_pk, delivery.fiche_version))
    decision = still_covered(hub, delivery, source, member.id, member.role)
    return decision is None or decision.allowed


def _attempt(hub: Hub, member: Any, delivery: Any, outcomes: list[tuple[int, dict[str, Any]]],
             summary: DispatchSummary) -> bool:
    """POST one delivery; True when the line may move on to the next one."""
    body = delivery.payload.encode()
    headers = sign_webhook(hub, body, delivery.idempotency_key)
    headers["Idempotency-Key"] = delivery.idempotency_key
    headers["X-Capactif-Delivery-Id"] = delivery.idempotency_key
    attempts = delivery.attempts + 1
    try:
        response = _session().post(member.webhook_url, data=body, headers=headers,
                                   timeout=(3.05, hub.settings.webhook_timeout_s))
        status, error = response.status_code, f"http_{response.status_code}"
        response.close()
    except requests.RequestException as exc:
        status, error = 0, f"network_{type(exc).__name__}"
    now = hub.clock()
    if 200 <= status < 300:
        outcomes.append((delivery.id, {"status": SENT, "attempts": attempts, "sent_at": now,
                                       "last_error": None}))
        summary.sent += 1
        summary.events.append(_disclosed(hub, member, delivery))
        return True
    given_up = (now - _aware(delivery.created_at)).total_seconds() > hub.settings.webhook_give_up_after_s
    if (400 <= status < 500 and status not in _RETRYABLE_4XX) or given_up:
        outcomes.append((delivery.id, {"status": DEAD, "attempts": attempts, "last_error": error}))
        summary.dead += 1
        return True
    retry_at = now + dt.timedelta(seconds=backoff_delay(hub, attempts))
    outcomes.append((delivery.id, {"attempts": attempts, "next_attempt_at": retry_at,
                                   "last_error": error}))
    summary.failed += 1
    return False


def _disclosed(hub: Hub, member: Any, delivery: Any) -> Any:
    source = orjson.loads(delivery.payload).get("source", {})
    fiches = [(source["membre"], source["fiche_id"])] if "fiche_id" in source else []
    return audit.event(hub, "webhook_delivery", member.id, porteur_id=delivery.porteur_id,
                       fiches=fiches, fields=delivery.fields, purpose=delivery.purpose,
                       policy_version=delivery.policy_version)


def _record_all(hub: Hub, outcomes: list[tuple[int, dict[str, Any]]]) -> None:
    if not outcomes:
        return
    with hub.uow() as uow:
        for delivery_id, values in outcomes:
            uow.deliveries.set_outcome(delivery_id, **values)
        uow.commit()


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


@functools.cache
def _session() -> requests.Session:
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=16, pool_maxsize=16, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = "capactif-hub-webhooks/1"
    return session


def replay_dead(hub: Hub, *, delivery_id: int | None = None, member_id: str | None = None) -> int:
    """Put dead-lettered deliveries back in line (one, one member's, or all)."""
    with hub.uow() as uow:
        count = uow.deliveries.replay(hub.clock(), delivery_id=delivery_id, recipient_id=member_id)
        uow.commit()
    if count:
        hub.publisher.request_dispatch_safely()
    return count


def dead_letters(hub: Hub, member_id: str | None = None) -> list[dict[str, Any]]:
    with hub.uow() as uow:
        rows = uow.deliveries.dead(member_id)
    return [{"id": r.id, "destinataire": r.recipient_id, "evenement": r.event,
             "porteur_id": r.porteur_id, "tentatives": r.attempts, "erreur": r.last_error,
             "cree_le": _aware(r.created_at).isoformat()} for r in rows]
