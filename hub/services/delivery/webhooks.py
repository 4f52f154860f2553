"""Dispatch webhook deliveries, and replay and list the dead-lettered ones. Deliveries
leave signed by the hub, in feed order per recipient and always in order per fiche
(`hub.services.delivery.webhook_sending`: one sending run, its retries, probes and
outcomes; `hub.services.delivery.webhook_post`: one signed POST).

One sender thread per due recipient, each holding a renewed lease on that recipient
(`hub.services.delivery.delivery_lease`), so a slow or failing recipient never delays the others
and two workers never send the same recipient's deliveries at once. In a worker the
senders are threads of their own (`start_dispatch`): sending never holds a worker slot,
so ingest is never starved by a slow recipient.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from hub.audit.rows import as_utc
from hub.bootstrap import Hub
from hub.domain.ids import MAX_INT64
from hub.errors import BadRequest, UnknownMember
from hub.services.delivery.delivery_lease import RecipientLease
from hub.services.delivery.webhook_post import sign_webhook
from hub.services.delivery.webhook_sending import STOPPING, DispatchSummary, send_in_order
from hub.store.uow import UnitOfWork
from hub.webhook_session import cancelling

__all__ = ["DispatchSummary", "Replay", "dead_by_member", "dead_letter_page", "dead_letters",
           "dispatch_webhooks", "replay_dead", "sign_webhook", "start_dispatch", "stop_senders",
           "stopping"]

log = logging.getLogger(__name__)


def dispatch_webhooks(hub: Hub) -> DispatchSummary:
    """Send every due webhook delivery now and wait; returns what happened."""
    total = DispatchSummary()
    due = _due(hub)
    if not due:
        return total
    with ThreadPoolExecutor(max_workers=min(hub.settings.webhook_senders, len(due)),
                            thread_name_prefix="webhook") as pool:
        for summary in pool.map(lambda member: _dispatch_recipient(hub, member), due):
            total.add(summary)
    return total


_senders: dict[str, threading.Thread] = {}
_senders_lock = threading.Lock()
_STOP_WAIT_S = 60.0  # a sender finishes its POST under way (HUB_WEBHOOK_TIMEOUT_S at most)


def start_dispatch(hub: Hub) -> int:
    """Start a sender thread for each due recipient this process is not sending to yet
    (at most HUB_WEBHOOK_SENDERS at once) and return at once; returns how many started."""
    if STOPPING.is_set():
        return 0
    due = _due(hub)
    started = 0
    with _senders_lock:
        for member_id in [m for m, thread in _senders.items() if not thread.is_alive()]:
            del _senders[member_id]
        for member_id in due:
            if STOPPING.is_set():  # checked under the lock: a sender started is joined
                break
            if member_id in _senders or len(_senders) >= hub.settings.webhook_senders:
                continue
            thread = threading.Thread(target=_send_logged, args=(hub, member_id), daemon=True,
                                      name=f"webhook-{member_id}")
            _senders[member_id] = thread
            thread.start()
            started += 1
    return started


def stop_senders() -> None:
    """The process is stopping: each sender finishes the POST under way, commits its
    outcomes with their access events and gives its lease back, so another worker may
    take the recipient over at once instead of when the lease would end."""
    STOPPING.set()
    with _senders_lock:
        threads = list(_senders.values())
    deadline = time.monotonic() + _STOP_WAIT_S
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))


def stopping(wait_s: float) -> bool:
    """Wait up to `wait_s` seconds; True once the process is stopping its senders."""
    return STOPPING.wait(wait_s)


def _due(hub: Hub) -> list[str]:
    """Recipients with a delivery due and no sender holding their lease: every worker's
    timer asks (`hub.services.ops.worker_timers`), and a recipient another worker
    sends to costs it no thread nor claim."""
    with hub.read_uow() as uow:
        now = hub.clock()
        due = uow.deliveries.due_recipients(now)
        held = uow.deliveries.leased_recipients(due, now)
    return [member_id for member_id in due if member_id not in held]


def _send_logged(hub: Hub, member_id: str) -> None:
    try:
        _dispatch_recipient(hub, member_id)
    except Exception as exc:  # a background thread: log, the periodic dispatch tries again
        log.warning("webhook sending to %s stopped (%s); the next dispatch resumes it",
                    member_id, type(exc).__name__)


def _dispatch_recipient(hub: Hub, member_id: str) -> DispatchSummary:
    summary = DispatchSummary()
    lease = RecipientLease(hub, member_id)
    if not lease.acquire():
        return summary
    try:
        with hub.uow() as uow:
            member = uow.members.get(member_id)
            if member is not None and not member.active:
                # planned by a worker that read the network just before the member left
                summary.cancelled += sum(uow.deliveries.cancel_for_recipient(member_id).values())
                uow.commit()
        if member is not None and member.active:  # one that left gets nothing, ever
            with cancelling(lease.posts):  # cut off if the lease may end meanwhile
                send_in_order(hub, member, lease, summary)
    finally:
        lease.release()
    return summary


@dataclasses.dataclass(frozen=True)
class Replay:
    """What a replay did: dead letters put back in line, and those settled instead: as
    superseded (a later version of their fiche was sent to the recipient or waits to be:
    sent after it, the older data would replace it; a notice, that data would be deleted),
    or as erased (their data was erased since: nothing left to send)."""

    replayed: int
    superseded: int
    erased: int = 0


def replay_dead(hub: Hub, *, delivery_id: int | None = None, member_id: str | None = None) -> Replay:
    """Put dead-lettered deliveries back in line: one member's (`delivery_id`: one of
    them, by its position in that member's line), or all (the operator; `delivery_id`:
    one by the hub's own id); never data older than a version of its fiche already sent
    or pending for the same recipient, nor a notice about fiches it was sent data of
    since (settled as superseded: per-fiche order), nor data erased since (settled as
    erased: never read nor sent)."""
    if delivery_id is not None and not 1 <= delivery_id <= MAX_INT64:
        raise BadRequest(f"L'identifiant d'une livraison est entre 1 et {MAX_INT64}.",
                         f"A delivery id is between 1 and {MAX_INT64}.")
    with hub.uow() as uow:
        _known(uow, member_id)
        if member_id is not None and delivery_id is not None:
            _within_line(uow, member_id, delivery_id)
        done = uow.deliveries.replay(hub.clock(), delivery_id=delivery_id,
                                     recipient_id=member_id)
        uow.commit()
    if done.replayed:
        hub.publisher.request_dispatch_safely()
    return Replay(done.replayed, done.superseded, done.erased)


def _within_line(uow: UnitOfWork, member_id: str, position: int) -> None:
    """BadRequest for a position past the member's last: most likely one of the hub's
    global delivery numbers, the dead letters' `id` before they were positions."""
    if position > uow.deliveries.last_position(member_id):
        raise BadRequest("« delivery_id » est la position d'une livraison dans la file du membre "
                         "(l'« id » de GET /v1/deliveries/dead), pas un numéro global du hub : "
                         "aucune livraison n'a cette position.",
                         "'delivery_id' is a delivery's position in the member's line (the "
                         "'id' of GET /v1/deliveries/dead), not a hub-wide number: no delivery "
                         "has that position.")


