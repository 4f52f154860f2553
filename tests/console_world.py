"""A small network with porteurs whose parcours exercise every console page: one
without a referent, one without news, one installed and financed by a PFIL with a
parrain, one whose consent leaves the coordination out, one who withdrew consent, one
typed differently by two members (a review item opened by the real pipeline); a member
whose exports raise an unusual-access alert; and the console's accounts."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from hub.bootstrap import Hub
from hub.config import Settings
from hub.domain.matching.model import CONFIRMED_FLAGS
from hub.services.accounts import users as accounts
from hub.services.accounts.auth import Caller
from hub.services.accounts.members import load_network
from hub.services.audit import trail as audit
from hub.services.delivery import feed
from hub.services.ingest import accept as ingest
from hub.services.ingest import processing
from hub.services.matching import duplicates
from hub.services.privacy import consents
from tests.factories import ALL_PURPOSES, Clock, record_consents
from tests.fakes.publisher import RecordingPublisher

PASSWORDS = {"coord": "coordination-du-reseau", "dpo": "protection-des-donnees",
             "admin": "administration-du-hub"}
ROLES = {"coord": "coordinator", "dpo": "dpo", "admin": "admin"}
MEMBERS = [
    ("pnr-livradois-forez", "Parc naturel régional Livradois-Forez", "pnr", "coordination"),
    ("commune-ambert", "Mairie d'Ambert", "commune", "accueil"),
    ("cci-puy-de-dome", "CCI du Puy-de-Dôme", "cci", "accompagnement"),
    ("pfil-livradois-forez", "Initiative Livradois-Forez", "pfil", "financement"),
    ("chambre-agriculture-63", "Chambre d'agriculture du Puy-de-Dôme", "chambre_agriculture",
     "accompagnement"),
]
# (owner, fiche id, first name, last name, project, stage, steps as (days ago, member, type,
#  referent, parrain)); names are distinctive so tests can look for them in URLs and logs.
PORTEURS = [
    ("commune-ambert", "F-ORPHELIN", "Élodie", "Faurelliat", "Épicerie de village", "emergence",
     [(10, "commune-ambert", "accueil", None, None)]),
    ("cci-puy-de-dome", "F-SILENCE", "Marc", "Boyerandot", "Garage automobile", "montage",
     [(130, "cci-puy-de-dome", "accueil", "Paul Roux", None)]),
    ("commune-ambert", "F-INSTALLE", "Sophie", "Martinelliac", "Atelier de coutellerie",
     "installe",
     [(200, "commune-ambert", "accueil", None, None),
      (150, "cci-puy-de-dome", "orientation", "Anne Vidal", None),
      (60, "pfil-livradois-forez", "financement", "Luc Garnier", "Jean Rochon"),
      (20, "cci-puy-de-dome", "installation", "Anne Vidal", "Jean Rochon")]),
    ("pfil-livradois-forez", "F-MONTAGE", "Karim", "Benalitoux", "Gîte rural", "montage",
     [(40, "pfil-livradois-forez", "accueil", "Luc Garnier", "Claire Dufour")]),
    ("chambre-agriculture-63", "F-FERME", "Julie", "Morelhaut", "Élevage caprin et fromagerie",
     "post_creation",
     [(400, "chambre-agriculture-63", "accueil", "Henri Blanc", None),
      (5, "chambre-agriculture-63", "suivi_post_creation", "Henri Blanc", None)]),
    ("commune-ambert", "F-RETRAIT", "Hugo", "Retraitonnel", "Boulangerie bio", "idee",
     [(30, "commune-ambert", "accueil", "Marie Lac", None)]),
    ("cci-puy-de-dome", "F-PRIVE", "Nadia", "Secretinova", "Conseil en informatique", "idee",
     [(15, "cci-puy-de-dome", "accueil", "Paul Roux", None)]),
]
# One person followed by two members who typed her differently: the pipeline cannot
# decide alone and opens a review item for the coordination.
DUPLICATE_PAIR = [
    ("commune-ambert", "F-DOUBLE-A", "Gaëlle", "Chanteloubière", "Ferme maraîchère", "emergence",
     [(25, "commune-ambert", "accueil", "Marie Lac", None)]),
    ("cci-puy-de-dome", "F-DOUBLE-B", "Gaelle", "CHANTELOUBIERE", "Maraîchage bio", "emergence",
     [(12, "cci-puy-de-dome", "diagnostic", "Paul Roux", None)]),
]
DUPLICATE_IDENTITIES = {
    "F-DOUBLE-A": {"date_naissance": "1986-09-21", "telephone": "04 73 82 55 17",
                   "courriel": "g.chanteloubiere@exemple.fr"},
    "F-DOUBLE-B": {"courriel": None, "adresse": None},
}
# The pair is flagged `identite_seule_a_verifier` (the CCI's fiche gives names alone): a
# « same » posted from the console ticks each flag (`duplicates.flags_of`).
CONFIRMING = {f"confirme_{flag}": "oui" for flag in CONFIRMED_FLAGS}
NAMES = [f"{p[2]} {p[3]}" for p in [*PORTEURS, *DUPLICATE_PAIR]]
EXPORTS = 6  # above the "exports_massifs" alert rule's threshold (5 a day)
PRIVATE_FICHE = "F-PRIVE"  # its consent leaves the coordination out
WITHDRAWN_FICHE = "F-RETRAIT"  # the porteur withdraws consent: nothing more is shown


def console_hub(database_url: str, folder: Path, clock: Clock) -> Hub:
    """A hub for console tests: its store at `database_url`, tasks recorded, not run."""
    settings = Settings(data_dir=folder / "data", database_url=database_url,
                        console_cookie_secure=False)
    return Hub.from_settings(settings, publisher=RecordingPublisher(), clock=clock)


def build_world(hub: Hub, folder: Path) -> dict[str, Any]:
    network = folder / "network.json"
    network.write_text(json.dumps({"reseau": "Réseau de test", "membres": [
        {"id": i, "nom": n, "nature": k, "role": r, "contact": {"courriel": f"{i}@exemple.fr"},
         **({"abonnements": [{"communes": ["63003"]}]} if i == "cci-puy-de-dome" else {})}
        for i, n, k, r in MEMBERS]}), encoding="utf-8")
    load_network(hub, network, folder / "credentials")
    today = hub.clock().date()
    fiches = [_fiche(today, *porteur) for porteur in [*PORTEURS, *DUPLICATE_PAIR]]
    records = {}
    for fiche in fiches:
        roles = ["accueil", "accompagnement", "financement"] + (
            [] if fiche["fiche_id"] == PRIVATE_FICHE else ["coordination"])
        records[fiche["fiche_id"]] = record_consents(
            hub, [fiche], roles_destinataires=roles, finalites=ALL_PURPOSES)[0]
    kinds = {m[0]: (m[2], m[3]) for m in MEMBERS}
    for fiche in fiches:
        kind, role = kinds[fiche["membre"]]
        answer = ingest.push_batch(hub, Caller(fiche["membre"], "", kind, role), [fiche])
        assert answer["accepted"] == 1, answer
        processing.process_outbox(hub, hub.publisher.published[-1])
    assert duplicates.dedup_status(hub).get("review_open") == 1  # the pair, queued
    feed.read_feed(hub, Caller("cci-puy-de-dome", "", "cci", "accompagnement"), 0, 100)
    withdrawn = records[WITHDRAWN_FICHE].id
    consents.withdraw_consent(hub, Caller("commune-ambert", "", "commune", "accueil"), withdrawn)
    for _ in range(EXPORTS):  # the CCI's DPO exports its share of the log again and again
        list(audit.export_events(hub, "cci-puy-de-dome", "csv", user="dpo",
                                 member="cci-puy-de-dome"))
    for login, role in ROLES.items():
        accounts.add_user(hub, login, role, PASSWORDS[login])
    with hub.uow() as uow:
        porteur_ids = {f["fiche_id"]: uow.fiches.porteur_of(f["membre"], f["fiche_id"]).porteur_id
                       for f in fiches}
    return {"porteurs": porteur_ids, "withdrawn": withdrawn}


def _fiche(today: dt.date, owner: str, fiche_id: str, first: str, last: str, project: str,
           stage: str, steps: list[tuple[Any, ...]]) -> dict[str, Any]:
    dated = [{"structure": member, "date": (today - dt.timedelta(days=ago)).isoformat(),
              "type": kind, **({"referent": referent} if referent else {}),
              **({"parrain": parrain} if parrain else {})}
             for ago, member, kind, referent, parrain in steps]
    updated = dt.datetime.combine(dt.date.fromisoformat(dated[-1]["date"]), dt.time(9),
                                  tzinfo=dt.UTC)
    identity = {"nom": last, "prenom": first, "courriel": f"{last.lower()}@exemple.fr",
                "adresse": {"code_postal": "63600", "commune": "Ambert", "code_insee": "63003"}}
    identity.update(DUPLICATE_IDENTITIES.get(fiche_id, {}))
    fiche = {
        "fiche_id": fiche_id, "membre": owner, "version": 1, "mis_a_jour_le": updated.isoformat(),
        "porteur": {k: v for k, v in identity.items() if v is not None},
        "projet": {"intitule": project, "type": "creation", "stade": stage,
                   "commune_implantation": {"code_insee": "63003", "nom": "Ambert"}},
        "accompagnement": dated,
        "consentement": {"reference": f"CST-{fiche_id}"},
    }
    if stage == "installe":
        fiche["financement"] = {"besoin_total": 40000, "apport": 6000, "pret_honneur": 8000}
    return fiche


def coordination_world(database_url: str, folder: Path) -> dict[str, Any]:
    """A hub on `database_url` with this world built, a settable clock, and a console
    session of the coordination (account `usr_coord`); close `hub` when done."""
    from hub.config import Settings
    from hub.services.accounts.sessions import ConsoleSession
    from tests.factories import Clock
    from tests.fakes.publisher import RecordingPublisher

    clock = Clock()
    settings = Settings(data_dir=folder / "data", database_url=database_url)
    hub = Hub.from_settings(settings, publisher=RecordingPublisher(), clock=clock)
    built = build_world(hub, folder)
    session = ConsoleSession("usr_coord", "coord", "coordinator", "pnr-livradois-forez", "x",
                             clock() + dt.timedelta(hours=1))
    return {"hub": hub, "clock": clock, "session": session, "folder": folder, **built}
