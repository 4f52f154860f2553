"""`/v1/audit`: search, per-porteur report, signed tree head, proofs, export."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from hub.api.auth import Authenticated, authenticated, hub_of
from hub.keys import b64url
from hub.services import audit

router = APIRouter(prefix="/v1/audit", tags=["journal d'accès"])


@router.get("")
async def search(request: Request, porteur: str | None = None, membre: str | None = None,
                 action: str | None = None, depuis: dt.datetime | None = None,
                 jusqu_a: dt.datetime | None = None, limit: int = Query(1000, ge=1, le=10000),
                 auth: Authenticated = Depends(authenticated)) -> Any:
    """Access events by porteur, member, action and period (coordination / DPO)."""
    audit.require_auditor(auth.caller.role)
    found = await run_in_threadpool(
        lambda: audit.search(hub_of(request), auth.caller.member_id, porteur_id=porteur,
                             member=membre, action=action, since=depuis, until=jusqu_a,
                             limit=limit))
    return {"evenements": found}


@router.get("/report/{porteur_id}")
async def report(porteur_id: str, request: Request,
                 auth: Authenticated = Depends(authenticated)) -> Any:
    """GDPR art. 15: which members received which fields of a porteur, when and why."""
    audit.require_auditor(auth.caller.role)
    return await run_in_threadpool(audit.access_report, hub_of(request), auth.caller.member_id,
                                   porteur_id)


@router.get("/tree-head")
async def tree_head(request: Request, auth: Authenticated = Depends(authenticated)) -> Any:
    """The latest signed tree head (any member may fetch it, to witness it)."""
    head = await run_in_threadpool(audit.latest_head, hub_of(request))
    return {"tete": head}


@router.get("/proofs/inclusion/{seq}")
async def inclusion(seq: int, request: Request, size: int | None = None,
                    auth: Authenticated = Depends(authenticated)) -> Any:
    audit.require_auditor(auth.caller.role)
    proof = await run_in_threadpool(hub_of(request).audit.inclusion_proof, seq, size)
    return {"seq": seq, "taille": size, "preuve": [b64url(node) for node in proof]}


@router.get("/proofs/consistency")
async def consistency(request: Request, first: int, second: int | None = None,
                      auth: Authenticated = Depends(authenticated)) -> Any:
    audit.require_auditor(auth.caller.role)
    proof = await run_in_threadpool(hub_of(request).audit.consistency_proof, first, second)
    return {"premiere": first, "seconde": second, "preuve": [b64url(node) for node in proof]}


@router.get("/export")
async def export(request: Request, auth: Authenticated = Depends(authenticated)) -> Response:
    """The whole log as JSONL (entries and signed heads) for `capactif audit verify`."""
    audit.require_auditor(auth.caller.role)
    buffer = io.StringIO()
    await run_in_threadpool(audit.export, hub_of(request), buffer, auth.caller.member_id)
    return Response(buffer.getvalue(), media_type="application/x-ndjson")
