"""What the demo's members do over HTTP: record consents, push fiches, read their
deliveries, relay a withdrawal and acknowledge it."""

from __future__ import annotations

import collections
import datetime as dt
import functools
import json
from typing import Any

from capactif_demo.consent_examples import example_submission
from capactif_demo.population import Population, retyped, sparse
from capactif_demo.processes import poll
from connectors.client import HubClient
from connectors.errors import HubCallError
from connectors.receiver import WebhookReceiver

PUSHING = ["commune-ambert", "pfil-livradois-forez", "chambre-agriculture-43", "bge-auvergne"]
ALL_MEMBERS = [*PUSHING, "cc-ambert-livradois-forez", "cci-puy-de-dome", "commune-thiers"]
SHOWCASE_MEMBER = "commune-ambert"
INVALID_EVERY = 17
# Slots where the other pushing members meet a porteur the first member already has:
# retyped (linked automatically) or noted sparsely (queued for the coordinators).
DUPLICATE_SLOTS = {1: retyped, 2: sparse, 4: retyped, 6: retyped, 9: sparse}
BATCH = 50
PURPOSES = ["orientation", "accompagnement", "financement", "statistiques"]
ROLES = ["accueil", "accompagnement", "financement", "coordination"]


def push_all(clients: dict[str, HubClient], notice: tuple[int, str], count: int) -> dict[str, Any]:
    population = Population()
    outcome: dict[str, Any] = {"accepted": 0, "rejected": collections.Counter(), "batches": 0,
                               "consents": 0, "members": len(PUSHING)}
    per_member = max(2, count // len(PUSHING))
    met: list[dict[str, Any]] = []
    for member in PUSHING:
        fiches = _fiches(population, member, per_member, met)
        for fiche in fiches:
            if fiche["fiche_id"].endswith("SANS-CONSENTEMENT"):
                continue
            outcome["consents"] += 1
            record = clients[member].record_consent(consent_submission(notice, fiche))
            if fiche["fiche_id"] == f"{SHOWCASE_MEMBER}-00000":
                outcome["showcase"] = {"member": member, "fiche_id": fiche["fiche_id"],
                                       "consent_id": record["id"]}
        for start in range(0, len(fiches), BATCH):
            result = clients[member].push_fiches(fiches[start:start + BATCH])
            outcome["batches"] += 1
            outcome["accepted"] += len(result.accepted)
            for item in result.rejected:
                for error in item.errors:
                    outcome["rejected"][(error["path"], error["code"], error["message_fr"])] += 1
    outcome["pushed"] = per_member * len(PUSHING)
    return outcome


def _fiches(population: Population, member: str, count: int,
            met: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`met`: porteurs of the first member, some of whom the other members meet again."""
    fiches = []
    for n in range(count):
        fiche_id = f"{member}-{n:05d}"
        if (n + 1) % INVALID_EVERY == 0:
            fiches.append(population.invalid_fiche(member, fiche_id)[0])
        elif n in DUPLICATE_SLOTS and met:
            fiches.append(population.fiche(member, fiche_id, DUPLICATE_SLOTS[n](met.pop(0))))
        else:
            fiches.append(population.fiche(member, fiche_id))
    if member == PUSHING[0]:
        met.extend(f["porteur"] for n, f in enumerate(fiches) if n and (n + 1) % INVALID_EVERY)
    if member == SHOWCASE_MEMBER:
        showcase = fiches[0]
        showcase["porteur"]["adresse"].update(code_postal="63600", commune="Ambert",
                                              code_insee="63003")
        showcase["projet"].update(type="creation", stade="montage", besoins=["financement", "local"],
                                  commune_implantation={"code_insee": "63003", "nom": "Ambert"})
        showcase["financement"] = {"besoin_total": 48000, "apport": 9000, "pret_honneur": 12000}
        orphan = population.fiche(member, f"{member}-SANS-CONSENTEMENT")
        fiches.append(orphan)
    return fiches


def consent_submission(notice: tuple[int, str], fiche: dict[str, Any]) -> dict[str, Any]:
    collected = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=1)
    return example_submission(
        notice[0], notice[1], collected, reference=fiche["consentement"]["reference"],
        membre=fiche["membre"], fiche_id=fiche["fiche_id"], agent=f"agent-{fiche['membre']}",
        finalites=PURPOSES, roles_destinataires=ROLES)


def showcase(outcome: dict[str, Any], clients: dict[str, HubClient],
             receivers: dict[str, WebhookReceiver], feed_member: str) -> dict[str, Any]:
    """The showcase fiche as each of three members of different roles received it."""
    fiche_id = outcome["showcase"]["fiche_id"]
    received = {m: poll(functools.partial(_received, r, fiche_id, "created"), 90, 0.3)
                for m, r in receivers.items()}
    feed = poll(lambda: _from_feed(clients[feed_member], fiche_id, "created"), 60, 0.3)
    views = {**received, feed_member: feed}
    return {"fiche_id": fiche_id, "views": views, "complete": all(views.values()),
            "webhooks": {m: len(r.deliveries()) for m, r in receivers.items()}}


def withdraw(outcome: dict[str, Any], clients: dict[str, HubClient],
             shown: dict[str, Any]) -> dict[str, Any]:
    """The porteur withdraws at the commune; notices go out; recipients acknowledge."""
    consent_id = outcome["showcase"]["consent_id"]
    owner = clients[outcome["showcase"]["member"]]
    answer = owner.request("POST", f"/v1/consents/{consent_id}/withdraw")
    acknowledged = []
    for member in shown["views"]:
        if member in clients:
            clients[member].request("POST", f"/v1/consents/{consent_id}/ack")
            acknowledged.append(member)
    acks = owner.request("GET", f"/v1/consents/{consent_id}/acks")["accuses"]
    return {"consent_id": consent_id, "notified": answer["avis_envoyes"], "acks": acks,
            "statut": answer["statut"]}


def erase(outcome: dict[str, Any], clients: dict[str, HubClient],
          shown: dict[str, Any]) -> dict[str, Any]:
    """The same porteur then asks the commune to erase their data (GDPR art. 17): the hub
    destroys the keys, recipients are told to delete and acknowledge."""
    member, fiche_id = outcome["showcase"]["member"], outcome["showcase"]["fiche_id"]
    owner = clients[member]
    answer = owner.request("POST", "/v1/erasures",
                           {"fiche_id": fiche_id, "reference": "DEMANDE-RGPD-2026-001"})
    erasure_id = answer["effacement"]
    for recipient in shown["views"]:
        if recipient in answer["avis_envoyes"]:
            clients[recipient].request("POST", f"/v1/erasures/{erasure_id}/ack")
    status = owner.request("GET", f"/v1/erasures/{erasure_id}")
    try:
        owner.request("GET", f"/v1/fiches/{member}/{fiche_id}")
        read_after: int | None = 200
    except HubCallError as exc:
        read_after = exc.status
    return {"erasure_id": erasure_id, "notified": answer["avis_envoyes"],
            "acks": status["avis"], "fiches": answer["fiches_effacees"], "read_after": read_after}


def _received(receiver: WebhookReceiver, fiche_id: str, event: str) -> dict[str, Any] | None:
    for path in receiver.deliveries():
        document = json.loads(path.read_text("utf-8"))
        if document.get("source", {}).get("fiche_id") == fiche_id and document["evenement"] == event:
            return document
    return None


def _from_feed(client: HubClient, fiche_id: str, event: str) -> dict[str, Any] | None:
    cursor: Any = 0
    while True:
        page = client.feed(after=cursor, limit=200)
        for document in page.deliveries:
            if document.get("source", {}).get("fiche_id") == fiche_id and \
                    document["evenement"] == event:
                return document
        if not page.has_more:
            return None
        cursor = page.next_cursor


def audit_check(observer: Any, shown: dict[str, Any], data_dir: Any) -> dict[str, Any]:
    """Export the access log, verify it offline as a DPO would (only the hub's public key),
    and build the access report of the showcase porteur."""
    import subprocess
    import sys

    from hub.services.audit import trail as audit

    export = data_dir / "journal-acces.jsonl"
    lines = audit.export(observer, export, "pnr-livradois-forez")
    public_key = observer.settings.key_folder / "hub_ed25519.pub.pem"
    check = subprocess.run(
        [sys.executable, "-m", "hub.cli", "audit", "verify", str(export), "--public-key",
         str(public_key)], capture_output=True, text=True, timeout=120)
    porteur_id = next(v["porteur_id"] for v in shown["views"].values() if v)
    access = audit.access_report(observer, "pnr-livradois-forez", porteur_id)
    return {"export": export, "lines": lines, "verified": check.returncode == 0,
            "verifier": check.stdout.strip().splitlines()[:2], "report": access}


def duplicates_found(observer: Any, coordinator: str) -> dict[str, Any]:
    """What online deduplication did, and the first review item as the coordinator sees it."""
    from hub.services.matching import duplicates

    counts = duplicates.dedup_status(observer)
    queue = duplicates.list_review_items(observer, limit=1, actor=coordinator)
    return {"auto": counts.get("links_auto", 0), "review": counts.get("review_open", 0),
            "first": queue["items"][0] if queue["items"] else None}
