"""Network indicators for the steering committee: projects followed, with a referent,
installations, financed by the PFILs, by month of first contact and by member.

Counts only, never a person: each fiche is read through the projection for the
purpose `statistiques` (role `coordination`), so a porteur whose consent excludes
statistics is left out. Whether a referent is named is the one thing read through
the coordination's own view (the parcours pages show it), reduced at once to yes/no.
"""

from __future__ import annotations

import collections
import dataclasses
from typing import Any

import orjson

from hub.bootstrap import Hub
from hub.services import audit
from hub.services.deliveries import disclosure_for
from hub.services.members import list_members
from hub.services.sessions import ConsoleSession

ROLE, PURPOSE = "coordination", "statistiques"
INDICATORS = {"suivis": "Projets suivis", "avec_referent": "Avec un référent",
              "installations": "Installations", "finances_pfil": "Financés par une PFIL"}
UNITS = {"suivis": "projets suivis", "avec_referent": "avec un référent",
         "installations": "installations", "finances_pfil": "financés par une PFIL"}
_INSTALLED_STAGES = {"installe", "post_creation"}
_INSTALLED_STEPS = {"installation", "suivi_post_creation"}


@dataclasses.dataclass
class _Porteur:
    first_contact: str = "9999-99"
    members: set[str] = dataclasses.field(default_factory=set)
    flags: dict[str, bool] = dataclasses.field(default_factory=lambda: dict.fromkeys(INDICATORS, False))


def network_indicators(hub: Hub, session: ConsoleSession) -> dict[str, Any]:
    members = {m["id"]: m for m in list_members(hub)}
    with hub.uow() as uow:
        rows = uow.fiche_reads.current()
    hub.consents.prefetch((row.member_id, row.fiche_id) for row in rows)
    porteurs: dict[str, _Porteur] = collections.defaultdict(_Porteur)
    left_out = set()
    for row in rows:
        fiche = orjson.loads(row.payload)
        stats = disclosure_for(hub, row.member_id, fiche, session.member, ROLE, False,
                               purposes=[PURPOSE])
        if stats is None:
            left_out.add(row.porteur_id)
            continue
        _count(porteurs[row.porteur_id], stats.document, row.member_id, members)
        view = disclosure_for(hub, row.member_id, fiche, session.member, ROLE, False)
        named = view is not None and any(s.get("referent") for s in view.document.get(
            "accompagnement", []))
        porteurs[row.porteur_id].flags["avec_referent"] = \
            bool(porteurs[row.porteur_id].flags["avec_referent"]) or named
    audit.record(hub, [audit.event(hub, "console_view", session.member, user=session.user_id,
                                   purpose=PURPOSE, policy_version=hub.policy.current.version)])
    return {"par_mois": _every_month(_table(porteurs, lambda p: [p.first_contact])),
            "par_membre": _by_member(porteurs, members),
            "totaux": _totals(porteurs.values()), "indicateurs": INDICATORS, "unites": UNITS,
            "hors_statistiques": len(left_out - set(porteurs))}


def _count(porteur: _Porteur, document: dict[str, Any], owner: str,
           members: dict[str, dict[str, Any]]) -> None:
    steps = document.get("accompagnement", [])
    dates = [s["date"][:7] for s in steps if s.get("date")] or \
        [document.get("mis_a_jour_le", "9999-99")[:7]]
    porteur.first_contact = min([porteur.first_contact, *dates])
    porteur.members |= {owner} | {s["structure"] for s in steps if s.get("structure")}
    flags = porteur.flags
    flags["suivis"] = True
    stage = (document.get("projet") or {}).get("stade")
    flags["installations"] = bool(flags["installations"]) or stage in _INSTALLED_STAGES or any(
        s.get("type") in _INSTALLED_STEPS for s in steps)
    loan = (document.get("financement") or {}).get("pret_honneur") or 0
    by_pfil = (_is_pfil(owner, members) and loan > 0) or any(
        s.get("type") == "financement" and _is_pfil(s.get("structure"), members) for s in steps)
    flags["finances_pfil"] = bool(flags["finances_pfil"]) or by_pfil


def _is_pfil(member: str | None, members: dict[str, dict[str, Any]]) -> bool:
    return member in members and members[member]["nature"] == "pfil"


def _table(porteurs: dict[str, _Porteur], keys: Any) -> list[dict[str, Any]]:
    counts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for porteur in porteurs.values():
        for key in keys(porteur):
            counts[key].update(name for name, on in porteur.flags.items() if on)
    return [{"cle": key, **{name: counts[key][name] for name in INDICATORS}}
            for key in sorted(counts)]


def _every_month(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The monthly rows with the months between them that have no porteur (zeros), so
    that a chart's axis keeps time regular."""
    found = {row["cle"]: row for row in rows}
    months = sorted(key for key in found if len(key) == 7 and key[4] == "-" and
                    key[:4].isdigit() and key[5:].isdigit() and key != "9999-99")
    if not months:
        return rows
    year, month = int(months[0][:4]), int(months[0][5:])
    every = []
    while f"{year:04d}-{month:02d}" <= months[-1]:
        key = f"{year:04d}-{month:02d}"
        every.append(found.get(key) or {"cle": key, **dict.fromkeys(INDICATORS, 0)})
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return every + [row for key, row in found.items() if key not in months]


def _by_member(porteurs: dict[str, _Porteur],
               members: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    rows = _table(porteurs, lambda p: sorted(p.members))
    for row in rows:
        row["nom"] = members.get(row["cle"], {}).get("nom", row["cle"])
    return sorted(rows, key=lambda r: (-r["suivis"], r["nom"]))


def _totals(porteurs: Any) -> dict[str, int]:
    return {name: sum(1 for p in porteurs if p.flags[name]) for name in INDICATORS}
