"""Routing: which members receive a fiche event.

Three sources, merged per member: the members already linked to the porteur
(`linked`), the structure of the porteur's referent (`referent`: the latest
`accompagnement[]` step naming a `referent`), and members whose subscription matches
the fiche (`subscription`: territory, stage, need, kind of project, NAF sector). The
fiche's owner never receives its own fiche, and a member absent from the network
receives nothing. What each recipient may SEE is decided later by the projection.

Example:
    >>> import datetime as dt
    >>> from hub.domain.events import FicheCreated
    >>> members = {m.id: m for m in [NetworkMember("cci-63", "accueil"),
    ...     NetworkMember("cci-thiers", "accompagnement"), NetworkMember("pfil-43", "financement")]}
    >>> fiche = {"membre": "cci-63", "projet": {"commune_implantation": {"code_insee": "43157"}}}
    >>> event = FicheCreated(membre="cci-63", fiche_id="F-1", porteur_id="p-1", version=1,
    ...                      occurred_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC))
    >>> subscriptions = [Subscription.create("pfil-43", communes=["43157"])]
    >>> for recipient in recipients(event, fiche, {"cci-thiers", "cci-63"}, members, subscriptions):
    ...     print(recipient.member, recipient.role, sorted(recipient.reasons))
    cci-thiers accompagnement ['linked']
    pfil-43 financement ['subscription']
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable, Mapping
from typing import Any

from hub.domain.events import Event

LINKED = "linked"
REFERENT = "referent"
SUBSCRIPTION = "subscription"
COORDINATION = "coordination"  # the role whose subscriptions no territory bounds


@dataclasses.dataclass(frozen=True)
class NetworkMember:
    """A member of the network as routing needs it."""

    id: str
    role: str


@dataclasses.dataclass(frozen=True)
class Subscription:
    """A member's standing request for fiches. Every criterion given must match (a value
    among those listed); a subscription with no criterion matches nothing.

    `communes` are INSEE codes; an EPCI is given as the INSEE codes of its communes
    (see `create`). A fiche is in the territory if its project's commune or the
    porteur's commune is listed. `naf_prefixes` match the start of `projet.code_naf`
    ("01" for crop and animal production).

    `territory`, when not empty, bounds the subscription: the INSEE codes of the
    member's declared territory, which a fiche must also be in, whatever the criteria
    (a subscription naming no commune means "my territory", not "anywhere"), and
    outside which a listed commune counts for nothing: the fiche's commune that meets
    `communes` is one of the territory (`in_force` shows a subscription so). It is no
    criterion: a subscription with only a territory still matches nothing.
    """

    member: str
    communes: frozenset[str] = frozenset()
    stages: frozenset[str] = frozenset()
    needs: frozenset[str] = frozenset()
    project_kinds: frozenset[str] = frozenset()
    naf_prefixes: frozenset[str] = frozenset()
    territory: frozenset[str] = frozenset()

    @classmethod
    def create(
        cls,
        member: str,
        *,
        communes: Iterable[str] = (),
        epcis: Iterable[Iterable[str]] = (),
        stages: Iterable[str] = (),
        needs: Iterable[str] = (),
        project_kinds: Iterable[str] = (),
        naf_prefixes: Iterable[str] = (),
        territory: Iterable[str] = (),
    ) -> Subscription:
        listed = set(communes).union(*(set(epci) for epci in epcis))
        return cls(member, frozenset(listed), frozenset(stages), frozenset(needs),
                   frozenset(project_kinds), frozenset(naf_prefixes), frozenset(territory))

    @functools.cached_property
    def has_criteria(self) -> bool:  # asked of every subscription at every fiche
        return any((self.communes, self.stages, self.needs, self.project_kinds,
                    self.naf_prefixes))

    def matches(self, fiche: Mapping[str, Any]) -> bool:
        return self.has_criteria and self._covers(_facts(fiche))

    def _covers(self, facts: _Facts) -> bool:
        within = facts.communes & self.territory if self.territory else facts.communes
        return (
            _meets(self.territory, within)
            and _meets(self.communes, within)
            and _meets(self.stages, facts.stages)
            and _meets(self.needs, facts.needs)
            and _meets(self.project_kinds, facts.kinds)
            and (not self.naf_prefixes or any(facts.naf.startswith(p) for p in self.naf_prefixes))
        )


def bound_of(role: str, territory: Iterable[str]) -> frozenset[str]:
    """The communes that bound a member's subscriptions: its declared territory; none
    (anywhere) for the coordination and for a member without one (network-wide)."""
    return frozenset() if role == COORDINATION else frozenset(territory)


def outside(criteria: Iterable[Mapping[str, Any]], bound: frozenset[str]) -> list[str]:
    """The communes `criteria` (subscriptions as the network file and the API write them)
    name outside `bound`, sorted; none when nothing bounds them."""
    if not bound:
        return []
    return sorted({code for c in criteria for code in c.get("communes", ()) if code not in bound})


def in_force(criteria: Iterable[Mapping[str, Any]], bound: frozenset[str]) -> list[dict[str, Any]]:
    """`criteria` as routing applies them within `bound`: each one's communes outside it
    left out, and one that named only such communes (it matches nothing) left out whole.
    One naming no commune stays as it is: it means the territory. What this answers is
    within `bound`, so it can be written back as it is."""
    shown = []
    for criterion in criteria:
        communes = criterion.get("communes")
        if bound and communes:
            kept = [code for code in communes if code in bound]
            if not kept:
                continue
            criterion = {**criterion, "communes": kept}
        shown.append(dict(criterion))
    return shown


@dataclasses.dataclass(frozen=True)
class Recipient:
    """One member to deliver to, and why (`linked`, `referent`, `subscription`)."""

    member: str
    role: str
    reasons: frozenset[str]

    @property
    def is_referent(self) -> bool:
        return REFERENT in self.reasons


def recipients(
    event: Event,
    fiche: Mapping[str, Any],
    linked_members: Iterable[str],
    members: Mapping[str, NetworkMember],
    subscriptions: Iterable[Subscription],
) -> list[Recipient]:
    """Members to deliver `event` about `fiche` to, sorted by member id, owner excluded."""
    reasons: dict[str, set[str]] = {}
    for member in linked_members:
        reasons.setdefault(member, set()).add(LINKED)
    referent = referent_structure(fiche)
    if referent is not None:
        reasons.setdefault(referent, set()).add(REFERENT)
    facts = _facts(fiche)  # once per fiche, not once per subscription
    for subscription in subscriptions:
        if subscription.has_criteria and subscription._covers(facts):
            reasons.setdefault(subscription.member, set()).add(SUBSCRIPTION)
    owners = {getattr(event, "membre", None), fiche.get("membre")}
    return [
        Recipient(member, members[member].role, frozenset(why))
        for member, why in sorted(reasons.items())
        if member not in owners and member in members
    ]


def referent_structure(fiche: Mapping[str, Any]) -> str | None:
    """The structure of the latest support step naming a referent (list order breaks ties)."""
    latest: tuple[str, int, str] | None = None
    steps = fiche.get("accompagnement")
    for position, step in enumerate(steps if isinstance(steps, list) else ()):
        if not isinstance(step, dict) or not step.get("referent"):
            continue
        structure = step.get("structure")
        if isinstance(structure, str):
            key = (str(step.get("date", "")), position, structure)
            latest = key if latest is None or key > latest else latest
    return latest[2] if latest else None


@dataclasses.dataclass(frozen=True)
class _Facts:
    communes: frozenset[str]
    stages: frozenset[str]
    needs: frozenset[str]
    kinds: frozenset[str]
    naf: str


def _facts(fiche: Mapping[str, Any]) -> _Facts:
    projet = _dict(fiche.get("projet"))
    commune_projet = _dict(projet.get("commune_implantation")).get("code_insee")
    commune_porteur = _dict(_dict(fiche.get("porteur")).get("adresse")).get("code_insee")
    needs = projet.get("besoins")
    naf = projet.get("code_naf")
    return _Facts(
        _strings((commune_projet, commune_porteur)),
        _strings((projet.get("stade"),)),
        _strings(needs if isinstance(needs, list) else ()),
        _strings((projet.get("type"),)),
        naf if isinstance(naf, str) else "",
    )


def _meets(wanted: frozenset[str], present: frozenset[str]) -> bool:
    return not wanted or not wanted.isdisjoint(present)


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _strings(values: Iterable[Any]) -> frozenset[str]:
    return frozenset(value for value in values if isinstance(value, str))
