"""A small webhook receiver a member runs to get the hub's deliveries into a folder,
its own HTTP endpoint, or both.

Each POST is checked (Standard Webhooks `v1a`: the hub's Ed25519 signature, timestamp
within 300 s; or the former X-Capactif-* headers; see docs/protocol.md "Webhook
signatures") before anything is written or forwarded.

- Folder: a delivery is written once to `<folder>/<delivery_id>.json` (the exact body
  received), created atomically and fsync'd; the same delivery sent again (the hub
  retries until it gets a 2xx) is not written again (`duplicate`). A `withdrawn`,
  `narrowed`, `erased` or `unmerged` notice deletes the folder's deliveries it lists
  (`livraisons`: those of the fiches it names made before it; the porteur, or the
  coordination undoing a mistaken link, asked the member to delete them; the notice
  stays, for the member to acknowledge): `copies_supprimees` in the answer. The same
  notice again deletes nothing sent after it; a listed delivery arriving after the
  notice is not kept (`forgotten`).
- Endpoint (`forwarder`, see `connectors.forwarder`): the delivery is POSTed to the
  member's own URL, retried briefly; every copy the hub sends is forwarded (at least
  once: the endpoint deduplicates by delivery id).

The hub gets its 2xx only after the folder write and the forward both succeeded, so a
delivery is never lost: otherwise it answers 503 and the hub sends it again later.
Answers: 200 stored, duplicate, forgotten or forwarded; 400 malformed; 401 bad or stale
signature; 408 a body not received within the request's deadline; 503 the member's
endpoint did not take it, or more than `MAX_CONNECTIONS` connections are open. A request
(its line, headers and body) not received whole within `REQUEST_TIMEOUT_S`, however
slowly its bytes come, is cut: 408 for its body, closed for the rest
(`connectors.bounded_http`).

    capactif connector receive --folder livraisons --hub-key hub-2025=<public key> --port 8200
    capactif connector receive --forward http://127.0.0.1:9000/capactif --hub-key ...
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from connectors import signing
from connectors.bounded_http import BoundedServer, DeadlineHandler
from connectors.checkpoint import fsync_dir
from connectors.errors import ConfigurationError, ForwardError, WebhookVerificationError
from connectors.forwarder import Forwarder

_DELIVERY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
MAX_BODY = 5 * 1024 * 1024
_DATA_EVENTS = ("created", "updated")  # the other events are notices: ids only
# notice -> the fiches it names
_FORGETTING = {"withdrawn": "source", "narrowed": "source", "erased": "sources",
               "unmerged": "sources"}
# The receiver listens where the hub reaches it, so anyone may connect: a request must
# arrive whole within this deadline, and connections beyond the cap are answered 503.
REQUEST_TIMEOUT_S = 30.0
MAX_CONNECTIONS = 32


class WebhookReceiver:
    """Verify hub deliveries; store them (idempotently by delivery id) and/or forward them."""

    def __init__(self, folder: str | Path | None, hub_keys: signing.PublicKeys, *,
                 forwarder: Forwarder | None = None,
                 tolerance_s: int = signing.WEBHOOK_TOLERANCE_S) -> None:
        if folder is None and forwarder is None:
            raise ConfigurationError(
                "Indiquez où remettre les livraisons : un dossier, un point de réception, ou "
                "les deux.",
                "Say where deliveries go: a folder, an endpoint, or both.",
            )
        self.folder = Path(folder) if folder is not None else None
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
        self.forwarder = forwarder
        self.hub_keys = hub_keys
        self.tolerance_s = tolerance_s
        self._lock = threading.Lock()
        self._named = _named_by_notices(self.deliveries())

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
        answer: dict[str, Any] = {"delivery_id": delivery_id}
        if self.folder is not None:
            with self._lock:  # a delivery is not written between a notice's listing and deletions
                answer.update(self._keep(delivery_id, body))
        if self.forwarder is not None:
            try:
                self.forwarder.forward(delivery_id, body, headers)
            except ForwardError as exc:
                return 503, {"delivery_id": delivery_id, "error": exc.to_dict()}
            answer.setdefault("status", "forwarded")
            answer["forwarded"] = True
        return 200, answer

    def _keep(self, delivery_id: str, body: bytes) -> dict[str, Any]:
        """Store the delivery, unless a notice received before it names it; a withdrawal or
        erasure notice deletes the copies it names (`copies_supprimees`)."""
        document = _document(body)
        if _data_of(document) is not None and delivery_id in self._named:
            return {"status": "forgotten"}  # left before the notice, arrived after it
        stored = self._store(delivery_id, body)
        answer: dict[str, Any] = {"status": "stored" if stored else "duplicate"}
        reach = _reach(document)
        if reach is not None:
            answer["copies_supprimees"] = self._forget(reach, delivery_id)
        return answer

    def _store(self, delivery_id: str, body: bytes) -> bool:
        assert self.folder is not None
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
        except FileExistsError:
            return False
        finally:
            os.unlink(temp)
        fsync_dir(self.folder)  # the new name survives a crash before the hub gets its 2xx
        return True

    def _forget(self, reach: dict[tuple[Any, Any], list[str] | None], notice_id: str) -> int:
        """Delete the folder's copies the notice names (the member is asked to delete what
        it received); the notices themselves stay. Again for a notice sent again: a
        deletion cut short by a crash is finished, and a copy sent since (a later consent,
        the same id pushed again as a new fiche) is not named, so it stays."""
        assert self.folder is not None
        named = {d for ids in reach.values() if ids for d in ids if _DELIVERY_ID.match(d)}
        self._named |= named
        forgotten = 0
        for delivery_id in sorted(named):
            try:
                (self.folder / f"{delivery_id}.json").unlink()
            except FileNotFoundError:  # deleted already, or never received
                continue
            forgotten += 1
        unbounded = {source for source, ids in reach.items() if ids is None}
        if unbounded:  # queued by an earlier hub: every copy of the fiche it found
            forgotten += self._forget_every_copy(unbounded, self.folder / f"{notice_id}.json")
        if forgotten:
            fsync_dir(self.folder)
        return forgotten

    def _forget_every_copy(self, sources: set[tuple[Any, Any]], notice: Path) -> int:
        """The copies of these fiches stored no later than the notice: again for the notice
        sent again (a deletion cut short by a crash after its write is finished), while a
        copy stored after it (a later consent) stays."""
        forgotten = 0
        try:
            written = notice.stat().st_mtime_ns
        except FileNotFoundError:  # the member's importer took the notice already
            return 0
        for path in self.deliveries():
            try:
                document = json.loads(path.read_bytes())
                stored = path.stat().st_mtime_ns
            except (ValueError, OSError):  # unreadable, or the member's importer took it
                continue
            if _data_of(document) in sources and stored <= written:
                path.unlink(missing_ok=True)
                forgotten += 1
        return forgotten

    def deliveries(self) -> list[Path]:
        return sorted(self.folder.glob("*.json")) if self.folder is not None else []


def _named_by_notices(paths: list[Path]) -> set[str]:
    """The deliveries the notices in the folder name (a restart forgets nothing)."""
    named: set[str] = set()
    for path in paths:
        try:
            reach = _reach(_document(path.read_bytes()))
        except OSError:
            continue
        named.update(d for ids in (reach or {}).values() if ids for d in ids)
    return named


def _document(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def _reach(document: Any) -> dict[tuple[Any, Any], list[str] | None] | None:
    """What a withdrawal (`source`) or an erasure (`sources`) notice reaches: for each
    fiche it names, the ids of its deliveries made for this member (`livraisons`; None
    from a hub that did not say); None for any other delivery."""
    if not isinstance(document, dict) or document.get("evenement") not in _FORGETTING:
        return None
    named = document.get(_FORGETTING[document["evenement"]])
    named = [named] if isinstance(named, dict) else named if isinstance(named, list) else []
    return {(s.get("membre"), s.get("fiche_id")): _ids(s.get("livraisons"))
            for s in named if isinstance(s, dict)}


def _ids(value: Any) -> list[str] | None:
    return [str(v) for v in value] if isinstance(value, list) else None


def _data_of(document: Any) -> tuple[Any, Any] | None:
    """(member, fiche id) of a delivery of fiche data; None for a notice."""
    if not isinstance(document, dict) or document.get("evenement") not in _DATA_EVENTS:
        return None
    source = document.get("source")
    return (source.get("membre"), source.get("fiche_id")) if isinstance(source, dict) else None


def _delivery_id(headers: Mapping[str, str], body: bytes) -> str | None:
    lowered = {k.lower(): v for k, v in headers.items()}
    candidate = lowered.get(signing.DELIVERY_HEADER.lower(), lowered.get("webhook-id"))
    if candidate is None:
        try:
            payload = json.loads(body)
        except ValueError:
            return None
        candidate = payload.get("delivery_id") if isinstance(payload, dict) else None
    text = str(candidate) if candidate is not None else ""
    return text if _DELIVERY_ID.match(text) else None


class Receiving(Protocol):
    """What the server calls: a `WebhookReceiver`, or anything answering like one."""

    def handle(self, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]: ...


def make_server(receiver: Receiving, host: str = "127.0.0.1", port: int = 0, *,
                request_timeout_s: float = REQUEST_TIMEOUT_S,
                max_connections: int = MAX_CONNECTIONS) -> BoundedServer:
    """An HTTP server for the receiver (not started)."""

    class Handler(DeadlineHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Silent: request lines may hold ids."""

        def do_POST(self) -> None:
            length = _content_length(self.headers.get("Content-Length") or "0")
            if length is None:  # « ² » or « -5 »: int() failed, or read to the end for ever
                status, payload = 400, {"error": {"code": "malformed_request"}}
                self.close_connection = True
            elif length > MAX_BODY:
                status, payload = 413, {"error": {"code": "payload_too_large"}}
                self.close_connection = True
            else:
                try:
                    body = self.rfile.read(length)
                except TimeoutError:  # the body did not come in time: told, then closed
                    body, self.close_connection = None, True
                if body is None or len(body) < length:
                    status, payload = 408, {"error": {"code": "request_timeout"}}
                    self.close_connection = True
                else:
                    status, payload = receiver.handle(dict(self.headers.items()), body)
            data = json.dumps(payload).encode()
            self.send_response(status)
            if status == 503:
                self.send_header("Retry-After", "30")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    Handler.request_timeout_s = request_timeout_s
    return BoundedServer((host, port), Handler, max_connections)


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


def _content_length(text: str) -> int | None:
    """A Content-Length in 0-9 digits (past 18 digits: past any limit), else None."""
    text = text.strip()
    if not (text.isascii() and text.isdigit()):
        return None
    return int(text) if len(text) <= 18 else 2**63


def serve_in_thread(receiver: WebhookReceiver, *, request_timeout_s: float = REQUEST_TIMEOUT_S,
                    max_connections: int = MAX_CONNECTIONS) -> tuple[BoundedServer, str]:
    """Start a receiver on a free port in a thread (tests, demo); answers (server, url)."""
    server = make_server(receiver, request_timeout_s=request_timeout_s,
                         max_connections=max_connections)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"
