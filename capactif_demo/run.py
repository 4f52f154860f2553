"""`capactif demo`: the whole pipeline on the embedded default, then a summary.

Real API and worker processes on a SQLite file and the file-system broker; real
webhook receivers (one of them down at first); members record consents and push
generated fiches (some invalid, one without consent) over signed HTTP; the worker
recognises porteurs met by several members (some linked automatically, some queued
for the coordinators' review), routes and projects deliveries; one consent is
withdrawn and the notices followed.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path
from typing import Any

from capactif_demo import report, scenario
from capactif_demo.connected import run_connectors
from capactif_demo.consent_examples import NOTICE_TEXT
from capactif_demo.console import console_accounts
from capactif_demo.network import demo_network
from capactif_demo.processes import free_port, poll, running, start_api, start_worker
from connectors.client import HubClient
from connectors.receiver import WebhookReceiver, make_server
from hub.bootstrap import Hub
from hub.config import Settings
from hub.keys import public_key_text
from hub.services.accounts.members import load_network
from hub.services.delivery.publisher import NullPublisher
from hub.services.ingest.processing import pipeline_status
from hub.services.ops.admin import initialise

ALWAYS_UP, DOWN_AT_FIRST = "cci-puy-de-dome", "pfil-livradois-forez"
FEED_MEMBER = "cc-ambert-livradois-forez"
COORDINATOR = "pnr-livradois-forez"


def _register_notice(client: HubClient) -> tuple[int, str]:
    """The information notice the members show porteurs, registered over HTTP as a
    partner does (POST /v1/notices); every consent of the demo cites it."""
    notice = client.request("POST", "/v1/notices", {
        "texte": NOTICE_TEXT, "langue": "fr",
        "finalites": ["orientation", "accompagnement", "financement", "statistiques"]})
    report.say(f"Notice d'information enregistrée par {client.member_id} : version "
               f"{notice['version']}, empreinte {notice['empreinte'][:12]}…")
    return notice["version"], notice["empreinte"]


def run_demo(data_dir: Path, *, fiche_count: int = 300, port: int = 0) -> int:
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    port = port or free_port()
    systems = {m: _MemberSystem() for m in (ALWAYS_UP, DOWN_AT_FIRST)}
    systems[DOWN_AT_FIRST].down = True
    servers = [_serve(system) for system in systems.values()]  # bound now: no port race
    hooks = {m: f"http://127.0.0.1:{server.server_port}/livraisons"
             for m, server in zip(systems, servers, strict=True)}
    env = {"HUB_DATA_DIR": str(data_dir), "HUB_PORT": str(port), "HUB_LOG_LEVEL": "WARNING",
           "HUB_DATABASE_URL": "", "HUB_BROKER_URL": "", "HUB_DISPATCH_INTERVAL_S": "1",
           "HUB_WEBHOOK_RETRY_BASE_S": "0.5", "HUB_WEBHOOK_RETRY_MAX_S": "2", "HUB_KEY_DIR": ""}
    settings = Settings.from_env(env)
    shutil.rmtree(settings.key_folder, ignore_errors=True)  # a fresh store takes fresh keys
    report.say("capactif-hub : démonstration en mode embarqué (SQLite + courtier sur fichiers, "
               "API et worker dans leurs propres processus)")
    initialise(settings)
    observer = Hub.from_settings(settings, publisher=NullPublisher())
    network = demo_network(data_dir, hooks)
    summary = load_network(observer, network, data_dir / "credentials")
    report.say(f"Réseau : {len(summary.created)} membres, identifiants émis dans "
               f"{data_dir / 'credentials'}")
    hub_keys = {observer.hub_key.key_id: public_key_text(observer.hub_key.public_key)}
    receivers = {m: WebhookReceiver(data_dir / "recus" / m, hub_keys) for m in hooks}
    for member, system in systems.items():
        system.receiver = receivers[member]
    logs = data_dir / "logs"
    started = time.monotonic()
    with running([start_api(env, logs, port), start_worker(env, logs)]) as processes:
        clients = {m: _client(data_dir, m, port) for m in scenario.ALL_MEMBERS}
        notice = _register_notice(clients[scenario.SHOWCASE_MEMBER])
        outcome = scenario.push_all(clients, notice, fiche_count)
        report.pushed(outcome)
        connected = run_connectors(data_dir, clients, notice)
        report.connectors(connected)
        accepted = outcome["accepted"] + sum(runs[0].accepted for runs in connected["runs"].values())
        status = poll(lambda: _processed(observer, accepted), 180) or {}
        report.processed(status, time.monotonic() - started)
        found = scenario.duplicates_found(observer, COORDINATOR)
        report.duplicates(found)
        report.say(f"Livraisons : le système de {DOWN_AT_FIRST} est en panne (répond 503) ; "
                   "le hub réessaie…")
        time.sleep(2)
        systems[DOWN_AT_FIRST].down = False
        shown = scenario.showcase(outcome, clients, receivers, FEED_MEMBER)
        report.showcase(shown, DOWN_AT_FIRST)
        report.withdrawal(scenario.withdraw(outcome, clients, shown))
        erased = scenario.erase(outcome, clients, shown)
        report.erasure(erased)
    for server in servers:
        server.shutdown()
    leftover = [p.name for p in processes if p.alive]
    verified = scenario.audit_check(observer, shown, data_dir)
    report.audit(verified)
    console = console_accounts(observer, data_dir)
    observer.close()
    report.say("Arrêt : API, worker et récepteurs arrêtés" +
               (f" (encore vivants : {leftover})" if leftover else ", aucun processus restant."))
    complete = status.get("processed") == accepted and status.get("outbox_pending") == 0
    report.console(console)
    deduplicated = found["auto"] > 0 and found["review"] > 0
    ok = complete and deduplicated and shown["complete"] and verified["verified"] \
        and not leftover and erased["read_after"] == 410
    return 0 if ok else 1


class _MemberSystem:
    """A member's webhook endpoint: a verifying receiver behind a switch; while `down` it
    answers 503, as a system in maintenance would."""

    def __init__(self) -> None:
        self.receiver: WebhookReceiver | None = None
        self.down = False

    def handle(self, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        if self.down or self.receiver is None:
            return 503, {"error": {"code": "indisponible"}}
        return self.receiver.handle(headers, body)


def _serve(system: _MemberSystem) -> Any:
    server = make_server(system)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server


def _client(data_dir: Path, member: str, port: int) -> HubClient:
    credentials = json.loads((data_dir / "credentials" / f"{member}.json").read_text("utf-8"))
    return HubClient(f"http://127.0.0.1:{port}", member, credentials["token"],
                     credentials["cle_privee"])


def _processed(observer: Hub, accepted: int) -> dict[str, int] | None:
    status = pipeline_status(observer)
    return status if status["processed"] >= accepted and status["outbox_pending"] == 0 else None
