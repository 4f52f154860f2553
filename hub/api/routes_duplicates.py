"""`/v1/duplicates` (the coordinators' review queue) and `/v1/porteurs/{id}/unmerge`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from hub.api.auth import Authenticated, authenticated_as, hub_of
from hub.api.bodies import closed_object, required_texts
from hub.api.models import (
    Decision,
    DecisionDone,
    MergeChange,
    MergeHistory,
    ReviewItem,
    ReviewItems,
    Unmerge,
)
from hub.api.openapi import answer, body
from hub.api.params import DIGITS, IdPath, IdQuery, OptionalCursor, PathId
from hub.domain.ids import MAX_INT64
from hub.errors import InvalidDecision, RevisionRequired
from hub.services.matching import duplicates

router = APIRouter(prefix="/v1", tags=["doublons"])
# Only the coordination: any other member is told 403 before its query is read.
_COORDINATION = authenticated_as(lambda caller: duplicates.require_coordinator(caller.role))


@router.get("/duplicates", responses=answer(ReviewItems, 403))
def list_items(request: Request, after: OptionalCursor = None,
               limit: Annotated[int, Query(ge=1, le=duplicates.MAX_LIMIT), DIGITS] = 50,
               auth: Authenticated = Depends(_COORDINATION)) -> Any:
    """Open review items, each with both sides (as the coordination may see them) and the
    match explanation: each field's level and weight, the prior, the total. An item
    neither side of which the coordination may see is not listed."""
    return duplicates.list_review_items(
        hub_of(request), limit=limit, after=after, actor=auth.caller.member_id)


@router.get("/duplicates/history", responses=answer(MergeHistory, 403))
def history(request: Request, porteur: IdQuery = None,
            limit: Annotated[int, Query(ge=1, le=duplicates.MAX_LIMIT), DIGITS] = 50,
            auth: Authenticated = Depends(_COORDINATION)) -> Any:
    """Merges and unmerges, newest first (optionally of one porteur): those that moved a
    fiche the coordination may see, naming those fiches only."""
    found = duplicates.merge_history(hub_of(request), porteur, limit, actor=auth.caller.member_id)
    return {"historique": found}


@router.get("/duplicates/{item_id}", responses=answer(ReviewItem, 403, 404))
def read_item(item_id: PathId, request: Request,
              auth: Authenticated = Depends(_COORDINATION)) -> Any:
    return duplicates.get_review_item(
        hub_of(request), item_id, actor=auth.caller.member_id)


@router.post("/duplicates/{item_id}/decision", openapi_extra=body(Decision),
             responses=answer(DecisionDone, 403, 404, 409))
def decide(item_id: PathId, request: Request,
           auth: Authenticated = Depends(_COORDINATION)) -> Any:
    """`{"decision": "same" | "different" | "unknown"}`: same merges the two porteurs (the
    members concerned get a `merged` notice); different is remembered for good. An item
    whose explanation carries `identite_seule_a_verifier` or `autre_domicile_a_verifier`
    is merged only with `"confirme": [those flags]` (409 `confirmation_required`, naming
    them in `a_confirmer`, otherwise). `"revision"`: the item's revision as read; scored
    again since on a new version of a side, 409 `review_item_changed`, nothing changed.
    Required with same and different (422 `revision_required` without it); unknown may
    omit it (the item is then set aside as it is when the decision arrives)."""
    body = closed_object(auth.body, Decision.model_fields)
    decision = str(body.get("decision"))
    return duplicates.decide(
        hub_of(request), item_id, decision, actor=auth.caller.member_id,
        confirmed=_flags(body.get("confirme", [])),
        revision=_revision(body.get("revision"), decision))


def _revision(revision: Any, decision: str) -> int | None:
    if revision is None:
        if decision in duplicates.JUDGEMENTS:
            raise RevisionRequired(
                f"« {decision} » doit nommer la « revision » du doublon sur laquelle elle est "
                "prise : lisez le doublon (GET /v1/duplicates/{id}) et renvoyez sa "
                "« revision » avec la décision.",
                f"\"{decision}\" must name the \"revision\" of the review item it is made on: "
                "read the item (GET /v1/duplicates/{id}) and send its \"revision\" with the "
                "decision.")
        return None
    if isinstance(revision, bool) or not isinstance(revision, int) or not 1 <= revision <= MAX_INT64:
        raise InvalidDecision("« revision » doit être le numéro de révision du doublon lu "
                              "(un entier à partir de 1).",
                              "\"revision\" must be the review item's revision as read "
                              "(a whole number from 1).")
    return revision


def _flags(confirmed: Any) -> list[str]:
    if not isinstance(confirmed, list) or not all(isinstance(f, str) for f in confirmed):
        raise InvalidDecision(
            "« confirme » doit être une liste d'avertissements du hub "
            "(identite_seule_a_verifier, autre_domicile_a_verifier).",
            "\"confirme\" must be a list of the hub's flags "
            "(identite_seule_a_verifier, autre_domicile_a_verifier).")
    return confirmed


@router.post("/porteurs/{porteur_id}/unmerge", tags=["doublons"], openapi_extra=body(Unmerge),
             responses=answer(MergeChange, 403, 404, 409))
def unmerge(porteur_id: IdPath, request: Request,
            auth: Authenticated = Depends(_COORDINATION)) -> Any:
    """`{"membre": ..., "fiche_id": ...}`: split that fiche off the porteur (members
    concerned get an `unmerged` notice; the pair is remembered as different)."""
    body = closed_object(auth.body, Unmerge.model_fields)
    member, fiche_id = required_texts(body, ("membre", "fiche_id"))
    return duplicates.unmerge(hub_of(request), porteur_id, member, fiche_id,
                              actor=auth.caller.member_id)

