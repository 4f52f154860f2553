"""A small in-process hub that implements docs/protocol.md, for tests, demo and bench.

It checks what the real hub checks on each request (bearer token, timestamp window,
fresh nonce, Ed25519 signature over the documented message, written here from the
document, independently of `connectors.signing`), validates fiches with
`schemas.validator("fiche")`, and applies the idempotency rules of
`(membre, fiche_id, version)`. Faults can be scripted (`fail_next(503, 2)`).

Example:
    >>> from connectors.client import HubClient
    >>> with HubStub(validate=False) as hub:
    ...     creds = hub.add_member("cci-63")
    ...     client = HubClient(creds["hub_url"], "cci-63", creds["token"], creds["cle_privee"])
    ...     result = client.push_fiches([{"membre": "cci-63", "fiche_id": "F-1", "version": 1}])
    ...     hub.accepted_versions("cci-63")
    {'F-1': 1}
    >>> result.items[0].status, result.items[0].receipt["receipt_id"].startswith("rcp_")
    ('accepted', True)
"""

from __future__ import annotations

import base64
import collections
import hashlib
import hmac
import re
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from capactif_demo.sim.local_server import LocalServer
from connectors import b64url
from schemas import load_schema, validator
from schemas.numbers import same_numbers

_FICHE_ID = re.compile(load_schema("fiche")["properties"]["fiche_id"]["pattern"], re.ASCII)

_NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_WINDOW_S = 300


_SIGNATURE_INPUT = re.compile(
    r'^sig1=\("@method" "@path" "@query" "content-digest"\)(;[^,]*)$')
_PARAM = re.compile(r';(created|nonce|keyid|alg)=(?:"([^"]*)"|(\d+))')


def _rfc9421_parts(headers: Any, method: str, target: str, body: bytes) -> tuple[str, str, str, bytes]:
    """docs/protocol.md, RFC 9421 as HubClient uses it: the fixed component list, the
    raw target, Content-Digest sha-256 of the exact body."""
    found = _SIGNATURE_INPUT.match(headers.get("Signature-Input", ""))
    signature = headers.get("Signature", "")
    digest = "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode() + ":"
    if not found or headers.get("Content-Digest") != digest or not signature.startswith("sig1=:"):
        raise StubError(401, "bad_signature")
    params = {m[0]: m[1] or m[2] for m in _PARAM.findall(found.group(1))}
    path, _, query = target.partition("?")
    base = "\n".join([f'"@method": {method.upper()}', f'"@path": {path}', f'"@query": ?{query}',
                      f'"content-digest": {digest}',
                      f'"@signature-params": {found.group()[len("sig1="):]}'])
    raw = base64.b64decode(signature[len("sig1=:"):-1])
    return params.get("created", ""), params.get("nonce", ""), b64url.encode(raw), base.encode()


def _legacy_parts(headers: Any, method: str, target: str, body: bytes) -> tuple[str, str, str, bytes]:
    timestamp = headers.get("X-Capactif-Timestamp", "")
    nonce = headers.get("X-Capactif-Nonce", "")
    message = "\n".join(
        ["capactif-v1", timestamp, nonce, method.upper(), target, hashlib.sha256(body).hexdigest()]
    ).encode()
    return timestamp, nonce, headers.get("X-Capactif-Signature", ""), message


class StubError(Exception):
    def __init__(self, status: int, code: str) -> None:
        super().__init__(code)
        self.status, self.code = status, code


