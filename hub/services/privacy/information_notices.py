"""Information notices members show porteurs before their consent (`/v1/notices`,
`capactif notices`). Not to be confused with `notices.py` (withdrawal and erasure
notices sent as deliveries).

Need-to-know: a notice holds no personal data; it is the public text every porteur
is given (GDPR art. 13), and a member relying on a consent must be able to read the
notice it cites. So any member credential reads any notice by version; the list shows
the caller's own notices; only members register. DPO credentials serve the audit
only and get 403 here.

Who registered a notice, and when, is the registering member's: another member reads
the text, its language, purposes and SHA-256, not `membre` nor `enregistree_le` (a
notice of the operator's shows both: it is the network's). The same text registered by
two members is two notices, each answered to its own member only.
"""

from __future__ import annotations

from typing import Any

from hub.bootstrap import Hub
from hub.errors import Forbidden, NotFound, NoticeNotFound
from hub.services.accounts.auth import Caller

MAX_LIMIT = 500


def register_notice(hub: Hub, caller: Caller, submission: Any) -> tuple[dict[str, Any], bool]:
    """Register a notice for `caller`: the stored notice as a document, and whether it
    is new (the same text with the same terms is the same notice)."""
    require_member_credential(caller)
    notice, created = hub.consents.register_notice(submission, caller.member_id)
    return notice.as_document(), created


def register_for(hub: Hub, member_id: str | None, submission: Any) -> tuple[dict[str, Any], bool]:
    """The operator registers a notice in a member's name (None: its own)."""
    if member_id is not None:
        with hub.uow() as uow:
            if uow.members.get(member_id) is None:
                raise NotFound("Aucun membre ne porte cet identifiant.", "No member has this id.")
    notice, created = hub.consents.register_notice(submission, member_id)
    return notice.as_document(), created


def read_notice(hub: Hub, caller: Caller | None, version: int) -> dict[str, Any]:
    if caller is not None:
        require_member_credential(caller)
    notice = hub.consents.notice(version)
    if notice is None:
        raise NoticeNotFound("Aucune notice ne porte cette version.", "No notice has this version.")
    document = notice.as_document()
    if caller is not None and notice.member_id not in (None, caller.member_id):
        for owners_only in ("membre", "enregistree_le"):
            del document[owners_only]
    return document


def list_notices(hub: Hub, caller: Caller, after: int, limit: int) -> dict[str, Any]:
    """The caller's notices by version, after version `after`."""
    require_member_credential(caller)
    return list_notices_of(hub, caller.member_id, after, limit)


def list_notices_of(hub: Hub, member_id: str | None, after: int, limit: int) -> dict[str, Any]:
    """A member's notices (None: the operator's) by version, after version `after`."""
    found = hub.consents.notices_of(member_id, after, limit + 1)  # one past: has_more
    more, found = len(found) > limit, found[:limit]
    return {"notices": [n.as_document() for n in found],
            "next_after": found[-1].version if found else after, "has_more": more}


def require_member_credential(caller: Caller) -> None:
    """403 for a DPO credential: it serves the audit only."""
    if caller.dpo_scope is not None:
        raise Forbidden("Un identifiant DPO sert à l'audit : utilisez l'identifiant du membre.",
                        "A DPO credential serves the audit: use the member's credential.")
