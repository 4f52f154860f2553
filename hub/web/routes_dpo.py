"""DPO pages: search the access log, a porteur's access report (printable), unusual-access
alerts, the log's integrity (latest signed head, verify now), consents and
acknowledgements, exports (JSONL verifiable offline, CSV)."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from hub.domain.ids import whole_number
from hub.errors import BadRequest
from hub.services.accounts import users as accounts
from hub.services.accounts.members import list_members, member_names
from hub.services.accounts.sessions import ConsoleSession
from hub.services.audit.trail import CsvLabels, actions, integrity_header
from hub.services.console import dpo_console as dpo
from hub.services.console.dpo_lookup import find_person
from hub.services.console.dpo_report import person_and_sources
from hub.services.console.integrity import integrity_status, verify_now
from hub.web import labels
from hub.web.dates import typed_day
from hub.web.pages import HEADERS, PARIS, render
from hub.web.security import PREFIX, checked_form, hub_of, role

router = APIRouter(prefix="/dpo")
officer = role("dpo")
_OPAQUE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")  # as the API's ids: no "-" first
_CRITERIA = ("porteur", "membre", "action", "depuis", "jusqua", "compte")
PERIODS = {"7": 7, "30": 30}  # "" : each rule's own window


@router.get("/journal")
def log_form(request: Request, session: ConsoleSession = Depends(officer)) -> Response:
    """The search form; with criteria in the address (an alert's link: member, action,
    days, account; never a porteur), their events at once."""
    asked = {k: v for k, v in request.query_params.items() if k in _CRITERIA[1:] and v}
    if not asked:
        return _log_page(request, {}, None)
    found = dpo.search_log(hub_of(request), session, **_criteria(request, asked))
    return _log_page(request, _iso_days(asked), found)


@router.post("/journal")
def log_search(request: Request, form: dict[str, str] = Depends(checked_form),
               session: ConsoleSession = Depends(officer)) -> Response:
    """The events matching the form, newest first, a page at a time (`aller`, the search
    pinned to the log's last seq at its first page, `jusqu_au_n`: the page views logged
    since never shift the pages)."""
    page = form.get("aller", "1")
    upto = whole_number(form.get("jusqu_au_n", ""), 18) if "aller" in form else None
    found = dpo.search_log(hub_of(request), session, **_criteria(request, form),
                           page=whole_number(page, 6) or 1, upto=upto)
    return _log_page(request, _iso_days(form), found)


def _criteria(request: Request, form: dict[str, str]) -> dict[str, Any]:
    """The log search's criteria from its form (also carried by the export buttons)."""
    return {
        "porteur_id": _opaque(form.get("porteur", "")) or None,
        "member": form.get("membre") or None,
        "action": form.get("action") if form.get("action") in actions() else None,
        "since": _day(form.get("depuis", ""), "Du"),
        "until": _day(form.get("jusqua", ""), "Au (inclus)", next_day=True),
        "account": _account(request, form.get("compte", "").strip()),
    }


def _iso_days(form: dict[str, str]) -> dict[str, str]:
    """The form as the page shows it again: its days (checked) as the date fields hold them."""
    days = {k: typed_day(form[k], k) for k in ("depuis", "jusqua") if form.get(k)}
    return {**form, **{k: d.isoformat() for k, d in days.items() if d}}


def _account(request: Request, login: str) -> str | None:
    if not login:
        return None
    found = next((u["id"] for u in accounts.list_users(hub_of(request))
                  if u["login"].lower() == login.lower()), None)
    if found is None:
        raise BadRequest("Compte inconnu : choisissez un identifiant de connexion de la liste.",
                         "Unknown console account: choose a login from the list.")
    return found


@router.get("/personne")
def person_form(request: Request, session: ConsoleSession = Depends(officer)) -> Response:
    return render(request, "personne.html", asked="", found=None, members=_member_names(request))


@router.post("/personne")
def person_lookup(request: Request, form: dict[str, str] = Depends(checked_form),
                  session: ConsoleSession = Depends(officer)) -> Response:
    """From what the person gives (name, birth date, e-mail) to the porteur id(s)."""
    asked = form.get("qui", "").strip()[:200]
    found = find_person(hub_of(request), session, asked)
    return render(request, "personne.html", asked=asked, found=found,
                  members=_member_names(request))


def _member_names(request: Request) -> dict[str, str]:
    return member_names(hub_of(request))


@router.post("/rapport")
def report_request(request: Request, form: dict[str, str] = Depends(checked_form),
                   session: ConsoleSession = Depends(officer)) -> Response:
    porteur_id = _named_porteur(form.get("porteur", ""))
    return RedirectResponse(f"{PREFIX}/dpo/rapport/{porteur_id}", status_code=303,
                            headers=HEADERS)


@router.get("/rapport/{porteur_id}")
def report(porteur_id: str, request: Request,
           session: ConsoleSession = Depends(officer)) -> Response:
    hub = hub_of(request)
    porteur_id = _named_porteur(porteur_id)  # a blank one was the report of a porteur "-"
    found = dpo.access_report(hub, session, porteur_id)
    return render(request, "rapport.html", report=found, generated=hub.clock(),
                  person=person_and_sources(hub, session, porteur_id),
                  members=_member_names(request))


