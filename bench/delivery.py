"""Webhook delivery throughput: projected, signed, consent-checked deliveries per
second to a local receiver, beside bare `requests` POSTs of the same bodies to the
same receiver, measured in the same run (target: at least 50% of the bare rate).

    .venv/bin/python bench/delivery.py [--deliveries 2000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import requests

from capactif_demo.population import Population
from capactif_demo.processes import free_port
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts.auth import Caller
from hub.services.accounts.members import load_network
from hub.services.delivery import webhooks
from hub.services.ingest import accept as ingest
from hub.services.ingest import processing
from hub.services.ops.admin import initialise
from tests.factories import record_consents
from tests.fakes.publisher import RecordingPublisher

SINK = """
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deliveries", type=int, default=2000)
    args = parser.parse_args()
    port = free_port()
    sink = subprocess.Popen([sys.executable, "-c", SINK, str(port)])
    url = f"http://127.0.0.1:{port}/hook"
    try:
        _wait_up(url)
        with tempfile.TemporaryDirectory() as tmp:
            hub = _hub_with_deliveries(Path(tmp), url, args.deliveries)
            bodies = [row["body"] for row in _payloads(hub)]
            bare = _bare_rate(url, bodies)
            started = time.perf_counter()
            sent = 0
            while sent < args.deliveries:
                sent += webhooks.dispatch_webhooks(hub).sent
            rate = sent / (time.perf_counter() - started)
            hub.close()
    finally:
        sink.terminate()
        sink.wait()
    print(f"delivery: {args.deliveries} webhooks to one local receiver (in order, one at a time)")
    print(f"  hub (consent re-check, Ed25519 signature, status update) {rate:8.0f} deliveries/s")
    print(f"  bare requests.Session POST of the same bodies            {bare:8.0f} requests/s")
    print(f"  ratio {rate / bare:.2f} (target >= 0.50)")


def _hub_with_deliveries(folder: Path, url: str, count: int) -> Hub:
    members = [
        {"id": "commune-ambert", "nom": "Mairie", "nature": "commune", "role": "accueil",
         "contact": {"courriel": "a@exemple.fr"}},
        {"id": "cci-thiers", "nom": "CCI", "nature": "cci", "role": "accompagnement",
         "contact": {"courriel": "b@exemple.fr"}, "webhook": url,
         "abonnements": [{"types_projet": ["creation", "reprise", "developpement"]}]},
    ]
    (folder / "network.json").write_text(json.dumps({"reseau": "bench", "membres": members}))
    settings = Settings(data_dir=folder / "data")
    initialise(settings)
    hub = Hub.from_settings(settings, publisher=RecordingPublisher())
    load_network(hub, folder / "network.json", folder / "creds")
    population = Population(seed=3)
    owner = Caller("commune-ambert", "Mairie", "commune", "accueil")
    for start in range(0, count, 500):
        fiches = [population.fiche("commune-ambert", f"D-{n:06d}")
                  for n in range(start, min(count, start + 500))]
        record_consents(hub, fiches)
        ingest.push_batch(hub, owner, fiches)
        processing.process_outbox(hub, hub.publisher.published[-1])
    return hub


def _payloads(hub: Hub) -> list[dict]:
    with hub.uow() as uow:
        return [{"body": r.payload.encode()} for r in uow.deliveries.next_pending("cci-thiers", 10**9)]


def _bare_rate(url: str, bodies: list[bytes]) -> float:
    session = requests.Session()
    started = time.perf_counter()
    for body in bodies:
        session.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=10)
    return len(bodies) / (time.perf_counter() - started)


def _wait_up(url: str) -> None:
    for _ in range(100):
        try:
            requests.post(url, data=b"{}", timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.05)


if __name__ == "__main__":
    main()
