"""`/v1/notices`: the information notices members show porteurs (register, list, read)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse

from consent.api import MAX_NOTICE_VERSION
from hub.api.auth import Authenticated, authenticated, hub_of
from hub.api.bodies import json_body
from hub.api.models import Notices
from hub.api.openapi import answer, body, errors
from hub.api.params import DIGITS
from hub.services.privacy import information_notices

router = APIRouter(prefix="/v1/notices", tags=["notices"])

Limit = Annotated[int, Query(ge=1, le=information_notices.MAX_LIMIT), DIGITS]
Version = Annotated[int, Path(ge=1, le=MAX_NOTICE_VERSION), DIGITS]
VersionCursor = Annotated[int, Query(ge=0, le=MAX_NOTICE_VERSION), DIGITS]
_NOTICE = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Notice"}}}}


def _notice(description: str) -> dict[str, Any]:
    return {"description": description, **_NOTICE}


@router.post("", status_code=201, openapi_extra=body("NoticeSoumission"), responses={
    201: _notice("La notice enregistrée : sa version et son empreinte à citer dans les consentements"),
    200: _notice("Le même texte aux mêmes conditions était déjà enregistré"),
    **errors(403, 409)})
def register_notice(request: Request, auth: Authenticated = Depends(authenticated)) -> Any:
    """Register the notice the caller shows porteurs (`{"texte", "langue", "finalites"}`):
    201 with its version and fingerprint to cite in consents; 200 when the same text with
    the same terms was registered already; 409 `notice_conflict` with other terms."""
    submission = json_body(auth.body)
    notice, created = information_notices.register_notice(hub_of(request), auth.caller, submission)
    if not created:
        return JSONResponse(notice)
    return JSONResponse(notice, status_code=201,
                        headers={"Location": f"/v1/notices/{notice['version']}"})


@router.get("", responses=answer(Notices, 403))
def list_notices(request: Request, after: VersionCursor = 0, limit: Limit = 100,
                 auth: Authenticated = Depends(authenticated)) -> Any:
    """The caller's own notices by version (`next_after` for the next page)."""
    return information_notices.list_notices(hub_of(request), auth.caller, after, limit)


@router.get("/{version}", responses={200: _notice("La notice"), **errors(403, 404)})
def read_notice(version: Version, request: Request,
                auth: Authenticated = Depends(authenticated)) -> Any:
    """One notice by version (any member: a notice is the public text shown to porteurs)."""
    return information_notices.read_notice(hub_of(request), auth.caller, version)
