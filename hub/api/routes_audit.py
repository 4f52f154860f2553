"""`/v1/audit`: search, reports, alerts, signed tree head, proofs, exports.

Who may call what is decided by `hub.services.accounts.dpo` (documented in docs/protocol.md):
the network's DPO reads the whole log, a member's DPO its member's share, any member
the report on its own fiches, the tree head and consistency proofs.
"""

from __future__ import annotations

import io
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse

from hub.api.auth import Authenticated, authenticated, authenticated_as, authenticated_if, hub_of
from hub.api.models import (
    Alerts,
    AuditEvents,
    ConsistencyProof,
    InclusionProof,
    Recipients,
    TreeHead,
)
from hub.api.openapi import answer, errors
from hub.api.params import (
    DIGITS,
    ActionQuery,
    FicheIdPath,
    IdPath,
    IdQuery,
    Instant,
    MemberQuery,
    OptionalCursor,
    OptionalPage,
    OptionalTreeSize,
    PathSeq,
    TreeSize,
)
from hub.errors import Forbidden
from hub.keys import b64url
from hub.services.accounts import dpo
from hub.services.accounts.auth import Caller
from hub.services.audit import alerts as audit_alerts
from hub.services.audit import trail as audit
from hub.services.privacy import discretion

router = APIRouter(prefix="/v1/audit", tags=["journal d'accès"])
_DPO = "dpo"  # actor_user of the events a DPO credential causes
# The routes only a DPO (or only the network's) may call: others are told 403 before
# their query is read.
_A_DPO = authenticated_as(dpo.scope_of)
_NETWORK_DPO = authenticated_as(dpo.require_network_dpo)


def _may_name_its_member(caller: Caller, request: Request) -> None:
    """A DPO only, and each `membre` as sent one it may read: a member's DPO naming another
    member is told 403 whatever else its query holds, as one that is no DPO."""
    dpo.scope_of(caller)
    for named in request.query_params.getlist("membre"):
        _member_filter(caller, named)


def _may_export(caller: Caller, request: Request) -> None:
    """`_may_name_its_member`, and the whole log (JSONL, no filter sent) the network's DPO
    only: a member's DPO is told 403 for it before any 422."""
    _may_name_its_member(caller, request)
    query = request.query_params
    whole = all(sent == "jsonl" for sent in query.getlist("format")) and not any(
        name in query for name in ("porteur", "membre", "action", "depuis", "jusqu_a"))
    if whole:
        dpo.require_network_dpo(caller)


_A_DPO_OF_ITS_MEMBER = authenticated_if(_may_name_its_member)
_AN_EXPORTER = authenticated_if(_may_export)


def _member_filter(caller: Caller, membre: str | None) -> str | None:
    """The member a search may cover: any for the network DPO, its own for a member DPO."""
    scope = dpo.scope_of(caller)
    if scope.whole_log or membre in (None, scope.member_id):
        return membre if scope.whole_log else scope.member_id
    raise Forbidden("Un DPO de membre ne consulte que les accès de son membre.",
                    "A member's DPO reads only its own member's accesses.")


@router.get("", responses=answer(AuditEvents, 403))
def search(request: Request, response: Response, porteur: IdQuery = None, membre: MemberQuery = None,
           action: ActionQuery = None, depuis: Instant | None = None,
           jusqu_a: Instant | None = None, limit: Annotated[int, Query(ge=1, le=10000), DIGITS] = 1000,
           page: OptionalPage = None, upto: OptionalCursor = None,
           auth: Authenticated = Depends(_A_DPO_OF_ITS_MEMBER)) -> Any:
    """Access events by porteur, member, action and period (DPO): the first `limit`,
    oldest first; with `page` (and `upto`), page by page, newest first (docs/protocol.md)."""
    member = _member_filter(auth.caller, membre)
    criteria: dict[str, Any] = {"porteur_id": porteur, "member": member, "action": action,
                                "since": depuis, "until": jusqu_a, "user": _DPO}
    hub = hub_of(request)
    if page is None and upto is None:
        # one more than asked: whether the first `limit` are all there is (`complet`)
        found = audit.search(hub, auth.caller.member_id, limit=limit + 1, **criteria)
        response.headers.update(audit.read_integrity(hub))
        return {"evenements": found[:limit], "complet": len(found) <= limit}
    answer = audit.search_page(hub, auth.caller.member_id, page=page or 1,
                               per_page=limit, upto=upto, **criteria)
    shown = answer["page"]
    response.headers.update(audit.read_integrity(hub))
    return {"evenements": answer["events"], "total": answer["total"], "page": shown,
            "pages": answer["pages"], "upto": answer["upto"],
            "suivant": _next_page(request, shown + 1, answer["upto"])
            if shown < answer["pages"] else None}


