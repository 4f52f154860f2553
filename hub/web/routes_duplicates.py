"""Coordination pages for duplicate porteurs: the review queue, one item with both fiches
side by side and the three decisions, the merge history with unmerge (confirmed first).
URLs carry only opaque ids (review item numbers, `prt_…`); which fiche to split off
travels in POST forms."""

from __future__ import annotations

import re

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from hub.domain.ids import whole_number
from hub.errors import (
    BadRequest,
    ConfirmationRequired,
    NothingToUnmerge,
    ReviewItemChanged,
    ReviewItemClosed,
)
from hub.services.accounts.members import member_names
from hub.services.accounts.sessions import ConsoleSession
from hub.services.console import duplicates_console as queue
from hub.services.console import review_revisits
from hub.web.pages import HEADERS, render
from hub.web.security import PREFIX, checked_form, hub_of, role

router = APIRouter(prefix="/coordination")
coordinator = role("coordinator")
_ITEM_ID = re.compile(r"^[0-9]{1,18}$")
_OPAQUE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_FICHE_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")
DONE = {"same": "Décision enregistrée : même personne. Les deux fiches sont réunies.",
        "same_fiche": "Décision enregistrée : même personne. Seule cette fiche a rejoint "
                      "l'autre porteur : les autres fiches de son porteur ne peuvent pas être "
                      "la même personne et restent à part.",
        "different": "Décision enregistrée : personnes différentes. Cette paire ne sera plus proposée.",
        "unknown": "Doublon mis de côté : il est listé « à revoir en réunion » et peut être repris.",
        "repris": "Doublon repris : il est de nouveau dans la file.",
        "separe": "Séparation faite : la fiche a retrouvé son propre porteur."}


@router.get("/doublons")
def review_queue(request: Request, fait: str = "", tri: str = "anciennete", page: str = "1",
                 revoir: str = "1", session: ConsoleSession = Depends(coordinator)) -> Response:
    """The open items, a page at a time (`page`), and the pairs to revisit (`revoir`)."""
    hub = hub_of(request)
    view = queue.review_queue(hub, session, order=tri, page=whole_number(page, 6) or 1)
    revisit = review_revisits.revisitable(hub, session, whole_number(revoir, 6) or 1)
    return render(request, "doublons.html", view=view, orders=queue.ORDERS,
                  revisit=revisit, notice=DONE.get(fait))


@router.post("/doublons/reprendre")
def reopen(request: Request, form: dict[str, str] = Depends(checked_form),
           session: ConsoleSession = Depends(coordinator)) -> Response:
    review_revisits.reopen(hub_of(request), session, _item(form.get("doublon", "")))
    return _done("doublons", "repris")


@router.get("/doublons/{item_id}")
def review_item(item_id: str, request: Request,
                session: ConsoleSession = Depends(coordinator)) -> Response:
    item = queue.review_item(hub_of(request), session, _item(item_id))
    return render(request, "doublon.html", item=item, decisions=queue.DECISIONS)


@router.post("/doublons/{item_id}")
def decide(item_id: str, request: Request, form: dict[str, str] = Depends(checked_form),
           session: ConsoleSession = Depends(coordinator)) -> Response:
    decision = form.get("decision", "")
    if decision not in queue.DECISIONS:
        raise BadRequest("Choisissez une des trois décisions.", "Choose one of the three decisions.")
    confirmed = [flag for flag in queue.FLAGS if form.get(f"confirme_{flag}") == "oui"]
    try:
        answer = queue.decide(hub_of(request), session, _item(item_id), decision, confirmed,
                              _revision(form.get("revision", ""), decision))
        if answer["fiche_seule"]:
            return _done("fusions", "same_fiche")
    except ConfirmationRequired:  # a flag left unticked: the item again, saying which
        item = queue.review_item(hub_of(request), session, _item(item_id))
        return render(request, "doublon.html", status=409, item=item,
                      decisions=queue.DECISIONS, unconfirmed=True)
    except ReviewItemChanged:  # a new version scored since the page: the item as it is now
        item = queue.review_item(hub_of(request), session, _item(item_id))
        return render(request, "doublon.html", status=409, item=item,
                      decisions=queue.DECISIONS, changed=True)
    except ReviewItemClosed:  # decided first by another coordinator: say what, keep theirs
        first = queue.decided_first(hub_of(request), _item(item_id))
        if not (first["statut"] == decision and first["compte"] == session.login):
            return render(request, "doublon_traite.html", status=409, item_id=item_id,
                          first=first, chosen=queue.DECISIONS[decision])
        # the same choice sent twice (a double click): recorded, answered as such
    return _done("fusions" if decision == "same" else "doublons", decision)


@router.get("/fusions")
def merge_history(request: Request, fait: str = "", page: str = "1",
                  session: ConsoleSession = Depends(coordinator)) -> Response:
    history = queue.history(hub_of(request), session, page=whole_number(page, 6) or 1)
    return render(request, "fusions.html", history=history, events=history["events"],
                  notice=DONE.get(fait))


@router.post("/fusions/separer")
def unmerge(request: Request, form: dict[str, str] = Depends(checked_form),
            session: ConsoleSession = Depends(coordinator)) -> Response:
    """Without `confirme=oui`: the confirmation page; with it, the split."""
    porteur_id, member_id, fiche_id = (_checked(form.get(k, ""), pattern) for k, pattern in (
        ("porteur", _OPAQUE_ID), ("membre", _OPAQUE_ID), ("fiche", _FICHE_ID)))
    if form.get("confirme") != "oui":
        names = member_names(hub_of(request))
        return render(request, "separer.html", porteur_id=porteur_id, member_id=member_id,
                      member_name=names.get(member_id, member_id), fiche_id=fiche_id)
    try:
        queue.unmerge(hub_of(request), session, porteur_id, member_id, fiche_id)
    except NothingToUnmerge:  # separated first by another coordinator (or a double click)
        first = queue.split_first(hub_of(request), porteur_id, member_id, fiche_id)
        if first is None:
            raise
        if first["compte"] != session.login:
            return render(request, "separation_faite.html", status=409, first=first,
                          fiche_id=fiche_id)
    return _done("fusions", "separe")


def _done(page: str, done: str) -> Response:
    return RedirectResponse(f"{PREFIX}/coordination/{page}?fait={done}", status_code=303,
                            headers=HEADERS)


def _item(text: str) -> int:
    if not _ITEM_ID.match(text):
        raise BadRequest("Numéro de doublon mal formé.", "Malformed review item number.")
    return int(text)


def _revision(text: str, decision: str) -> int | None:
    """The item's revision the page showed (none for an item with a hidden side, whose
    only form is « unknown »: « same » and « different » always carry one)."""
    if text == "":
        if decision in queue.JUDGEMENTS:
            raise BadRequest("Révision du doublon absente : rechargez la page.",
                             "Review item revision missing: reload the page.")
        return None
    if not _ITEM_ID.match(text) or int(text) < 1:
        raise BadRequest("Révision du doublon mal formée : rechargez la page.",
                         "Malformed review item revision: reload the page.")
    return int(text)


def _checked(text: str, pattern: re.Pattern[str]) -> str:
    if not pattern.match(text):
        raise BadRequest("Formulaire de séparation incomplet : rechargez l'historique.",
                         "Incomplete unmerge form: reload the history.")
    return text
