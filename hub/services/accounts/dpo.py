"""DPO credentials and who may read the access log.

A member names a DPO in the network file (`"dpo": {"portee": "reseau" | "membre"}`);
`capactif members load` then issues a credential distinct from the member's own
(token `dpo:<member>.<secret>` and an Ed25519 key, file `<member>.dpo.json`), so the
member's connectors never hold audit rights. Scopes (docs/protocol.md, "Access log"):

* `reseau`: the network's DPO, the whole log (search, any porteur's report, alerts,
  verifiable export, inclusion proofs);
* `membre`: a member's DPO, the accesses made BY its member (and the inclusion proofs
  of those entries only) and the report on accesses TO its member's fiches;
* any member, with its ordinary credential: the report on accesses to its own fiches
  (it is the controller who answers its porteurs' art. 15 requests), the signed tree
  head and consistency proofs (to witness the log).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from hub.bootstrap import Hub
from hub.errors import Forbidden
from hub.services.accounts.auth import Caller, token_hash
from hub.store.uow import UnitOfWork

NETWORK, MEMBER = "reseau", "membre"
TOKEN_PREFIX = "dpo:"


@dataclasses.dataclass(frozen=True)
class AuditScope:
    """What part of the log a caller may read: all of it, or one member's share."""

    whole_log: bool
    member_id: str


def scope_of(caller: Caller) -> AuditScope:
    """The caller's audit scope; Forbidden unless it authenticated as a DPO."""
    if caller.dpo_scope == NETWORK:
        return AuditScope(True, caller.member_id)
    if caller.dpo_scope == MEMBER:
        return AuditScope(False, caller.member_id)
    raise Forbidden(
        "Le journal d'accès se consulte avec l'identifiant DPO (« dpo:<membre> ») déclaré "
        "dans le fichier réseau.",
        "The access log is read with the DPO credential ('dpo:<member>') declared in the "
        "network file.",
    )


def require_network_dpo(caller: Caller) -> None:
    if not scope_of(caller).whole_log:
        raise Forbidden("Réservé au DPO du réseau.", "Reserved to the network's DPO.")


def sync_credentials(hub: Hub, uow: UnitOfWork, members: Iterable[dict[str, Any]],
                     folder: Path, rotate: bool, issue: Any, write: Any) -> list[str]:
    """Issue, update or revoke DPO credentials for the network file's members; returns
    the members whose DPO got a new credential. `issue`/`write` are members.py's helpers."""
    auditors, now, issued = uow.auditors, hub.clock(), []
    declared = [m for m in members if m.get("dpo")]
    for member in declared:
        wanted, existing = member["dpo"], auditors.get(member["id"])
        key = wanted.get("cle_publique")
        if rotate or existing is None or (key and key != existing.public_key):
            credentials = issue({"cle_publique": key})
            auditors.save(member["id"], wanted["portee"], token_hash(credentials["secret"]),
                          credentials["public_key"], now)
            write(folder, member["id"], credentials, hub, stem=f"{member['id']}.dpo",
                  token=f"{TOKEN_PREFIX}{member['id']}.{credentials['secret']}")
            issued.append(member["id"])
        elif existing.scope != wanted["portee"]:
            auditors.set_scope(member["id"], wanted["portee"], now)
    auditors.keep_only(m["id"] for m in declared)
    return issued