def _next_page(request: Request, page: int, upto: int) -> str:
    """The search as sent, at `page`, pinned to `upto` (the log's last seq at page 1)."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in {"page", "upto"}]
    return f"{request.url.path}?{urlencode([*kept, ('page', page), ('upto', upto)])}"


@router.get("/report/{porteur_id}", responses=answer(Recipients, 403))
def report(porteur_id: IdPath, request: Request,
           auth: Authenticated = Depends(_NETWORK_DPO)) -> Any:
    """GDPR art. 15: which members received which fields of a porteur, when and why
    (network DPO)."""
    return audit.access_report(
        hub_of(request), auth.caller.member_id, porteur_id, user=_DPO)


@router.get("/fiches/{fiche_id}/report", responses=answer(Recipients, 404))
def fiche_report(fiche_id: FicheIdPath, request: Request,
                 auth: Authenticated = Depends(_A_DPO)) -> Any:
    """Who received fields of one of the member's own fiches, when and why (its DPO or the
    network's: operational credentials never read the log)."""
    caller = auth.caller
    dpo.scope_of(caller)
    return discretion.fiche_report(
        hub_of(request), caller.member_id, caller.member_id, fiche_id, user=_DPO)


@router.get("/alerts", responses=answer(Alerts, 400, 403))
def alerts(request: Request, depuis: Instant | None = None,
           auth: Authenticated = Depends(_A_DPO)) -> Any:
    """Unusual access patterns (network DPO: every member; member DPO: its own)."""
    scope = dpo.scope_of(auth.caller)
    found = audit_alerts.unusual_accesses(hub_of(request), since=depuis)
    return {"alertes": [audit_alerts.alert_dict(a) for a in found
                        if scope.whole_log or a.member_id == scope.member_id]}


@router.get("/tree-head", responses=answer(TreeHead))
def tree_head(request: Request, auth: Authenticated = Depends(authenticated)) -> Any:
    """The latest signed tree head (any member may fetch it, to witness it)."""
    head = audit.latest_head(hub_of(request))
    return {"tete": head}


@router.get("/proofs/inclusion/{seq}", responses=answer(InclusionProof, 400, 403, 404))
def inclusion(seq: PathSeq, request: Request, size: OptionalTreeSize = None,
              auth: Authenticated = Depends(_A_DPO)) -> Any:
    """Proof that entry `seq` is in the log under a signed head, `size` that head's (the
    network DPO: any entry; a member's DPO: its member's own, as its search reads them;
    another, or a size no head was signed at, is 404)."""
    scope = dpo.scope_of(auth.caller)
    size, proof = audit.inclusion_proof(hub_of(request), seq, size,
                                        member=None if scope.whole_log else scope.member_id)
    return {"seq": seq, "taille": size, "preuve": [b64url(node) for node in proof]}


@router.get("/proofs/consistency", responses=answer(ConsistencyProof, 400))
def consistency(request: Request, first: TreeSize, second: OptionalTreeSize = None,
                auth: Authenticated = Depends(authenticated)) -> Any:
    """Consistency between the sizes of two signed heads, `second` by default the latest
    (any member, to witness the log); another size is 400 `not_a_signed_head_size`."""
    second, proof = audit.consistency_proof(hub_of(request), first, second)
    return {"premiere": first, "seconde": second, "preuve": [b64url(node) for node in proof]}


@router.get("/export", response_class=Response, responses={
    200: {"description": "JSONL (une ligne JSON par entrée ; sans filtre : tout le journal et ses têtes "
                         "signées) ou CSV séparé par « ; »",
          "content": {"application/x-ndjson": {"schema": {"type": "string"}},
                      "text/csv": {"schema": {"type": "string"}}}},
    **errors(403)})
def export(request: Request, format: Literal["jsonl", "csv"] = "jsonl",
           porteur: IdQuery = None, membre: MemberQuery = None,
           action: ActionQuery = None, depuis: Instant | None = None,
           jusqu_a: Instant | None = None,
           auth: Authenticated = Depends(_AN_EXPORTER)) -> Response:
    """Without filters and in JSONL: the whole log with signed heads, for
    `capactif audit verify` (network DPO); a store that no longer matches its last signed
    head is exported up to that head, with a warning in the meta line and the header
    `Capactif-Integrite: audit_integrity_error` (the verifier names the bad entry).
    Otherwise the matching events, streamed, as CSV or JSONL entry lines (each provable by
    an inclusion proof)."""
    hub, caller = hub_of(request), auth.caller
    filtered = any(v is not None for v in (porteur, membre, action, depuis, jusqu_a))
    if format == "jsonl" and not filtered:
        dpo.require_network_dpo(caller)
        buffer = io.StringIO()
        done = audit.export_whole(hub, buffer, caller.member_id, user=_DPO)
        return Response(buffer.getvalue(), media_type="application/x-ndjson",
                        headers=audit.integrity_header(done.mismatch))
    member = _member_filter(auth.caller, membre)
    chunks = audit.export_events(
        hub, caller.member_id, format, user=_DPO, porteur_id=porteur, member=member,
        action=action, since=depuis, until=jusqu_a)
    media = "text/csv; charset=utf-8" if format == "csv" else "application/x-ndjson"
    return StreamingResponse(chunks, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="journal-acces.{format}"',
        **audit.read_integrity(hub)})
