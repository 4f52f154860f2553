"""Notices: deliveries that carry no fiche field, only pseudonymous ids and a request
(withdrawal, expiry, erasure). They go through the same feed and webhooks as data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

import orjson

from hub.audit.events import pseudonymise
from hub.store.delivery_repository import FEED, PENDING
from hub.store.uow import UnitOfWork


def add_notices(uow: UnitOfWork, recipients: Iterable[Any], *, event: str, subject: str,
                porteur_id: str | None, fiche_pk: int | None,
                document: dict[str, Any] | Callable[[str], dict[str, Any]],
                now: dt.datetime, secret: bytes) -> list[str]:
    """One notice per recipient member (rows of `members`), queued in its feed order;
    returns the recipients' ids. `document` may be a function of the recipient's id, so a
    notice names only what that recipient already knows (hub.services.privacy.need_to_know).
    The idempotency key is stable per (member, subject, event), so a notice repeated by
    a retry or by a restore's replay is recognised by its recipient; it is keyed by
    `secret` (the hub's pseudonym key, as `delivery_key`): unkeyed, a recipient found a
    subject's hidden number (a meeting's proposal, a merge event) by trying them all."""
    rows = []
    for member in recipients:
        if not member.active:
            continue  # a member that left the network learns nothing more
        rows.append({**notice_row(member.id, bool(member.webhook_url), event=event,
                                  subject=subject, porteur_id=porteur_id, fiche_pk=fiche_pk,
                                  document=document(member.id) if callable(document)
                                  else document, now=now, secret=secret),
                     "position": uow.deliveries.next_positions(member.id, 1)})
    uow.deliveries.add_many(rows)
    ask_deletion(uow, rows)
    return [row["recipient_id"] for row in rows]


# notice -> where it names the fiches whose deliveries (`livraisons`) it asks to delete
ASKING = {"withdrawn": "source", "narrowed": "source", "unmerged": "sources"}


def ask_deletion(uow: UnitOfWork, rows: Iterable[dict[str, Any]]) -> None:
    """Mark the deliveries these notice rows ask their recipients to delete: never served
    to them again (hub.services.delivery.coverage), whatever consent comes later."""
    asked: dict[str, dict[str, list[str]]] = {}
    for row in rows:
        if row["event"] not in ASKING:
            continue
        named = orjson.loads(row["payload"]).get(ASKING[row["event"]])
        for source in [named] if isinstance(named, dict) else named or ():
            asked.setdefault(row["event"], {}).setdefault(row["recipient_id"], []).extend(
                source.get("livraisons") or ())
    for event, ids in asked.items():
        uow.deliveries.ask_deletion(ids, event)


def notice_row(member_id: str, webhook: bool, *, event: str, subject: str,
               porteur_id: str | None, fiche_pk: int | None, document: dict[str, Any],
               now: dt.datetime, secret: bytes) -> dict[str, Any]:
    """The delivery row of one notice to `member_id`, without its feed position."""
    key = notice_key(secret, member_id, subject, event)
    return {
        "recipient_id": member_id, "event": event, "porteur_id": porteur_id or "-",
        "fiche_pk": fiche_pk, "fiche_version": None, "purpose": "orientation",
        "policy_version": "-", "fields": [],
        "payload": orjson.dumps({"delivery_id": key, "evenement": event,
                                 "porteur_id": porteur_id, **document}).decode(),
        "idempotency_key": key, "channel": "webhook" if webhook else "feed",
        "status": PENDING if webhook else FEED, "attempts": 0,
        "next_attempt_at": now if webhook else None, "created_at": now,
    }


def notice_key(secret: bytes, member_id: str, subject: str, event: str) -> str:
    """A notice's delivery id (webhook-id, idempotency key): the same for the same
    (member, subject, event) under the same secret, and telling nothing of the subject."""
    return pseudonymise(f"notice|{member_id}|{subject}|{event}", secret)[:40]
