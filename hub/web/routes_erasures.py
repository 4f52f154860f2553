"""Coordination page of erasure requests still waiting for an owner's answer: the
coordination may confirm for an owner that does not answer, so the porteur's right
(GDPR art. 17) does not wait on it."""

from __future__ import annotations

import re

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from hub.errors import BadRequest
from hub.services.accounts.members import member_names
from hub.services.accounts.sessions import ConsoleSession
from hub.services.privacy import erasure_requests, erasure_retries
from hub.web.pages import HEADERS, render
from hub.web.security import PREFIX, checked_form, hub_of, role

router = APIRouter(prefix="/coordination")
coordinator = role("coordinator")
_OPAQUE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@router.get("/effacements")
def erasure_requests_page(request: Request, fait: str = "",
                          session: ConsoleSession = Depends(coordinator)) -> Response:
    hub = hub_of(request)
    return render(request, "effacements.html",
                  requests=erasure_requests.pending_requests(hub, session),
                  members=member_names(hub), notice=_DONE.get(fait))


_CONFIRMED = ("Effacement confirmé : les fiches de ce membre sont effacées, et ceux qui les "
              "avaient reçues sont avisés.")
_DONE = {"confirme": _CONFIRMED,  # ?fait=: what the confirmation did (termine or not)
         "confirme_inacheve": f"{_CONFIRMED} {erasure_retries.LEFT['message_fr']}"}


@router.post("/effacements/confirmer")
def confirm(request: Request, form: dict[str, str] = Depends(checked_form),
            session: ConsoleSession = Depends(coordinator)) -> Response:
    erasure_id, member_id = form.get("effacement", ""), form.get("membre", "")
    if not (_OPAQUE_ID.match(erasure_id) and _OPAQUE_ID.match(member_id)):
        raise BadRequest("Formulaire de confirmation incomplet : rechargez la page.",
                         "Incomplete confirmation form: reload the page.")
    hub = hub_of(request)
    if form.get("confirme") != "oui":  # final: a page that says so, then the erasure
        return render(request, "effacement_confirmer.html", erasure_id=erasure_id,
                      member_id=member_id,
                      member_name=member_names(hub).get(member_id, member_id))
    done = erasure_requests.confirm_in_console(hub, session, erasure_id, member_id)
    fait = "confirme" if done["termine"] else "confirme_inacheve"
    return RedirectResponse(f"{PREFIX}/coordination/effacements?fait={fait}",
                            status_code=303, headers=HEADERS)
