"""The coordination's list of porteurs: search by name, e-mail or birth date, filters
(member following, commune or EPCI, stage, active or closed projects, period of first
contact, without referent, without parrain), sorting and numbered pages, all run in
the database on the coordination's index (`hub.services.console.porteur_index`). Only the
page shown is read from the fiches, as the projection lets the coordination see it,
and each porteur shown is logged as a console view; a search is logged as a search
(the fields looked into, never what was typed)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from hub.bootstrap import Hub
from hub.domain.search_terms import query_terms, searched_fields
from hub.errors import BadRequest
from hub.services.accounts.sessions import ConsoleSession
from hub.services.audit import trail as audit
from hub.services.console import network_time, porteur_index
from hub.services.console.parcours import STAGES, collect, view_events
from hub.store.porteur_index_repository import SORTS, Filters

PROJECTS = {"en_cours": True, "termines": False, "tous": None}
PER_PAGE = 50


@dataclasses.dataclass(frozen=True)
class PorteurQuery:
    """What the coordinator asked for (the porteurs page's form)."""

    text: str = ""
    member: str = ""
    territory: str = ""  # "commune:<INSEE code>" or "epci:<member id>"
    stage: str = ""
    projects: str = "en_cours"
    since: dt.date | None = None
    until: dt.date | None = None
    without_referent: bool = False
    without_parrain: bool = False
    sort: str = "attention"
    descending: bool = False
    page: int = 1

    def check(self) -> None:
        """Refuse values no form offers, saying which one and what is expected."""
        if self.stage and self.stage not in STAGES:
            raise BadRequest("Étape inconnue : choisissez une étape de la liste.",
                             "Unknown stage.")
        if self.projects not in PROJECTS:
            raise BadRequest("Projets : « en_cours », « termines » ou « tous ».",
                             "Unknown project state.")
        if self.sort != "attention" and self.sort not in SORTS:
            raise BadRequest("Tri inconnu : choisissez une colonne du tableau.", "Unknown sort.")
        if self.territory and not self.territory.startswith(("commune:", "epci:")):
            raise BadRequest("Territoire : choisissez une commune ou un EPCI de la liste.",
                             "Unknown territory.")
        if self.since and self.until and self.since > self.until:
            raise BadRequest("Période : la date de début est après la date de fin.",
                             "The period starts after it ends.")


def porteurs_to_follow(hub: Hub, session: ConsoleSession, query: PorteurQuery,
                       per_page: int = PER_PAGE) -> dict[str, Any]:
    """One page of the porteurs the coordination may see, as `query` asks. A search
    by name, e-mail or birth date looks into every project, ongoing or closed."""
    query.check()
    porteur_index.refresh(hub)
    today, weeks = network_time.today(hub), hub.settings.console_stalled_weeks
    stalled_before = today - dt.timedelta(weeks=weeks)
    terms = query_terms(query.text)
    if query.text.strip() and not terms:
        raise BadRequest("Recherche : tapez un nom, une adresse e-mail ou une date de "
                         "naissance (JJ/MM/AAAA).", "Nothing searchable in the search.")
    filters = Filters(
        search_digests=tuple(porteur_index.search_digest(hub, t) for t in terms),
        member=query.member or None, communes=_communes(hub, query.territory),
        stage=query.stage or None, active=None if terms else PROJECTS[query.projects],
        since=query.since,
        until=query.until, without_referent=query.without_referent,
        without_parrain=query.without_parrain)
    with hub.uow() as uow:
        counts = uow.porteur_index.summary(filters, stalled_before)
        pages = max(1, -(-counts["total"] // per_page))
        page = min(max(1, query.page), pages)
        ids = uow.porteur_index.page(filters, query.sort, query.descending, per_page,
                                     (page - 1) * per_page)
    found = {p.porteur_id: p for p in collect(hub, session.member, ids)}
    shown = [found[i] for i in ids if i in found and found[i].fiches]
    searched = [audit.event(hub, "search", session.member, user=session.user_id,
                            fields=searched_fields(terms))] if terms else []
    audit.record(hub, [*searched, *view_events(hub, session, shown)])  # one transaction
    return {"porteurs": shown, "page": page, "pages": pages, **counts, "today": today,
            "weeks": weeks, "searched": bool(terms)}


def territories(hub: Hub) -> dict[str, list[tuple[str, str]]]:
    """The choices of the territory filter: communes of indexed projects, and EPCIs."""
    with hub.uow() as uow:
        communes = uow.porteur_index.communes()
        epcis = [(m.id, m.name) for m in uow.members.all() if m.kind == "epci"]
    return {"communes": [(f"commune:{code}", name) for code, name in communes],
            "epcis": [(f"epci:{member}", name) for member, name in sorted(epcis, key=_name)]}


def _communes(hub: Hub, territory: str) -> tuple[str, ...]:
    kind, _, value = territory.partition(":")
    if kind == "commune":
        return (value,)
    if kind == "epci":
        with hub.uow() as uow:
            member = next((m for m in uow.members.all() if m.id == value and m.kind == "epci"),
                          None)
        if member is None:
            raise BadRequest("EPCI inconnu : choisissez un EPCI de la liste.", "Unknown EPCI.")
        return tuple(member.territory) or ("-",)
    return ()


def _name(pair: tuple[str, str]) -> str:
    return pair[1]
