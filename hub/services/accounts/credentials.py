"""One purpose per credential: a DPO credential (`dpo:<member>`) reads the access log
and follows acknowledgements, nothing else; a member's operational credential runs
its exchanges and never reads the log (docs/protocol.md, "One purpose per credential")."""

from __future__ import annotations

import re

from hub.bootstrap import Hub
from hub.errors import Forbidden
from hub.services.accounts.auth import Caller
from hub.services.audit import trail as audit

DPO_USER = "dpo"  # actor user of every event a DPO credential causes
# What a DPO credential may call (GET only): the log, and the acknowledgement follow-up.
_DPO_ROUTES = re.compile(r"^/v1/(audit(/.*)?|consents/[^/]+/acks|erasures/[^/]+)$")


def require_purpose(hub: Hub, caller: Caller, method: str, path: str) -> None:
    """Forbidden (403) for a DPO credential outside the audit routes; the refusal is
    logged in the DPO's name."""
    if caller.dpo_scope is None or (method in {"GET", "HEAD"} and _DPO_ROUTES.match(path)):
        return
    audit.record(hub, [audit.event(hub, "login", caller.member_id, outcome="denied",
                                   user=DPO_USER)])
    raise Forbidden(
        "Un identifiant DPO ne sert qu'à consulter le journal d'accès et le suivi des "
        "accusés de réception ; utilisez l'identifiant opérationnel du membre.",
        "A DPO credential only reads the access log and the acknowledgement follow-up; "
        "use the member's operational credential.")