@router.get("/alertes")
def alerts(request: Request, periode: str = "", fait: str = "",
           session: ConsoleSession = Depends(officer)) -> Response:
    days = PERIODS.get(periode)
    found = dpo.alerts_with_acknowledgements(hub_of(request), session, days=days)
    return render(request, "alertes.html", alerts=found, periode=periode if days else "",
                  periods=PERIODS, members=_member_names(request),
                  logins={u["id"]: u["login"] for u in accounts.list_users(hub_of(request))},
                  notice="Alerte prise en compte : c'est inscrit au journal d'accès, avec votre "
                         "compte et l'heure." if fait == "vu" else None)


@router.post("/alertes/prise-en-compte")
def acknowledge(request: Request, form: dict[str, str] = Depends(checked_form),
                session: ConsoleSession = Depends(officer)) -> Response:
    """The DPO took an alert into account (logged: who and when)."""
    entry = whole_number(form.get("entree", ""))
    if entry is None:
        raise BadRequest("Alerte inconnue : rechargez la page des alertes.", "Unknown alert.")
    dpo.acknowledge_alert(hub_of(request), session, entry)
    period = form.get("periode", "") if form.get("periode", "") in PERIODS else ""
    return RedirectResponse(f"{PREFIX}/dpo/alertes?{urlencode({'periode': period, 'fait': 'vu'})}",
                            status_code=303, headers=HEADERS)


@router.get("/integrite")
def integrity(request: Request, session: ConsoleSession = Depends(officer)) -> Response:
    return render(request, "integrite.html", status_=integrity_status(hub_of(request)),
                  just_checked=None)


@router.post("/integrite")
def integrity_check(request: Request, _form: dict[str, str] = Depends(checked_form),
                    session: ConsoleSession = Depends(officer)) -> Response:
    hub = hub_of(request)
    checked = verify_now(hub, session)
    return render(request, "integrite.html", status_=integrity_status(hub), just_checked=checked)


@router.get("/consentements")
def consents(request: Request, page: str = "1",
             session: ConsoleSession = Depends(officer)) -> Response:
    """Consents by status and member; the ended ones a page at a time (`page`)."""
    return render(request, "consentements.html", overview=dpo.consents_overview(
        hub_of(request), session, whole_number(page, 6) or 1))


@router.post("/export")
def export(request: Request, form: dict[str, str] = Depends(checked_form),
           session: ConsoleSession = Depends(officer)) -> Response:
    """The current search's events as JSONL entry lines, or with no criterion the whole
    log with its signed heads (for `capactif audit verify`)."""
    hub, criteria = hub_of(request), _criteria(request, form)
    name = f"journal-acces-{hub.clock():%Y%m%d-%H%M%S}.jsonl"
    headers = {**HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}
    if any(value is not None for value in criteria.values()):
        return StreamingResponse(dpo.export_search(hub, session, "jsonl", **criteria),
                                 media_type="application/x-ndjson", headers=headers)
    buffer = io.StringIO()
    done = dpo.export_log(hub, session, buffer)
    return Response(buffer.getvalue(), media_type="application/x-ndjson",
                    headers={**headers, **integrity_header(done.mismatch)})


@router.post("/export.csv")
def export_csv(request: Request, form: dict[str, str] = Depends(checked_form),
               session: ConsoleSession = Depends(officer)) -> Response:
    """The current search's events (every event without a criterion) for a spreadsheet:
    French headers, names rather than codes, Paris times, a BOM."""
    hub = hub_of(request)
    csv_labels = CsvLabels(PARIS, _member_names(request),
                           {u["id"]: u["login"] for u in accounts.list_users(hub)},
                           labels.ACTIONS, labels.OUTCOMES)
    name = f"journal-acces-{hub.clock():%Y%m%d-%H%M%S}.csv"
    return StreamingResponse(
        dpo.export_search(hub, session, "csv", csv_labels, **_criteria(request, form)),
        media_type="text/csv; charset=utf-8",
        headers={**HEADERS, "Content-Disposition": f'attachment; filename="{name}"'})


def _log_page(request: Request, form: dict[str, str], found: dict[str, Any] | None) -> Response:
    members = list_members(hub_of(request))
    users = accounts.list_users(hub_of(request))
    return render(request, "journal.html", form=form, found=found, members=members,
                  actions=actions(), members_by_id=member_names(hub_of(request)),
                  logins={u["id"]: u["login"] for u in users},
                  criteria={k: v for k, v in form.items() if k in _CRITERIA and v})


def _named_porteur(text: str) -> str:
    porteur_id = _opaque(text)
    if not porteur_id:
        raise BadRequest("Indiquez l'identifiant du porteur (prt_…).",
                         "Give the porteur's id (prt_…).")
    return porteur_id


def _opaque(text: str) -> str:
    text = text.strip()
    if text and not _OPAQUE_ID.match(text):
        raise BadRequest("Identifiant de porteur mal formé (lettres, chiffres, _ et - seulement).",
                         "Malformed porteur id (letters, digits, _ and - only).")
    return text


def _day(text: str, field: str, *, next_day: bool = False) -> dt.datetime | None:
    day = typed_day(text, field)
    if day is None:
        return None
    # A day of the network's calendar: from midnight in Paris.
    return dt.datetime.combine(day + dt.timedelta(days=int(next_day)), dt.time(), tzinfo=PARIS)
