"""`capactif demo`: the whole pipeline on the embedded default, then a summary.

Starts a real API process and a real worker process on a SQLite file and the
file-system broker, registers the example network, pushes generated fiches
(some invalid) from several members over signed HTTP, waits for the worker,
prints what happened and stops everything it started.
"""

from __future__ import annotations

import collections
import json
import shutil
import time
from pathlib import Path
from typing import Any

from connectors.client import HubClient
from hub.bootstrap import Hub
from hub.config import Settings
from hub.demo.population import Population
from hub.demo.processes import free_port, running, start_api, start_worker
from hub.services.admin import initialise
from hub.services.members import load_network
from hub.services.processing import pipeline_status
from hub.services.publisher import RecordingPublisher

NETWORK_FILE = Path(__file__).resolve().parents[2] / "examples" / "network.json"
PUSHING_MEMBERS = ["commune-ambert", "cci-puy-de-dome", "pfil-livradois-forez",
                   "chambre-agriculture-43", "bge-auvergne"]
INVALID_EVERY = 17
BATCH = 50


def run_demo(data_dir: Path, *, fiche_count: int = 300, port: int = 0) -> int:
    shutil.rmtree(data_dir, ignore_errors=True)
    port = port or free_port()
    env = {"HUB_DATA_DIR": str(data_dir), "HUB_PORT": str(port), "HUB_LOG_LEVEL": "WARNING",
           "HUB_DATABASE_URL": "", "HUB_BROKER_URL": ""}
    settings = Settings.from_env(env)
    _say("capactif-hub : démonstration en mode embarqué (SQLite + courtier sur fichiers, "
         "API et worker dans leurs propres processus)")
    initialise(settings)
    observer = Hub.from_settings(settings, publisher=RecordingPublisher())
    summary = load_network(observer, NETWORK_FILE, data_dir / "credentials")
    _say(f"Réseau : {len(summary.created)} membres enregistrés, identifiants émis dans "
         f"{data_dir / 'credentials'}")
    logs = data_dir / "logs"
    with running([start_api(env, logs, port), start_worker(env, logs)]) as processes:
        started = time.monotonic()
        outcome = _push_all(data_dir, port, fiche_count)
        pushed_in = time.monotonic() - started
        status = _wait_processed(observer, outcome["accepted"], timeout=180)
        processed_in = time.monotonic() - started
        _report(outcome, status, pushed_in, processed_in)
    leftover = [p.name for p in processes if p.alive]
    observer.close()
    _say("Arrêt : API et worker arrêtés" + (f" (encore vivants : {leftover})" if leftover else
                                            ", aucun processus restant."))
    complete = status["processed"] == outcome["accepted"] and status["outbox_pending"] == 0
    return 0 if complete and not leftover else 1


def _push_all(data_dir: Path, port: int, fiche_count: int) -> dict[str, Any]:
    population = Population()
    accepted, rejected = 0, collections.Counter()
    batches = 0
    per_member = max(1, fiche_count // len(PUSHING_MEMBERS))
    for member in PUSHING_MEMBERS:
        client = _client(data_dir, member, port)
        fiches = []
        for n in range(per_member):
            fiche_id = f"{member[:6].upper()}-{n:05d}"
            if (n + 1) % INVALID_EVERY == 0:
                fiches.append(population.invalid_fiche(member, fiche_id)[0])
            else:
                fiches.append(population.fiche(member, fiche_id))
        with client:
            for start in range(0, len(fiches), BATCH):
                result = client.push_fiches(fiches[start:start + BATCH])
                batches += 1
                accepted += len(result.accepted)
                for item in result.rejected:
                    for error in item.errors:
                        rejected[(error["path"], error["code"], error["message_fr"])] += 1
    return {"accepted": accepted, "rejected": rejected, "batches": batches,
            "members": len(PUSHING_MEMBERS), "pushed": per_member * len(PUSHING_MEMBERS)}


def _client(data_dir: Path, member: str, port: int) -> HubClient:
    credentials = json.loads((data_dir / "credentials" / f"{member}.json").read_text("utf-8"))
    return HubClient(f"http://127.0.0.1:{port}", member, credentials["token"],
                     credentials["cle_privee"])


def _wait_processed(observer: Hub, accepted: int, timeout: float) -> dict[str, int]:
    deadline = time.monotonic() + timeout
    status = pipeline_status(observer)
    while time.monotonic() < deadline:
        status = pipeline_status(observer)
        if status["processed"] >= accepted and status["outbox_pending"] == 0:
            break
        time.sleep(0.2)
    return status


def _report(outcome: dict[str, Any], status: dict[str, int], pushed_in: float,
            processed_in: float) -> None:
    rejected_total = sum(outcome["rejected"].values())
    _say(f"Envoi : {outcome['pushed']} fiches de {outcome['members']} membres en "
         f"{outcome['batches']} lots signés")
    _say(f"  acceptées : {outcome['accepted']}    rejetées : {rejected_total}")
    for (path, code, message), count in sorted(outcome["rejected"].items()):
        _say(f"    {count:>3} × {path} [{code}] {message}")
    _say(f"Traitement : {status['processed']} fiches traitées par le worker, "
         f"{status['porteurs']} porteurs, {status['outbox_pending']} en attente")
    rate = outcome["accepted"] / processed_in if processed_in else 0.0
    _say(f"Durée : envoi {pushed_in:.1f} s, traitement complet {processed_in:.1f} s "
         f"({rate:.0f} fiches/s de bout en bout)")


def _say(line: str) -> None:
    print(line, flush=True)
