"""A small webhook receiver a member runs to get the hub's deliveries into a folder.

Each POST is checked (Ed25519 signature of the hub, timestamp within 300 s, see
docs/protocol.md "Webhook signatures") before anything is written. A delivery is
written once to `<folder>/<delivery_id>.json` (the exact body received), created
atomically; the same delivery sent again (the hub retries until it gets a 2xx)
answers 200 `duplicate` and writes nothing. Answers: 200 stored or duplicate,
400 malformed, 401 bad or stale signature.

    capactif connector receive --folder livraisons --hub-key hub-2025=<public key> --port 8200
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from connectors import signing
from connectors.errors import WebhookVerificationError

_DELIVERY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
MAX_BODY = 5 * 1024 * 1024


class WebhookReceiver:
    """Verify and store hub deliveries, idempotently by delivery id."""

    def __init__(self, folder: str | Path, hub_keys: signing.PublicKeys, *,
                 tolerance_s: int = signing.WEBHOOK_TOLERANCE_S) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.hub_keys = hub_keys
        self.tolerance_s = tolerance_s

    def handle(self, headers: Mapping[str, str], body: bytes,
               now: float | None = None) -> tuple[int, dict[str, Any]]:
        """Answer (HTTP status, JSON body) for one delivery."""
        try:
            signing.verify_webhook(headers, body, self.hub_keys, now=now,
                                   tolerance_s=self.tolerance_s)
        except WebhookVerificationError as exc:
            return 401, {"error": exc.to_dict()}
        delivery_id = _delivery_id(headers, body)
        if delivery_id is None:
            return 400, {"error": {"code": "delivery_id_missing",
                                   "message_fr": "Identifiant de livraison absent ou invalide.",
                                   "message_en": "Delivery id missing or invalid."}}
        stored = self._store(delivery_id, body)
        return 200, {"delivery_id": delivery_id, "status": "stored" if stored else "duplicate"}

    def _store(self, delivery_id: str, body: bytes) -> bool:
        final = self.folder / f"{delivery_id}.json"
        if final.exists():
            return False
        fd, temp = tempfile.mkstemp(prefix=".recv-", dir=self.folder)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(body)
                handle.flush()
                os.fsync(handle.fileno())
            os.link(temp, final)  # atomic create-if-absent: two racing copies, one wins
            return True
        except FileExistsError:
            return False
        finally:
            os.unlink(temp)

    def deliveries(self) -> list[Path]:
        return sorted(self.folder.glob("*.json"))


def _delivery_id(headers: Mapping[str, str], body: bytes) -> str | None:
    lowered = {k.lower(): v for k, v in headers.items()}
    candidate = lowered.get(signing.DELIVERY_HEADER.lower())
    if candidate is None:
        try:
            payload = json.loads(body)
        except ValueError:
            return None
        candidate = payload.get("delivery_id") if isinstance(payload, dict) else None
    text = str(candidate) if candidate is not None else ""
    return text if _DELIVERY_ID.match(text) else None


def make_server(receiver: WebhookReceiver, host: str = "127.0.0.1",
                port: int = 0) -> ThreadingHTTPServer:
    """An HTTP server for the receiver (not started)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Silent: request lines may hold ids."""

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                status, payload = 413, {"error": {"code": "payload_too_large"}}
                self.close_connection = True
            else:
                body = self.rfile.read(length)
                status, payload = receiver.handle(dict(self.headers.items()), body)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server


def serve(receiver: WebhookReceiver, host: str = "127.0.0.1", port: int = 8200) -> None:
    """Serve until interrupted."""
    server = make_server(receiver, host, port)
    print(f"Réception des livraisons sur http://{host}:{server.server_address[1]}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def serve_in_thread(receiver: WebhookReceiver) -> tuple[ThreadingHTTPServer, str]:
    """Start a receiver on a free port in a thread (tests, demo); answers (server, url)."""
    server = make_server(receiver)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"
