"""`/v1/feed`, `/v1/consents`, `/v1/porteurs/{id}/consents`, `/v1/deliveries`."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from hub.api.auth import (
    Authenticated,
    authenticated,
    authenticated_by_body,
    authenticated_if,
    hub_of,
)
from hub.api.bodies import closed_object, json_body
from hub.api.models import (
    ERASURE_KEYS,
    ConsentAck,
    ConsentAcks,
    ConsentLookup,
    ConsentLookupAnswer,
    ConsentReceipt,
    DeadLetters,
    ErasureAck,
    ErasureAnswer,
    ErasureAnswered,
    ErasureDone,
    ErasureRead,
    ErasureRequest,
    FeedPage,
    PorteurConsents,
    PorteurView,
    Replayed,
    Subscriptions,
)
from hub.api.openapi import answer, body, errors
from hub.api.params import DIGITS, Cursor, IdPath, MemberQuery, OptionalId
from hub.errors import Forbidden, UnknownMember
from hub.services.accounts.auth import Caller
from hub.services.delivery import feed, subscriptions, webhooks
from hub.services.privacy import consents, erasure, erasure_requests, porteurs

COORDINATION = "coordination"
router = APIRouter(prefix="/v1")


def _consent_answer(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/EnregistrementConsentement"}}}}


_CONSENT_RECORD: dict[int | str, dict[str, Any]] = {200: _consent_answer("Le consentement"),
                                                    **errors(404)}


@router.get("/feed", tags=["livraisons"], responses=answer(FeedPage))
def read_feed(request: Request, after: Cursor = 0,
              limit: Annotated[int, Query(ge=1, le=feed.MAX_LIMIT), DIGITS] = 100,
              auth: Authenticated = Depends(authenticated)) -> Any:
    """The caller's deliveries after the cursor `after`, in order (`next_cursor` for the
    next call). Each delivery holds only the fields the caller may see."""
    return feed.read_feed(hub_of(request), auth.caller, after, limit)


# A consent or an erasure naming what the caller may not name (another member as its
# collector, a porteur by id): 403 before the query's and the body's checks.
_COLLECTOR = authenticated_by_body(consents.require_own_consent)
_ERASER = authenticated_by_body(erasure.require_may_name_porteur)


@router.post("/consents", status_code=201, tags=["consentements"], openapi_extra=body("Consentement"),
             responses={201: _consent_answer("Consentement enregistré"),
                        200: _consent_answer("Le même consentement était déjà enregistré"),
                        **errors(403, 409)})
def record_consent(request: Request, auth: Authenticated = Depends(_COLLECTOR)) -> Any:
    """Record a consent the caller collected (schema `GET /v1/schemas/consent`): 201 with
    its `Location`; 200 with the first record when the same consent was recorded already;
    409 `duplicate_consent_reference` for another consent under the same reference."""
    answer, created = consents.record_consent(hub_of(request), auth.caller,
                                              json_body(auth.body, checked=auth.document))
    if not created:
        return JSONResponse(answer)
    return JSONResponse(answer, status_code=201,
                        headers={"Location": f"/v1/consents/{answer['id']}"})


@router.post("/consents/lookup", tags=["consentements"], openapi_extra=body(ConsentLookup),
             responses=answer(ConsentLookupAnswer, description="Chaque référence, dans l'ordre"))
def lookup_consents(request: Request, auth: Authenticated = Depends(authenticated)) -> Any:
    """Which of the caller's own consent references are recorded at the hub and usable
    (`connector check`); changes nothing. Another member's reference answers exactly as
    an unknown one (docs/protocol.md, "Need-to-know")."""
    return consents.lookup_references(hub_of(request), auth.caller, _json(auth.body))


@router.get("/consents/{consent_id}", tags=["consentements"], responses=_CONSENT_RECORD)
def read_consent(consent_id: IdPath, request: Request,
                 auth: Authenticated = Depends(authenticated)) -> Any:
    """A consent, for its collector, the members sent data under it and those it names;
    its proof's value is the collector's alone: every other reader gets the proof's type
    only (docs/protocol.md, "Need-to-know")."""
    return consents.read_consent(hub_of(request), auth.caller, consent_id)


@router.get("/consents/{consent_id}/receipt", tags=["consentements"],
            responses=answer(ConsentReceipt, 403, 404))
def consent_receipt(consent_id: IdPath, request: Request,
                    auth: Authenticated = Depends(authenticated)) -> Any:
    """The consent receipt signed by the hub, to hand to the porteur."""
    return consents.consent_receipt(hub_of(request), auth.caller, consent_id)


@router.post("/consents/{consent_id}/withdraw", tags=["consentements"],
             responses={**_CONSENT_RECORD, **errors(409)})
def withdraw_consent(consent_id: IdPath, request: Request,
                     auth: Authenticated = Depends(authenticated)) -> Any:
    """Withdraw a consent (relayed by its collector or a member relying on it): effective at
    once; every member that received the porteur's data gets a withdrawal notice."""
    return consents.withdraw_consent(hub_of(request), auth.caller, consent_id)


