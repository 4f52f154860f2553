"""`/v1/fiches`: batch push, the owner's read, and the owner's deletion (one fiche, or
several at once)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from hub.api.auth import Authenticated, authenticated_by_body, authenticated_if, hub_of
from hub.api.bodies import json_body
from hub.api.models import ErasureDone, FicheRead, FicheWithdrawals, PushAnswer, WithdrawalsDone
from hub.api.openapi import answer, body
from hub.api.params import FicheIdPath, MemberIdPath
from hub.errors import Forbidden
from hub.services.accounts.auth import Caller, nonce_kept
from hub.services.ingest import accept as ingest
from hub.services.ingest import fiches as fiche_service
from hub.services.privacy import erasure

router = APIRouter(prefix="/v1/fiches", tags=["fiches"])


def _its_own(caller: Caller, request: Request) -> None:
    """Another member's fiche is a 403 (as the services say) whatever the query holds:
    decided from the path as sent, before the query's checks."""
    if request.path_params.get("member_id") != caller.member_id:
        raise Forbidden("Un membre ne lit ni ne supprime que ses propres fiches par cette "
                        "route ; les autres membres reçoivent les fiches par leur flux.",
                        "A member reads or deletes only its own fiches by this route; other "
                        "members receive fiches through their feed.")


_OWNER = authenticated_if(_its_own)
# Another member's fiche in the batch: 403 before the query's and the body's checks.
_PUSHER = authenticated_by_body(ingest.require_own_fiches, keep_nonce=True)

@router.post("", status_code=202, openapi_extra=body("Fiche", array_of="fiches"),
             responses=answer(PushAnswer, 403, status=202, description="Résultat par fiche"))
def push_fiches(request: Request, auth: Authenticated = Depends(_PUSHER)) -> Any:
    """Push 1 to 1000 fiches; each is validated and answered on its own
    (`accepted` with a receipt, or `rejected` with errors: JSON path, code, message)."""
    hub = hub_of(request)
    assert auth.nonce is not None
    with nonce_kept(hub, auth.nonce, auth.source):  # written with the fiches
        document = json_body(auth.body, refuse_nul=False, checked=auth.document)  # per item
        answer = ingest.push_batch(hub, auth.caller, ingest.fiches_of(document), auth.nonce)
    return JSONResponse(answer, status_code=202)


@router.get("/{member_id}/{fiche_id}", responses=answer(FicheRead, 403, 404, 410))
def read_fiche(
    member_id: MemberIdPath, fiche_id: FicheIdPath, request: Request,
    auth: Authenticated = Depends(_OWNER),
) -> Any:
    """The current version of one of the caller's own fiches."""
    return fiche_service.read_own_fiche(hub_of(request), auth.caller, member_id, fiche_id)


@router.delete("/{member_id}/{fiche_id}", responses=answer(ErasureDone, 403, 404, 409))
def delete_fiche(
    member_id: MemberIdPath, fiche_id: FicheIdPath, request: Request,
    auth: Authenticated = Depends(_OWNER),
) -> Any:
    """Remove one of the caller's fiches from the network (deleted in its own system): the
    fiche is erased (its data key destroyed) and its recipients get an `erased` notice."""
    return erasure.delete_fiche(hub_of(request), auth.caller, member_id, fiche_id)


@router.post("/{member_id}/withdrawals", openapi_extra=body(FicheWithdrawals),
             responses=answer(WithdrawalsDone, 400, 403, description="Résultat par fiche"))
def withdraw_fiches(
    member_id: MemberIdPath, request: Request, auth: Authenticated = Depends(_OWNER),
) -> Any:
    """Remove up to 500 of the caller's fiches at once (deleted in its own system): those
    it holds are erased in one erasure, and their recipients get an `erased` notice; each
    id is answered on its own (`effacee`, or `refusee` with the error `DELETE` answers:
    `not_found`, as for an id another member holds, or `already_erased`)."""
    return erasure.withdraw_fiches(hub_of(request), auth.caller, member_id, json_body(auth.body))
