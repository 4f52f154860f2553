"""The coordination's view of porteurs: each one's parcours across members (steps,
referent, parrain, stage), built only from what the projection lets the console's
member see as role `coordination`, and logged as a console view per porteur shown.

The list of porteurs (search, filters, sorting, pages) runs on the coordination's
index: `hub.services.console.porteur_search`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import orjson

from hub.audit.events import AccessEvent
from hub.audit.rows import as_utc
from hub.bootstrap import Hub
from hub.domain.projection import project
from hub.errors import NotFound
from hub.services.accounts.sessions import ConsoleSession
from hub.services.audit import trail as audit
from hub.services.delivery.deliveries import Disclosure, disclosure_for

ROLE = "coordination"
STAGES = ("idee", "emergence", "montage", "financement", "installe", "post_creation", "abandonne")
# The fields these pages display; an access event names those the projection let through.
DISPLAYED = frozenset({
    "porteur.nom", "porteur.prenom", "projet.intitule", "projet.stade", "projet.type",
    "projet.commune_implantation.nom", "mis_a_jour_le", "accompagnement[].structure",
    "accompagnement[].date", "accompagnement[].type", "accompagnement[].referent",
    "accompagnement[].parrain",
})


@dataclasses.dataclass(frozen=True)
class Step:
    date: dt.date
    member: str
    kind: str
    referent: str | None
    parrain: str | None


@dataclasses.dataclass
class Parcours:
    """One porteur as the coordination may see them."""

    porteur_id: str
    first_seen: dt.date
    name: str | None = None
    projects: list[str] = dataclasses.field(default_factory=list)
    stage: str | None = None
    commune: str | None = None
    commune_code: str | None = None
    members: set[str] = dataclasses.field(default_factory=set)
    steps: list[Step] = dataclasses.field(default_factory=list)
    last_news: dt.date | None = None
    fiches: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    fields: set[str] = dataclasses.field(default_factory=set)
    purpose: str | None = None
    policy_version: str | None = None
    identities: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    # Every fiche's own identity block, shared or not (the DPO's lookup only).
    own_identities: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    first_dated: dt.date | None = None
    _stage_at: str = ""

    @property
    def referent(self) -> Step | None:
        return next((s for s in reversed(self.steps) if s.referent), None)

    @property
    def parrain(self) -> Step | None:
        return next((s for s in reversed(self.steps) if s.parrain), None)

    @property
    def first_contact(self) -> dt.date:
        """The first step of support; without one, the earliest date a member put on
        its fiche; the day the hub first saw the porteur only when neither is known
        (a hub loaded today must not make every porteur "new this month")."""
        if self.steps:
            return self.steps[0].date
        return self.first_dated or self.first_seen

    def stalled(self, today: dt.date, weeks: int) -> bool:
        return self.last_news is None or (today - self.last_news).days >= 7 * weeks


def parcours_of(hub: Hub, session: ConsoleSession, porteur_id: str) -> Parcours:
    found = collect(hub, session.member, porteur_id)
    if not found or not found[0].fiches:
        raise NotFound("Aucun porteur visible par la coordination sous cet identifiant.",
                       "No porteur visible to the coordination has this id.")
    log_views(hub, session, found)
    return found[0]


def collect(hub: Hub, member: str,
            porteur_ids: str | Sequence[str] | None = None) -> list[Parcours]:
    """Parcours of every porteur (or of those of `porteur_ids`), from the current
    version of each fiche."""
    with hub.uow() as uow:
        rows = uow.fiche_reads.current(porteur_ids)
    hub.consents.prefetch((row.member_id, row.fiche_id) for row in rows)
    return parcours_from(hub, member, rows)


def parcours_from(hub: Hub, member: str, rows: Sequence[Any]) -> list[Parcours]:
    """Parcours of the porteurs of `rows` (opened current fiches, their consents
    prefetched)."""
    found: dict[str, Parcours] = {}
    for row in rows:
        person = found.setdefault(row.porteur_id, Parcours(
            row.porteur_id, as_utc(row.porteur_since).date()))
        _add_fiche(hub, person, member, row)
    for person in found.values():
        person.steps.sort(key=lambda s: s.date)
    return list(found.values())


def log_views(hub: Hub, session: ConsoleSession, shown: Iterable[Parcours]) -> None:
    """One access event per porteur displayed: pseudonyms and field names only."""
    audit.record(hub, view_events(hub, session, shown))


def view_events(hub: Hub, session: ConsoleSession,
                shown: Iterable[Parcours]) -> list[AccessEvent]:
    """The access events of `log_views`, for a caller recording them with others in one
    transaction."""
    return [audit.event(hub, "console_view", session.member, user=session.user_id,
                        porteur_id=p.porteur_id, fiches=p.fiches, fields=sorted(p.fields),
                        purpose=p.purpose, policy_version=p.policy_version)
            for p in shown if p.fiches]


def _add_fiche(hub: Hub, person: Parcours, member: str, row: Any) -> None:
    fiche = orjson.loads(row.payload)
    person.own_identities.append(fiche.get("porteur") or {})
    disclosure = disclosure_for(hub, row.member_id, fiche, member, ROLE, is_referent=False)
    if disclosure is None:  # not counted either: a count tells a withdrawal from an erasure
        return
    document = disclosure.document
    person.fiches.append((row.member_id, row.fiche_id))
    person.fields |= DISPLAYED & disclosure.allowed.paths
    person.purpose, person.policy_version = disclosure.purpose, disclosure.allowed.policy_version
    person.members.add(row.member_id)
    _add_identity(person, document)
    for step in document.get("accompagnement", []):
        _add_step(person, step)
    updated = dated_update(row, disclosure)
    dated = _date(updated[:10])
    _note_news(person, dated)
    if dated is not None and (person.first_dated is None or dated < person.first_dated):
        person.first_dated = dated
    stage = (document.get("projet") or {}).get("stade")
    if stage and updated >= person._stage_at:
        person.stage, person._stage_at = stage, updated


def dated_update(row: Any, disclosure: Disclosure) -> str:
    """The `mis_a_jour_le` the coordination is shown of a fiche (as `disclosure` lets
    it): that of the newest version changing something it may see (`row.dated_payload`,
    `fiches.coordination_version`), not the current one's when that changed only fields
    hidden from it, whose date would tell that, and when, its owner edited them."""
    if row.dated_payload is None:
        return str(disclosure.document.get("mis_a_jour_le", ""))
    return str(project(orjson.loads(row.dated_payload), disclosure.allowed)
               .get("mis_a_jour_le", ""))


def _add_identity(person: Parcours, document: dict[str, Any]) -> None:
    porteur, projet = document.get("porteur") or {}, document.get("projet") or {}
    if person.name is None and porteur.get("nom"):
        person.name = f"{porteur.get('prenom', '')} {porteur['nom'].upper()}".strip()
    title = projet.get("intitule")
    if title and title not in person.projects:
        person.projects.append(title)
    place = projet.get("commune_implantation") or {}
    if person.commune is None and place.get("nom"):
        person.commune, person.commune_code = place["nom"], place.get("code_insee")
    person.identities.append(porteur)


def _add_step(person: Parcours, step: dict[str, Any]) -> None:
    when = _date(step.get("date", ""))
    if when is None:
        return
    person.steps.append(Step(when, step.get("structure", "?"), step.get("type", "?"),
                             step.get("referent"), step.get("parrain")))
    person.members.add(step.get("structure", "?"))
    _note_news(person, when)


def _note_news(person: Parcours, when: dt.date | None) -> None:
    if when is not None and (person.last_news is None or when > person.last_news):
        person.last_news = when


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None