def _known(uow: UnitOfWork, member_id: str | None) -> None:
    """UnknownMember unless `member_id` is None or a member of the network (its message
    never repeats the id: the caller knows what it sent, and names where)."""
    if member_id is not None and uow.members.get(member_id) is None:
        raise UnknownMember()


def dead_letter_page(hub: Hub, member_id: str | None = None, *, after: int = 0,
                     limit: int = 500, porteurs: bool = True) -> dict[str, Any]:
    """One page of dead-lettered deliveries after `after`, with the total count and the
    `suivant` cursor of the next page (None on the last one). A member's are numbered by
    their positions in its own line (`id`, as in its feed), never by the hub's delivery
    numbers, whose gaps would tell it how many deliveries the others got; everyone's
    (`member_id` None: the operator) by the hub's. `porteurs` False: no `porteur_id`
    (the coordination reading another member's)."""
    if not 1 <= limit <= 1000 or not 0 <= after <= MAX_INT64:
        raise BadRequest(f"limit doit être entre 1 et 1000 et after entre 0 et {MAX_INT64}.",
                         f"limit must be between 1 and 1000 and after between 0 and {MAX_INT64}.")
    with hub.uow() as uow:
        _known(uow, member_id)
        rows = uow.deliveries.dead(member_id, limit=limit + 1, after_id=after)
        total = uow.deliveries.dead_count(member_id)
    more = len(rows) > limit
    rows = rows[:limit]
    lines = [{"id": r.id if member_id is None else r.position, "delivery_id": r.idempotency_key,
              "destinataire": r.recipient_id, "evenement": r.event,
              "porteur_id": r.porteur_id if porteurs else None, "tentatives": r.attempts,
              "erreur": r.last_error, "cree_le": as_utc(r.created_at).isoformat()} for r in rows]
    return {"total": total, "suivant": lines[-1]["id"] if more else None, "livraisons": lines}


def dead_by_member(hub: Hub) -> dict[str, int]:
    """How many dead letters each member has (what the coordination follows up)."""
    with hub.uow() as uow:
        return uow.deliveries.dead_by_recipient()


def dead_letters(hub: Hub, member_id: str | None = None) -> list[dict[str, Any]]:
    """The first page of dead-lettered deliveries (see `dead_letter_page`)."""
    return list(dead_letter_page(hub, member_id)["livraisons"])
