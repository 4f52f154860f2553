"""Coordination pages: porteurs to follow, one porteur's parcours, the monthly
meeting sheet, and the network indicators."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from hub.domain.ids import whole_number
from hub.domain.spreadsheet import inert_cell
from hub.errors import BadRequest, ReferentProposalMade
from hub.services.accounts import users as accounts
from hub.services.accounts.members import list_members, member_names
from hub.services.accounts.sessions import ConsoleSession
from hub.services.console import meeting_actions, network_time
from hub.services.console.indicators import INDICATORS, MONTH, Period, network_indicators
from hub.services.console.meeting import meeting_sheet
from hub.services.console.parcours import STAGES, parcours_of
from hub.services.console.porteur_search import PorteurQuery, porteurs_to_follow, territories
from hub.web import charts
from hub.web.pages import HEADERS, french_month, render
from hub.web.porteur_list import kept_state, list_state, porteur_query
from hub.web.security import PREFIX, checked_form, hub_of, role

router = APIRouter(prefix="/coordination")
coordinator = role("coordinator")
_OPAQUE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@router.get("/porteurs")
def porteurs(request: Request, session: ConsoleSession = Depends(coordinator)) -> Response:
    """Filters only: a search (personal data) is never put in a URL, it is POSTed."""
    params = {k: v for k, v in request.query_params.items() if k != "q"}
    return _porteurs_page(request, session, porteur_query(params))


@router.post("/porteurs")
def search_porteurs(request: Request, form: dict[str, str] = Depends(checked_form),
                    session: ConsoleSession = Depends(coordinator)) -> Response:
    sort, _, order = form.get("trier", "").partition(":")
    params = {**form, **({"tri": sort, "ordre": order} if sort else {}),
              "page": form.get("aller", "1")}
    return _porteurs_page(request, session, porteur_query(params))


def _porteurs_page(request: Request, session: ConsoleSession, query: PorteurQuery) -> Response:
    hub = hub_of(request)
    return render(request, "porteurs.html", view=porteurs_to_follow(hub, session, query),
                  query=query, members=_names(request), territories=territories(hub),
                  stages=STAGES, sorts=SORT_LABELS,
                  row_suffix=_back_to(list_state(query)))


def _back_to(state: str) -> str:
    """A porteur's link from the list: the list's state to come back to, none when the
    list is as first shown (nothing to keep, and the porteur's address stays its own)."""
    return "?" + urlencode({"liste": state}) if state else ""


SORT_LABELS = {"attention": "à suivre en premier", "premier_contact": "premier contact",
               "nouvelles": "dernières nouvelles", "etape": "étape", "commune": "commune",
               "referent": "référent", "parrain": "parrain"}


@router.get("/porteurs/{porteur_id}")
def parcours(porteur_id: str, request: Request,
             session: ConsoleSession = Depends(coordinator)) -> Response:
    if not _OPAQUE_ID.match(porteur_id):
        raise BadRequest("Identifiant de porteur mal formé.", "Malformed porteur id.")
    hub = hub_of(request)
    person = parcours_of(hub, session, porteur_id)
    every = list_members(hub)
    kept = kept_state(request.query_params.get("liste", ""))
    actions = meeting_actions.actions_of(hub, porteur_id)
    return render(request, "parcours.html", person=person, liste=kept,
                  back=f"{PREFIX}/coordination/porteurs" + (f"?{kept}" if kept else ""),
                  members=_names(request),
                  stages=STAGES[:-1], today=network_time.today(hub),
                  weeks=hub.settings.console_stalled_weeks,
                  actions=actions,
                  proposal_seen=max((a.id for a in actions if a.kind == "referent"), default=0),
                  referents=[m for m in every if m["statut"] == "actif" and m["role"] in (
                      "accueil", "accompagnement", "financement")],
                  logins={u["id"]: u["login"] for u in accounts.list_users(hub)},
                  notice=DONE.get(request.query_params.get("fait", "")))


def _propose(request: Request, session: ConsoleSession, porteur_id: str,
             form: dict[str, str]) -> Response | None:
    """A referent proposal from the parcours page, made once however often it is sent:
    None when made (or the same one sent again by the same account, a double click), else
    the 409 page saying which proposal was made since the page was shown."""
    seen = whole_number(form.get("proposition_vue", ""))
    if seen is None:
        raise BadRequest("Formulaire de proposition incomplet : rechargez la page du porteur.",
                         "Proposal form incomplete: reload the porteur's page.")
    hub, member = hub_of(request), form.get("membre", "")
    try:
        meeting_actions.propose_referent(hub, session, porteur_id, member,
                                         form.get("note", ""), seen)
    except ReferentProposalMade:
        first = meeting_actions.proposed_last(hub, porteur_id)
        assert first is not None  # a proposal newer than the page's exists
        if first["membre"] == member and first["compte"] == session.login:
            return None  # the same proposal sent twice: made once, answered as made
        names = member_names(hub)
        return render(request, "proposition_faite.html", status=409, first=first,
                      porteur_id=porteur_id, first_name=names.get(first["membre"], "?"),
                      chosen_name=names.get(member, "?"))
    return None


DONE = {"referent": "Proposition envoyée : la structure la reçoit dans son flux et y répond.",
        "parrain": "Parrain noté.", "a_voir": "Point ajouté à la prochaine réunion.",
        "vu": "Point marqué comme vu en réunion."}


@router.post("/porteurs/{porteur_id}/decisions")
def decide(porteur_id: str, request: Request, form: dict[str, str] = Depends(checked_form),
           session: ConsoleSession = Depends(coordinator)) -> Response:
    """One of the meeting's decisions about this porteur (`quoi`: referent, parrain,
    a_voir, vu)."""
    if not _OPAQUE_ID.match(porteur_id):
        raise BadRequest("Identifiant de porteur mal formé.", "Malformed porteur id.")
    hub, what, note = hub_of(request), form.get("quoi", ""), form.get("note", "")
    if what == "referent":
        refused = _propose(request, session, porteur_id, form)
        if refused is not None:
            return refused
    elif what == "parrain":
        meeting_actions.record_parrain(hub, session, porteur_id, form.get("parrain", ""), note)
    elif what == "a_voir":
        meeting_actions.keep_to_discuss(hub, session, porteur_id, note)
    elif what == "vu" and (point := whole_number(form.get("point", ""))) is not None:
        meeting_actions.mark_seen(hub, session, point)
    else:
        raise BadRequest("Décision inconnue : rechargez la page du porteur.", "Unknown decision.")
    kept = kept_state(form.get("liste", ""))  # the way back to the list it came from
    back = "&" + urlencode({"liste": kept}) if kept else ""
    return RedirectResponse(
        f"{PREFIX}/coordination/porteurs/{porteur_id}?fait={what}{back}#avis",
        status_code=303, headers=HEADERS)


@router.get("/reunion")
def meeting(request: Request, mois: str = "",
            session: ConsoleSession = Depends(coordinator)) -> Response:
    hub = hub_of(request)
    today = network_time.today(hub)
    month = dt.date(int(mois[:4]), int(mois[5:7]), 1) if MONTH.match(mois) \
        else today.replace(day=1)
    months = [_shift(today.replace(day=1), -n) for n in range(12)]
    if month not in months:  # an older month asked in the address: the selector shows it
        months = sorted({*months, month}, reverse=True)
    return render(request, "reunion.html", sheet=meeting_sheet(hub, session, month),
                  month=month, months=months, members=_names(request))


@router.get("/indicateurs")
def indicators(request: Request, semestre: str = "", du: str = "", au: str = "",
               session: ConsoleSession = Depends(coordinator)) -> Response:
    data = network_indicators(hub_of(request), session, Period.parse(semestre, du, au))
    names = list(INDICATORS.values())
    by_month = charts.grouped_columns(
        "par-mois", "Indicateurs par mois de premier contact",
        [french_month(row["cle"]) for row in data["par_mois"]],
        [(names[i], [row[key] for row in data["par_mois"]]) for i, key in enumerate(INDICATORS)])
    by_member = charts.grouped_bars(
        "par-membre", "Indicateurs par membre du réseau", [row["nom"] for row in data["par_membre"]],
        [(names[i], [row[key] for row in data["par_membre"]]) for i, key in enumerate(INDICATORS)])
    return render(request, "indicateurs.html", data=data, by_month=by_month, by_member=by_member,
                  asked={"semestre": semestre, "du": du, "au": au},
                  query=urlencode({k: v for k, v in (("semestre", semestre), ("du", du),
                                                     ("au", au)) if v}))


@router.get("/indicateurs.csv")
def indicators_csv(request: Request, tableau: str = "mois", semestre: str = "", du: str = "",
                   au: str = "", session: ConsoleSession = Depends(coordinator)) -> Response:
    """One table of the indicators for a spreadsheet: UTF-8 with a BOM, `;`-separated,
    French headers, a member's name never run as a formula."""
    if tableau not in ("mois", "membre"):
        raise BadRequest("Tableau : « mois » ou « membre ».", "Table: mois or membre.")
    data = network_indicators(hub_of(request), session, Period.parse(semestre, du, au))
    first = "Mois" if tableau == "mois" else "Membre"
    lines = [[first, *INDICATORS.values()]] + [
        [french_month(row["cle"]) if tableau == "mois" else row["nom"],
         *[str(row[key]) for key in INDICATORS]]
        for row in data["par_mois" if tableau == "mois" else "par_membre"]]
    text = io.StringIO()
    text.write("\ufeff")
    csv.writer(text, delimiter=";", lineterminator="\r\n").writerows(
        [inert_cell(cell) for cell in line] for line in lines)
    return Response(text.getvalue().encode("utf-8"), media_type="text/csv; charset=utf-8", headers={
        **HEADERS, "Content-Disposition": f'attachment; filename="indicateurs-{tableau}.csv"'})


def _names(request: Request) -> dict[str, str]:
    return member_names(hub_of(request))


def _shift(month: dt.date, delta: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + delta
    return dt.date(index // 12, index % 12 + 1, 1)
