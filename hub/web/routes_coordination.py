"""Coordination pages: porteurs to follow, one porteur's parcours, the monthly
meeting sheet, and the network indicators."""

from __future__ import annotations

import datetime as dt
import re

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from hub.errors import BadRequest
from hub.services.indicators import INDICATORS, network_indicators
from hub.services.meeting import meeting_sheet
from hub.services.members import list_members
from hub.services.parcours import STAGES, parcours_of, porteurs_to_follow
from hub.services.sessions import ConsoleSession
from hub.web import charts
from hub.web.pages import french_month, render
from hub.web.security import hub_of, role

router = APIRouter(prefix="/coordination")
coordinator = role("coordinator")
_MONTH = re.compile(r"^\d{4}-\d{2}$")
_OPAQUE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@router.get("/porteurs")
def porteurs(request: Request, page: int = 1,
             session: ConsoleSession = Depends(coordinator)) -> Response:
    hub = hub_of(request)
    return render(request, "porteurs.html", view=porteurs_to_follow(hub, session, page=page),
                  members=_names(request))


@router.get("/porteurs/{porteur_id}")
def parcours(porteur_id: str, request: Request,
             session: ConsoleSession = Depends(coordinator)) -> Response:
    if not _OPAQUE_ID.match(porteur_id):
        raise BadRequest("Identifiant de porteur mal formé.", "Malformed porteur id.")
    hub = hub_of(request)
    person = parcours_of(hub, session, porteur_id)
    return render(request, "parcours.html", person=person, members=_names(request),
                  stages=STAGES[:-1], today=hub.clock().date(),
                  weeks=hub.settings.console_stalled_weeks)


@router.get("/reunion")
def meeting(request: Request, mois: str = "",
            session: ConsoleSession = Depends(coordinator)) -> Response:
    hub = hub_of(request)
    today = hub.clock().date()
    month = dt.date(int(mois[:4]), int(mois[5:7]), 1) if _MONTH.match(mois) and \
        1 <= int(mois[5:7]) <= 12 else today.replace(day=1)
    months = [_shift(today.replace(day=1), -n) for n in range(12)]
    return render(request, "reunion.html", sheet=meeting_sheet(hub, session, month),
                  month=month, months=months, members=_names(request))


@router.get("/indicateurs")
def indicators(request: Request, session: ConsoleSession = Depends(coordinator)) -> Response:
    data = network_indicators(hub_of(request), session)
    names = list(INDICATORS.values())
    by_month = charts.grouped_columns(
        "par-mois", "Indicateurs par mois de premier contact",
        [french_month(row["cle"]) for row in data["par_mois"]],
        [(names[i], [row[key] for row in data["par_mois"]]) for i, key in enumerate(INDICATORS)])
    by_member = charts.grouped_bars(
        "par-membre", "Indicateurs par membre du réseau", [row["nom"] for row in data["par_membre"]],
        [(names[i], [row[key] for row in data["par_membre"]]) for i, key in enumerate(INDICATORS)])
    return render(request, "indicateurs.html", data=data, by_month=by_month, by_member=by_member)


def _names(request: Request) -> dict[str, str]:
    return {m["id"]: m["nom"] for m in list_members(hub_of(request))}


def _shift(month: dt.date, delta: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + delta
    return dt.date(index // 12, index % 12 + 1, 1)
