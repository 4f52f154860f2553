"""`/v1/referent-proposals/{id}/answer`: a member accepts or declines the referent
structure role the coordination proposed to it (announced by a `referent_propose`
notice in its feed or by webhook)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from hub.api.auth import Authenticated, authenticated, hub_of
from hub.api.bodies import closed_object
from hub.api.models import ReferentAnswer, ReferentAnswered
from hub.api.openapi import answer, body
from hub.api.params import IdPath
from hub.services.console import meeting_actions

router = APIRouter(prefix="/v1")


@router.post("/referent-proposals/{proposal_id}/answer", tags=["coordination"],
             responses=answer(ReferentAnswered, 403, 404, 409), openapi_extra=body(ReferentAnswer))
def answer_proposal(proposal_id: IdPath, request: Request,
                    auth: Authenticated = Depends(authenticated)) -> Any:
    """Body `{"reponse": "acceptee" | "refusee", "note": "..."}`; only the member the
    proposal was made to may answer (others get 404), once (then 409)."""
    body = closed_object(auth.body, ReferentAnswer.model_fields)
    return meeting_actions.answer_proposal(hub_of(request), auth.caller, proposal_id, body)