class HubStub(LocalServer):
    """The hub's HTTP contract on 127.0.0.1, in a thread."""

    def __init__(self, *, validate: bool = True) -> None:
        self.validate = validate
        self.members: dict[str, tuple[str, Ed25519PublicKey]] = {}
        self.versions: dict[tuple[str, str], dict[int, dict[str, Any]]] = {}
        self.fiches: dict[tuple[str, str], dict[str, Any]] = {}
        self.log: list[tuple[str, int, str, bool]] = []  # fiche_id, version, status, duplicate
        self.deliveries: list[dict[str, Any]] = []
        self.consents: dict[str, dict[str, Any]] = {}
        self.refusals: dict[str, str] = {}
        self.erased: set[tuple[str, str]] = set()
        self.requests = 0
        self.auth_failures = 0
        self._nonces: set[tuple[str, str]] = set()
        self._faults: collections.deque[int] = collections.deque()
        self._fault_after = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # --- lifecycle -----------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        return _handler_for(self)

    def add_member(self, member_id: str) -> dict[str, str]:
        """Register a member; answers its credentials in the `members load` file format."""
        private = Ed25519PrivateKey.generate()
        token = f"{member_id}.{secrets.token_urlsafe(24)}"
        self.members[member_id] = (token, private.public_key())
        raw = private.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        return {"membre": member_id, "token": token, "cle_privee": b64url.encode(raw), "hub_url": self.url}

    def fail_next(self, status: int, count: int = 1, *, after: int = 0) -> None:
        """Answer `status` to `count` fiche pushes or deletions, once `after` more went
        through."""
        with self._lock:
            self._fault_after = after
            self._faults.extend([status] * count)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()
            self._fault_after = 0

    def refuse(self, fiche_id: str, code: str = "consent_missing") -> None:
        """Reject this fiche with `code`, as the hub does for rules checked only there."""
        self.refusals[fiche_id] = code

    def accepted_versions(self, member: str) -> dict[str, int]:
        return {fid: max(v) for (m, fid), v in self.versions.items() if m == member and v}

    # --- protocol ------------------------------------------------------------------

    def authenticate(self, headers: Any, method: str, target: str, body: bytes) -> str:
        authorization = headers.get("Authorization", "")
        token = authorization.removeprefix("Bearer ").strip()
        member = token.split(".", 1)[0]
        known = self.members.get(member)
        if known is None or not hmac.compare_digest(known[0], token):
            raise StubError(401, "authentication_failed")
        if headers.get("Signature-Input") is not None:
            timestamp, nonce, signature, message = _rfc9421_parts(headers, method, target, body)
        else:
            timestamp, nonce, signature, message = _legacy_parts(headers, method, target, body)
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > _WINDOW_S:
            raise StubError(401, "stale_request")
        if not _NONCE.match(nonce):
            raise StubError(401, "bad_signature")
        try:
            known[1].verify(b64url.decode(signature), message)
        except (InvalidSignature, ValueError) as exc:
            raise StubError(401, "bad_signature") from exc
        with self._lock:
            if (member, nonce) in self._nonces:
                raise StubError(401, "replayed_request")
            self._nonces.add((member, nonce))
        return member

    def push(self, member: str, body: bytes) -> tuple[int, dict[str, Any]]:
        self._maybe_fail()
        try:
            fiches = orjson.loads(body)["fiches"]
        except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
            raise StubError(400, "malformed_body") from exc
        if not isinstance(fiches, list) or not 1 <= len(fiches) <= 1000:
            raise StubError(400, "invalid_batch")
        if any(not isinstance(f, dict) or f.get("membre") != member for f in fiches):
            raise StubError(403, "forbidden")
        with self._lock:
            results = [self._store(member, i, f) for i, f in enumerate(fiches)]
        accepted = sum(r["status"] == "accepted" for r in results)
        return 202, {"accepted": accepted, "rejected": len(results) - accepted, "results": results}

    def _maybe_fail(self) -> None:
        with self._lock:
            if not self._faults:
                return
            if self._fault_after > 0:
                self._fault_after -= 1
                return
            raise StubError(self._faults.popleft(), "unavailable")

    def _store(self, member: str, index: int, fiche: dict[str, Any]) -> dict[str, Any]:
        fiche_id = str(fiche.get("fiche_id", ""))
        version: Any = fiche.get("version")  # any JSON value: the schema check, when on, refuses others
        errors = [e.to_dict() for e in validator("fiche").errors(fiche)] if self.validate else []
        if fiche_id in self.refusals:
            errors.append(_error(self.refusals[fiche_id], "$"))
        if errors:
            return self._rejected(index, fiche_id, version, errors)
        # docs/protocol.md, "Idempotency": equal numbers written one way (8000.0 is 8000).
        digest = hashlib.sha256(orjson.dumps(same_numbers(fiche),
                                             option=orjson.OPT_SORT_KEYS)).hexdigest()
        known = self.versions.setdefault((member, fiche_id), {})
        if version in known:
            if known[version]["content_hash"] != digest:
                return self._rejected(index, fiche_id, version, [_error("version_conflict")])
            self.log.append((fiche_id, version, "accepted", True))
            return _accepted(index, fiche_id, version, known[version], duplicate=True)
        if known and version < max(known):
            return self._rejected(index, fiche_id, version, [_error("stale_version")])
        receipt = {"receipt_id": f"rcp_{secrets.token_hex(8)}", "membre": member,
                   "fiche_id": fiche_id, "version": version, "content_hash": digest,
                   "received_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        known[version] = receipt
        self.fiches[(member, fiche_id)] = fiche
        self.log.append((fiche_id, version, "accepted", False))
        return _accepted(index, fiche_id, version, receipt, duplicate=False)

    def _rejected(self, index: int, fiche_id: str, version: Any, errors: list[Any]) -> dict:
        """As the hub: the fiche_id repeated only when the schema takes it for one."""
        self.log.append((fiche_id, version if isinstance(version, int) else 0, "rejected", False))
        item: dict[str, Any] = {"index": index, "status": "rejected", "errors": errors}
        if isinstance(fiche_id, str) and _FICHE_ID.fullmatch(fiche_id):
            item["fiche_id"] = fiche_id
        return item

    def get_fiche(self, member: str, owner: str, fiche_id: str) -> tuple[int, dict[str, Any]]:
        fiche = self.fiches.get((owner, fiche_id))
        if owner != member or fiche is None:
            raise StubError(404, "not_found")
        return 200, {"membre": owner, "fiche_id": fiche_id, "version": fiche["version"],
                     "porteur_id": None, "processed": False, "fiche": fiche}

    def delete_fiche(self, member: str, owner: str, fiche_id: str) -> tuple[int, dict[str, Any]]:
        if owner != member:
            raise StubError(403, "forbidden")
        self._maybe_fail()
        self._remove(owner, fiche_id)
        return 200, {"effacement": f"eff_{secrets.token_hex(6)}", "portee": "fiche",
                     "fiches_effacees": 1}

    def _remove(self, owner: str, fiche_id: str) -> None:
        if (owner, fiche_id) in self.erased:
            raise StubError(409, "already_erased")
        if self.fiches.pop((owner, fiche_id), None) is None:
            raise StubError(404, "not_found")
        self.erased.add((owner, fiche_id))

    def withdraw(self, member: str, owner: str, body: bytes) -> tuple[int, dict[str, Any]]:
        """`POST /v1/fiches/{member}/withdrawals`: each id as `delete_fiche` answers it,
        the batch failing whole (one erasure at the hub)."""
        if owner != member:
            raise StubError(403, "forbidden")
        self._maybe_fail()
        lines = []
        for fiche_id in dict.fromkeys(orjson.loads(body)["fiche_ids"]):
            try:
                self._remove(owner, fiche_id)
                lines.append({"fiche_id": fiche_id, "statut": "effacee"})
            except StubError as refused:
                lines.append({"fiche_id": fiche_id, "statut": "refusee",
                              "error": {"code": refused.code, "message_fr": refused.code,
                                        "message_en": refused.code}})
        done = sum(line["statut"] == "effacee" for line in lines)
        return 200, {"effacement": f"eff_{secrets.token_hex(6)}" if done else None,
                     "effacees": done, "refusees": len(lines) - done, "resultats": lines}

    def feed(self, member: str, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        """docs/protocol.md, "The feed": positions 1, 2, 3... per member; a cursor past
        the last position is answered with that position and `cursor_ahead`."""
        after = _query_int(query, "after", 0, 0, 2**63 - 1)
        limit = _query_int(query, "limit", 100, 1, 500)
        everything = [d for d in self.deliveries if d.get("destinataire") == member]
        last = len(everything)
        page = everything[after:after + limit]
        cursor = after + len(page) if page else min(after, last)
        return 200, {"deliveries": page, "next_cursor": str(cursor),
                     "has_more": len(page) == limit, "cursor_ahead": after > last}

    def consent(self, member: str, body: bytes) -> tuple[int, dict[str, Any]]:
        record = dict(orjson.loads(body), membre=member, consent_id=f"cns_{secrets.token_hex(6)}")
        self.consents[record["consent_id"]] = record
        return 201, record

    def lookup(self, member: str, body: bytes) -> tuple[int, dict[str, Any]]:
        """The member's own consents by reference (no expiry nor withdrawal here)."""
        mine = {c.get("reference"): c for c in self.consents.values() if c["membre"] == member}
        lines = []
        for reference in orjson.loads(body)["references"]:
            known = mine.get(reference)
            lines.append({"reference": reference, "connue": False, "utilisable": False,
                          "code": "unknown_consent_reference"} if known is None else
                         {"reference": reference, "connue": True, "utilisable": True,
                          "code": "consent_covers", "consentement": known["consent_id"],
                          "fiche_id": known.get("fiche_id")})
        return 200, {"references": lines}

    def route(self, method: str, target: str, headers: Any, body: bytes) -> tuple[int, dict]:
        self.requests += 1
        member = self.authenticate(headers, method, target, body)
        parts = urlsplit(target)
        segments = [unquote(s) for s in parts.path.split("/") if s]
        if method == "POST" and segments == ["v1", "fiches"]:
            return self.push(member, body)
        if method == "GET" and len(segments) == 4 and segments[:2] == ["v1", "fiches"]:
            return self.get_fiche(member, segments[2], segments[3])
        if method == "DELETE" and len(segments) == 4 and segments[:2] == ["v1", "fiches"]:
            return self.delete_fiche(member, segments[2], segments[3])
        if method == "POST" and len(segments) == 4 and segments[:2] == ["v1", "fiches"] \
                and segments[3] == "withdrawals":
            return self.withdraw(member, segments[2], body)
        if method == "GET" and segments == ["v1", "feed"]:
            return self.feed(member, parse_qs(parts.query))
        if method == "POST" and segments == ["v1", "consents"]:
            return self.consent(member, body)
        if method == "POST" and segments == ["v1", "consents", "lookup"]:
            return self.lookup(member, body)
        raise StubError(404, "not_found")


def _query_int(query: dict[str, list[str]], name: str, default: int, low: int, high: int) -> int:
    """A query integer as the hub reads it: ASCII digits within bounds, else 422."""
    given = query.get(name)
    if not given:
        return default
    text = given[-1]
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise StubError(422, "invalid_parameter")
    return int(text)


def _error(code: str, path: str = "$.version") -> dict[str, str]:
    return {"path": path, "code": code, "message_fr": code, "message_en": code}


def _accepted(index: int, fiche_id: str, version: int, receipt: dict, *, duplicate: bool) -> dict:
    return {"index": index, "fiche_id": fiche_id, "version": version, "status": "accepted",
            "duplicate": duplicate, "receipt": receipt}


def _handler_for(stub: HubStub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Silent: no request lines (they could hold ids) on stderr."""

        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            try:
                status, payload = stub.route(method, self.path, self.headers, body)
            except StubError as exc:
                if exc.status == 401:
                    stub.auth_failures += 1
                status = exc.status
                payload = {"error": {"code": exc.code, "message_fr": exc.code,
                                     "message_en": exc.code}}
            data = orjson.dumps(payload)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def do_DELETE(self) -> None:
            self._serve("DELETE")

    return Handler