@router.post("/consents/{consent_id}/ack", tags=["consentements"], responses=answer(ConsentAck, 404))
def acknowledge(consent_id: IdPath, request: Request,
                auth: Authenticated = Depends(authenticated)) -> Any:
    """Acknowledge a withdrawal notice: the caller deleted what it had received."""
    return consents.acknowledge_notice(hub_of(request), auth.caller, consent_id)


@router.get("/consents/{consent_id}/acks", tags=["consentements"], responses=answer(ConsentAcks, 404))
def acknowledgements(consent_id: IdPath, request: Request,
                     auth: Authenticated = Depends(authenticated)) -> Any:
    """Who was sent the withdrawal notice, and who acknowledged it."""
    acks = consents.acknowledgements(hub_of(request), auth.caller, consent_id)
    return {"accuses": acks}


@router.get("/porteurs/{porteur_id}", tags=["porteurs"], responses=answer(PorteurView, 403, 404))
def read_porteur(porteur_id: IdPath, request: Request,
                 auth: Authenticated = Depends(authenticated)) -> Any:
    """The porteur as the caller may see it: its own fiches linked to the porteur and
    what was delivered to it about the porteur; 404 if it knows nothing of it."""
    return porteurs.porteur_for(hub_of(request), auth.caller, porteur_id)


@router.get("/porteurs/{porteur_id}/consents", tags=["consentements"],
            responses=answer(PorteurConsents, 404))
def porteur_consents(porteur_id: IdPath, request: Request,
                     auth: Authenticated = Depends(authenticated)) -> Any:
    found = consents.porteur_consents(hub_of(request), auth.caller, porteur_id)
    return {"consentements": found}


@router.post("/erasures", status_code=201, tags=["effacements"], openapi_extra=body(ErasureRequest),
             responses=answer(ErasureDone, 403, 404, 409, status=201, description="Effacement fait"))
def request_erasure(request: Request, auth: Authenticated = Depends(_ERASER)) -> Any:
    """Erase a porteur's personal data (GDPR art. 17), named by one of the caller's fiches
    (`{"fiche_id": ...}`): the caller's own fiches of the porteur are erased at once, and
    every other owner of one is asked (`erasure_requested` notice) to confirm or decline
    for its own. The coordination, by `porteur_id`, erases every member's fiches at once.
    The data keys are destroyed (crypto-shredding); members that received the data get
    an `erased` notice to acknowledge."""
    answer = erasure.request_erasure(hub_of(request), auth.caller,
                                     closed_object(auth.body, ERASURE_KEYS, auth.document))
    return JSONResponse(answer, status_code=201,
                        headers={"Location": f"/v1/erasures/{answer['effacement']}"})


@router.get("/erasures/{erasure_id}", tags=["effacements"], responses=answer(ErasureRead, 404))
def read_erasure(erasure_id: IdPath, request: Request,
                 auth: Authenticated = Depends(authenticated)) -> Any:
    """The erasure and each notified member's acknowledgement (pending, acknowledged,
    overdue, left: the member left the network before acknowledging)."""
    return erasure.read_erasure(hub_of(request), auth.caller, erasure_id)


@router.post("/erasures/{erasure_id}/ack", tags=["effacements"], responses=answer(ErasureAck, 404))
def acknowledge_erasure(erasure_id: IdPath, request: Request,
                        auth: Authenticated = Depends(authenticated)) -> Any:
    """The caller confirms it deleted what it had received about this porteur."""
    return erasure.acknowledge(hub_of(request), auth.caller, erasure_id)


@router.post("/erasures/{erasure_id}/answer", tags=["effacements"], openapi_extra=body(ErasureAnswer),
             responses=answer(ErasureAnswered, 404, 409))
