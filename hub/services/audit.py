"""The access log as the services use it: events for every disclosure and sensitive
action, pseudonymous ids only, appended in batches after the business transaction;
signed heads, proofs, search, the per-porteur access report and the export."""

from __future__ import annotations

import collections
import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from hub.audit.events import AccessEvent, pseudonymise
from hub.audit.heads import HeadSigner, head_to_dict
from hub.bootstrap import Hub
from hub.errors import Forbidden


def porteur_ref(hub: Hub, porteur_id: str | None) -> str | None:
    return pseudonymise(porteur_id, hub.pseudonym_key) if porteur_id else None


def fiche_ref(hub: Hub, member_id: str, fiche_id: str) -> str:
    return pseudonymise(f"{member_id}/{fiche_id}", hub.pseudonym_key)


def event(hub: Hub, action: str, actor: str, *, outcome: str = "allowed",
          porteur_id: str | None = None, fiches: Iterable[tuple[str, str]] = (),
          fields: Iterable[str] = (), purpose: str | None = None,
          policy_version: str | None = None, user: str | None = None) -> AccessEvent:
    """An access event naming only pseudonyms and field names, never values."""
    return AccessEvent(
        at=hub.clock(), actor_member=actor, action=action, outcome=outcome, actor_user=user,
        porteur_ref=porteur_ref(hub, porteur_id),
        fiche_refs=tuple(fiche_ref(hub, m, f) for m, f in fiches), fields=tuple(fields),
        purpose=purpose, policy_version=policy_version)


def record(hub: Hub, events: list[AccessEvent]) -> None:
    """Append a batch of events (one transaction). Called after the business commit."""
    if events:
        hub.audit.append_many(events)


def publish_head(hub: Hub) -> dict[str, Any]:
    head = hub.audit.publish_head(HeadSigner(hub.hub_key.private_key))
    return head_to_dict(head)


def latest_head(hub: Hub) -> dict[str, Any] | None:
    head = hub.audit.latest_head()
    return head_to_dict(head) if head else None


def export(hub: Hub, target: str | Path | IO[str], actor: str) -> int:
    """Export the whole log as JSONL (entries and signed heads) for the offline verifier."""
    record(hub, [event(hub, "audit_export", actor)])
    publish_head(hub)
    return hub.audit.export(target)


def search(hub: Hub, actor: str, *, porteur_id: str | None = None, member: str | None = None,
           action: str | None = None, since: dt.datetime | None = None,
           until: dt.datetime | None = None, limit: int = 1000) -> list[dict[str, Any]]:
    found = hub.audit.search(porteur_ref=porteur_ref(hub, porteur_id), member=member,
                             action=action, since=since, until=until, limit=limit)
    record(hub, [event(hub, "audit_view", actor, porteur_id=porteur_id)])
    return [_event_dict(e) for e in found]


def access_report(hub: Hub, actor: str, porteur_id: str) -> dict[str, Any]:
    """GDPR art. 15: which members received which fields of this porteur, when, why."""
    found = hub.audit.search(porteur_ref=porteur_ref(hub, porteur_id), limit=100_000)
    with hub.uow() as uow:
        names = {m.id: m.name for m in uow.members.all()}
    received: dict[str, dict[str, Any]] = collections.defaultdict(
        lambda: {"champs": set(), "finalites": set(), "acces": 0, "premier": None, "dernier": None})
    for item in found:
        if item.outcome != "allowed" or item.action not in {"webhook_delivery", "feed_pull",
                                                            "api_read", "porteur_view",
                                                            "console_view"}:
            continue
        entry = received[item.actor_member]
        entry["champs"].update(item.fields)
        if item.purpose:
            entry["finalites"].add(item.purpose)
        entry["acces"] += 1
        entry["premier"] = entry["premier"] or item.at.isoformat()
        entry["dernier"] = item.at.isoformat()
    record(hub, [event(hub, "audit_view", actor, porteur_id=porteur_id)])
    return {"porteur_id": porteur_id, "destinataires": [
        {"membre": member, "nom": names.get(member, member), "champs": sorted(e["champs"]),
         "finalites": sorted(e["finalites"]), "acces": e["acces"], "premier_acces": e["premier"],
         "dernier_acces": e["dernier"]}
        for member, e in sorted(received.items())]}


def require_auditor(role: str) -> None:
    """The access log is read by the network's coordination (DPO tools come with the console)."""
    if role != "coordination":
        raise Forbidden("Le journal d'accès est réservé à la coordination du réseau et aux DPO.",
                        "The access log is reserved to the network's coordination and DPOs.")


def _event_dict(item: AccessEvent) -> dict[str, Any]:
    return {"seq": item.seq, "at": item.at.isoformat(), "membre": item.actor_member,
            "utilisateur": item.actor_user, "action": item.action, "resultat": item.outcome,
            "porteur_ref": item.porteur_ref,
            "fiches": list(item.fiche_refs), "champs": list(item.fields),
            "finalite": item.purpose, "politique": item.policy_version}
