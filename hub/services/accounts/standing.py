"""A member's standing in the network as the recovery journal keeps it (hub.journal,
`members`), so that a restore does not undo it.

A network load, a credential rotation and a change of subscriptions decide who is in the
network, with which credentials, role, webhook, territory and subscriptions. A copy of
the store taken before holds the former standing: restored as it was, a member that left
would be back with its credentials and subscriptions and sent the next fiches, a
credential revoked at once (leaked) would be valid again and the one issued in its place
refused, a subscription given up would route again what the member gave up. Each such
change journals, before its commit, the standing of the members it touched (hashes,
public keys and settings; never a secret, a name nor a contact), and a restore puts it
back: a departure or a readmission with all it withdraws (departures), the credentials
and the DPO credential as they were issued, revoked or rotated.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from typing import Any

from hub.bootstrap import Hub
from hub.services.accounts import departures
from hub.store.uow import UnitOfWork

KIND = "members"
ACTIVE, LEFT = "active", "left"
_SETTINGS = ("kind", "role", "webhook_url", "territory")
_CREDENTIALS = ("token_hash", "public_key", "previous_token_hash", "previous_public_key",
                "previous_valid_until")


@dataclasses.dataclass
class Replayed:
    """What a restore put back, by member id (`missing`: members the copy does not know,
    added after it: loading the network file again adds them, with new credentials)."""

    members: list[str] = dataclasses.field(default_factory=list)
    departures: list[str] = dataclasses.field(default_factory=list)
    readmissions: list[str] = dataclasses.field(default_factory=list)
    credentials: list[str] = dataclasses.field(default_factory=list)
    missing: list[str] = dataclasses.field(default_factory=list)


def journal(uow: UnitOfWork, member_ids: Iterable[str], now: dt.datetime, *, by: str,
            actor: str) -> None:
    """Before the commit: the standing the caller's transaction gives `member_ids`; `by`
    decided it, `actor` is the member a departure or a readmission is logged under."""
    uow.decisions.journal(KIND, {"par": by, "acteur": actor, "membres": {
        member_id: _standing(uow, member_id) for member_id in sorted(set(member_ids))}}, now)


def _standing(uow: UnitOfWork, member_id: str) -> dict[str, Any]:
    member = uow.members.get(member_id)
    assert member is not None, member_id  # journaled in the transaction that wrote it
    if not member.active:
        return {"statut": LEFT, "left_at": _text(member.left_at), "left_by": member.left_by}
    auditor = uow.auditors.get(member_id)
    return {"statut": ACTIVE, **{name: getattr(member, name) for name in _SETTINGS},
            "credentials": {name: _text(getattr(member, name)) for name in _CREDENTIALS},
            "dpo": None if auditor is None else {
                "scope": auditor.scope, "token_hash": auditor.token_hash,
                "public_key": auditor.public_key},
            "subscriptions": [[s.criteria, s.source]
                              for s in uow.deliveries.subscriptions_of(member_id)]}


def replay(hub: Hub, uow: UnitOfWork, entry: dict[str, Any], replayed: Replayed) -> None:
    """A restore: the standing of `entry` put back in the restored store, in the replay's
    transaction; a member that left since leaves again, one readmitted comes back."""
    now = hub.clock()
    for member_id, standing in sorted(entry["membres"].items()):
        member = uow.members.get(member_id)
        if member is None:
            replayed.missing.append(member_id)
            continue
        _add(replayed.members, member_id)
        if standing["statut"] == LEFT:
            if member.active:
                departures.leave(hub, uow, member_id, _time(standing["left_at"]) or now,
                                 standing["left_by"], entry["acteur"])
                _add(replayed.departures, member_id)
            continue
        if not member.active:
            departures.readmit(hub, uow, member_id, now, entry["par"], entry["acteur"])
            _add(replayed.readmissions, member_id)
            member = uow.members.get(member_id)
        credentials = {name: standing["credentials"][name] for name in _CREDENTIALS}
        credentials["previous_valid_until"] = _time(credentials["previous_valid_until"])
        if member is None or any(getattr(member, name) != credentials[name]
                                 for name in ("token_hash", "public_key")):
            _add(replayed.credentials, member_id)
        uow.members.put_standing(member_id, {
            **{name: standing[name] for name in _SETTINGS}, **credentials, "updated_at": now})
        _put_dpo(uow, member_id, standing["dpo"], now)
        uow.deliveries.put_subscriptions(
            member_id, [(criteria, source) for criteria, source in standing["subscriptions"]],
            now)


def _put_dpo(uow: UnitOfWork, member_id: str, dpo: dict[str, Any] | None,
             now: dt.datetime) -> None:
    if dpo is None:
        uow.auditors.revoke(member_id)
    else:
        uow.auditors.save(member_id, dpo["scope"], dpo["token_hash"], dpo["public_key"], now)


def _add(listed: list[str], member_id: str) -> None:
    if member_id not in listed:
        listed.append(member_id)


def _text(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.datetime) else value


def _time(text: str | None) -> dt.datetime | None:
    return None if text is None else dt.datetime.fromisoformat(text)