def answer_erasure_request(erasure_id: IdPath, request: Request,
                           auth: Authenticated = Depends(authenticated)) -> Any:
    """Another member's erasure request about the caller's own fiches of the porteur
    (announced by an `erasure_requested` notice): `{"reponse": "confirmee"}` erases them
    at once; `{"reponse": "refusee", "motif": ..., "precision": ...}` keeps them. Only the
    member asked may answer (others get 404), once (then 409)."""
    return erasure_requests.answer_request(
        hub_of(request), auth.caller, erasure_id,
        closed_object(auth.body, ErasureAnswer.model_fields))


def _may_name_its_member(caller: Caller, request: Request) -> None:
    """Each `membre` as sent: a member naming another is told 403 whatever else its query
    holds (an unknown, repeated or invalid parameter is a 422 only for who may ask)."""
    for named in request.query_params.getlist("membre"):
        _whose_dead_letters(caller, named)


_DEAD_LETTERS_OF = authenticated_if(_may_name_its_member)


@router.get("/deliveries/dead", tags=["livraisons"], responses=answer(DeadLetters, 403, 404))
def dead_letters(request: Request, after: Cursor = 0,
                 limit: Annotated[int, Query(ge=1, le=1000), DIGITS] = 500, membre: MemberQuery = None,
                 auth: Authenticated = Depends(_DEAD_LETTERS_OF)) -> Any:
    """The caller's dead-lettered webhook deliveries by pages: `total`, `livraisons`
    (`id`: the position in the caller's own line), and `suivant`, the `after` of the next
    page. The coordination also gets `par_membre` (each member's count) and reads a
    member's with `membre`, without the porteurs they were about."""
    hub, caller = hub_of(request), auth.caller
    member = _whose_dead_letters(caller, membre)
    with _named_by_query():
        page = webhooks.dead_letter_page(hub, member, after=after, limit=limit,
                                         porteurs=member == caller.member_id)
    if caller.role == COORDINATION:
        page["par_membre"] = webhooks.dead_by_member(hub)
    return page


@router.post("/deliveries/replay", tags=["livraisons"], responses=answer(Replayed, 400, 403, 404))
def replay(request: Request, delivery_id: OptionalId = None, membre: MemberQuery = None,
           auth: Authenticated = Depends(_DEAD_LETTERS_OF)) -> Any:
    """Put the caller's dead-lettered deliveries (or one of them, `delivery_id`: its `id`
    in the dead letters) back in line; the coordination, a member's with `membre`."""
    member = _whose_dead_letters(auth.caller, membre)
    with _named_by_query():
        done = webhooks.replay_dead(hub_of(request), delivery_id=delivery_id, member_id=member)
    return {"rejouees": done.replayed, "remplacees": done.superseded, "effacees": done.erased}


@contextlib.contextmanager
def _named_by_query() -> Iterator[None]:
    """An unknown member is the one the query's `membre` named (the caller's own exists)."""
    try:
        yield
    except UnknownMember:
        raise UnknownMember(path="query.membre") from None


def _whose_dead_letters(caller: Caller, membre: str | None) -> str:
    """The caller's own, or (the coordination) the member it names."""
    if membre is None or membre == caller.member_id:
        return str(caller.member_id)
    if caller.role != COORDINATION:
        raise Forbidden("Seule l'animation du réseau lit les livraisons en échec d'un autre "
                        "membre : retirez « membre ».",
                        "Only the network's coordination reads another member's dead "
                        "letters: leave out 'membre'.")
    return membre


@router.get("/subscriptions", tags=["abonnements"], responses=answer(Subscriptions))
def read_subscriptions(request: Request, auth: Authenticated = Depends(authenticated)) -> Any:
    """The caller's subscriptions (territory, stage, need, kind of project, NAF)."""
    found = subscriptions.read_subscriptions(hub_of(request), auth.caller)
    return {"abonnements": found}


@router.put("/subscriptions", tags=["abonnements"], openapi_extra=body(Subscriptions),
            responses=answer(Subscriptions))
def replace_subscriptions(request: Request,
                          auth: Authenticated = Depends(authenticated)) -> Any:
    """Replace the caller's subscriptions: `{"abonnements": [{"communes": [...]}, ...]}`."""
    document = _json(auth.body)
    criteria = document.get("abonnements") if isinstance(document, dict) else None
    saved = subscriptions.replace_subscriptions(hub_of(request), auth.caller, criteria)
    return {"abonnements": saved}


def _json(body: bytes) -> Any:
    return json_body(body)
