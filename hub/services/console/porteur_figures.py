"""Each porteur's figures for the steering committee, computed when the coordination's
index refreshes the porteur (`hub.services.console.porteur_index`) so that the indicators page
only counts rows in the database.

Each fiche is read through the projection for the purpose `statistiques` (role
`coordination`): a fiche whose consent excludes statistics is not counted. Whether a
referent is named is read through the coordination's own view (the parcours pages
show it), reduced at once to yes/no. A porteur none of whose fiches the coordination may
see has no figures at all: not even the count of porteurs left out of the statistics may
tell the coordination that a person hidden from it arrived.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import orjson

from hub.bootstrap import Hub
from hub.services.console.parcours import dated_update
from hub.services.delivery.deliveries import disclosure_for

ROLE, PURPOSE = "coordination", "statistiques"
UNDATED = "9999-99"
_INSTALLED_STAGES = {"installe", "post_creation"}
_INSTALLED_STEPS = {"installation", "suivi_post_creation"}


@dataclasses.dataclass
class Figures:
    """One porteur's row: the month of first contact (None: not counted) and flags."""

    porteur_id: str
    first_month: str | None = None
    avec_referent: bool = False
    installations: bool = False
    finances_pfil: bool = False
    members: set[str] = dataclasses.field(default_factory=set)

    def row(self) -> dict[str, Any]:
        return {"porteur_id": self.porteur_id, "first_month": self.first_month,
                "avec_referent": self.avec_referent, "installations": self.installations,
                "finances_pfil": self.finances_pfil}


def figures_of(hub: Hub, member: str, rows: Sequence[Any],
               pfils: set[str]) -> list[Figures]:
    """The figures of every porteur of `rows` (opened current fiches) the coordination
    may see a fiche of, `pfils` being the ids of the network's PFILs."""
    found: dict[str, Figures] = {}
    for row in rows:
        fiche = orjson.loads(row.payload)
        view = disclosure_for(hub, row.member_id, fiche, member, ROLE, False)
        if view is None:  # hidden from the coordination: not even « left out »
            continue
        person = found.setdefault(row.porteur_id, Figures(row.porteur_id))
        stats = disclosure_for(hub, row.member_id, fiche, member, ROLE, False,
                               purposes=[PURPOSE])
        if stats is None:
            continue
        _count(person, stats.document, dated_update(row, stats), row.member_id, pfils)
        person.avec_referent = person.avec_referent or any(
            s.get("referent") for s in view.document.get("accompagnement", []))
    return list(found.values())


def _count(person: Figures, document: dict[str, Any], updated: str, owner: str,
           pfils: set[str]) -> None:
    steps = document.get("accompagnement", [])
    dates = [s["date"][:7] for s in steps if s.get("date")] or [(updated or UNDATED)[:7]]
    person.first_month = min([person.first_month or UNDATED, *dates])
    person.members |= {owner} | {s["structure"] for s in steps if s.get("structure")}
    stage = (document.get("projet") or {}).get("stade")
    person.installations = person.installations or stage in _INSTALLED_STAGES or any(
        s.get("type") in _INSTALLED_STEPS for s in steps)
    loan = (document.get("financement") or {}).get("pret_honneur") or 0
    person.finances_pfil = person.finances_pfil or (owner in pfils and loan > 0) or any(
        s.get("type") == "financement" and s.get("structure") in pfils for s in steps)
