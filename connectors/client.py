"""`HubClient`: a member's signed HTTP client for the hub (docs/protocol.md).

One `requests.Session` (connection pooling), a timeout on every call, and retries
with exponential backoff and jitter on network errors and 5xx. A 429 is retried once its
`Retry-After` has passed when that is at most `max_retry_after_s` (60 s); a longer one
raises `HubRateLimited` at once, saying how long the hub asks to wait. Another 4xx is
never retried; 401/403 raise `HubAuthError` at once, so wrong credentials make one call,
not a storm. Every attempt is signed again with a fresh nonce (the hub refuses a
replayed nonce); fiche versions are idempotent, so a retried batch is safe.

Usage (against a running hub; `capactif_demo/sim/hub_stub.py` runs the same calls on a stub)::

    client = HubClient.from_credentials_file("cci-63.json")
    result = client.push_fiches([fiche])
    result.accepted[0].receipt["receipt_id"]
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import orjson
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from requests.adapters import HTTPAdapter

from connectors import signing
from connectors.backoff import backoff_delay, retry_after_seconds
from connectors.errors import (
    ConfigurationError,
    HubAuthError,
    HubCallError,
    HubNotFound,
    HubProtocolError,
    HubRateLimited,
    HubRequestRejected,
    HubUnavailable,
)
from connectors.http_signatures import sign_request_rfc9421
from connectors.results import BatchResult, FeedPage, parse_batch, parse_feed

USER_AGENT = "capactif-connector/1"


class HubClient:
    """Signed calls to the hub on behalf of one member."""

    def __init__(
        self,
        base_url: str,
        member_id: str,
        token: str,
        private_key: str | bytes | Ed25519PrivateKey,
        timeout: float = 30.0,
        retries: int = 4,
        *,
        backoff_s: float = 0.5,
        max_backoff_s: float = 30.0,
        max_retry_after_s: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        pool_size: int = 4,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.member_id = member_id
        self._token = token
        self._key_id = token.partition(".")[0]  # the RFC 9421 keyid: the token's id
        self._key = signing.load_private_key(private_key)
        self.timeout = timeout
        self.retries = retries
        self._backoff_s = backoff_s
        self._max_backoff_s = max_backoff_s
        self._max_retry_after_s = max_retry_after_s
        self._sleep = sleep
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["User-Agent"] = USER_AGENT

    def __repr__(self) -> str:
        return f"HubClient({self.base_url!r}, member_id={self.member_id!r}, token='********')"

    @classmethod
    def from_credentials_file(cls, path: str | Path, **options: Any) -> HubClient:
        """A client from the JSON file `capactif members load` writes for a member."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8-sig"))  # a BOM: still UTF-8
            return cls(data["hub_url"], data["membre"], data["token"], data["cle_privee"], **options)
        except (OSError, ValueError, KeyError, TypeError, RecursionError) as exc:
            raise ConfigurationError(
                "Fichier d'identifiants illisible : JSON avec membre, token, cle_privee et hub_url "
                "attendu.",
                "Unreadable credentials file: JSON with membre, token, cle_privee and hub_url "
                "expected.",
            ) from exc

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> HubClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- the protocol -------------------------------------------------------------

    def push_fiches(self, fiches: Sequence[Mapping[str, Any]]) -> BatchResult:
        """Push 1 to 1000 fiches; answers the per-item results (accepted / rejected)."""
        answer = self.request("POST", "/v1/fiches", {"fiches": list(fiches)})
        return parse_batch(answer, len(fiches))

    def get_fiche(self, member: str, fiche_id: str) -> dict[str, Any]:
        """The hub's copy of one of the caller's fiches (raises HubNotFound)."""
        # the signed target is the raw one, percent-encoding included (docs/protocol.md)
        path = f"/v1/fiches/{quote(member, safe=':')}/{quote(fiche_id, safe=':')}"
        return self.request("GET", path)

    def delete_fiche(self, member: str, fiche_id: str) -> bool:
        """Remove one of the caller's fiches from the network (the record was deleted at
        the source): the hub erases it and notifies its recipients. True when the hub
        erased it now, False when it was already erased or never reached the hub."""
        path = f"/v1/fiches/{quote(member, safe=':')}/{quote(fiche_id, safe=':')}"
        try:
            self.request("DELETE", path)
        except HubNotFound:
            return False
        except HubRequestRejected as exc:
            if exc.hub_code == "already_erased":
                return False
            raise
        return True

    def withdraw_fiches(self, member: str, fiche_ids: Sequence[str]) -> dict[str, bool]:
        """Remove several of the caller's fiches at once (1 to `MAX_WITHDRAWALS`; records
        deleted at the source), in one erasure at the hub: for each id, True when the hub
        erased it now, False when it was already erased or never reached the hub (as
        `delete_fiche`). A hub without the batch route (an earlier release: 404 or 405 on
        it) is asked one fiche at a time."""
        path = f"/v1/fiches/{quote(member, safe=':')}/withdrawals"
        try:
            answer = self.request("POST", path, {"fiche_ids": list(fiche_ids)})
        except HubNotFound:
            return {i: self.delete_fiche(member, i) for i in fiche_ids}
        except HubRequestRejected as exc:
            if exc.status != 405:
                raise
            return {i: self.delete_fiche(member, i) for i in fiche_ids}
        return _withdrawn(answer, fiche_ids)

    def feed(self, after: str | int | None = None, limit: int | None = None) -> FeedPage:
        """One page of the caller's deliveries after the cursor `after`."""
        query = {k: v for k, v in (("after", after), ("limit", limit)) if v is not None}
        path = "/v1/feed" + (f"?{urlencode(query)}" if query else "")
        return parse_feed(self.request("GET", path), after)

    def record_consent(self, consent: Mapping[str, Any]) -> dict[str, Any]:
        """Record a porteur's consent; answers the hub's record (with its id)."""
        return self.request("POST", "/v1/consents", dict(consent))

    def lookup_consents(self, references: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The hub's answer for each of the member's own consent references (1 to 1000):
        `connue`, `utilisable`, `code`, and for a known one `consentement` and `fiche_id`.
        Reads only; another member's reference answers as an unknown one."""
        answer = self.request("POST", "/v1/consents/lookup", {"references": list(references)})
        lines = answer.get("references")
        if not isinstance(lines, list) or not all(
                isinstance(line, dict) and isinstance(line.get("reference"), str) for line in lines):
            raise HubProtocolError("Réponse du hub illisible (références attendues).",
                                   "Unreadable hub answer (references expected).")
        return {line["reference"]: line for line in lines}

    @staticmethod
    def verify_webhook(
        headers: Mapping[str, str],
        body: bytes,
        public_key: signing.PublicKeys,
        *,
        now: float | None = None,
    ) -> str:
        """Check a hub webhook; answers the key id or raises WebhookVerificationError."""
        return signing.verify_webhook(headers, body, public_key, now=now)

    # --- transport ----------------------------------------------------------------

    def request(self, method: str, path: str, payload: Any = None) -> dict[str, Any]:
        """One signed call, retried on network errors, 5xx and a 429 asking for a short
        wait (at most `retries` times in all); answers the JSON body."""
        body = b"" if payload is None else orjson.dumps(payload)
        attempt = 0
        while True:
            try:
                return self._attempt(method, path, body)
            except HubRateLimited as exc:
                self._wait_asked(exc, attempt)
            except HubUnavailable:
                if attempt >= self.retries:
                    raise
                self._sleep(backoff_delay(attempt, self._backoff_s, self._max_backoff_s))
            attempt += 1

    def _wait_asked(self, limited: HubRateLimited, attempt: int) -> None:
        """Wait as the hub's 429 asks (backoff when it gives no `Retry-After`), or raise it
        when the wait is past `max_retry_after_s` or the retries are spent."""
        wait = limited.retry_after
        if wait is not None and wait > self._max_retry_after_s:
            limit = f"{self._max_retry_after_s:g}"
            longer = HubRateLimited(
                f"{limited.message_fr} Le hub demande d'attendre {wait:.0f} s ; le connecteur "
                f"attend au plus {limit} s : relancez-le plus tard.",
                f"{limited.message_en} The hub asks to wait {wait:.0f} s; the connector waits "
                f"at most {limit} s: run it again later.",
                status=limited.status, hub_code=limited.hub_code)
            longer.retry_after = wait
            raise longer from None
        if attempt >= self.retries:
            raise limited
        self._sleep(backoff_delay(attempt, self._backoff_s, self._max_backoff_s)
                    if wait is None else wait)

    def _attempt(self, method: str, path: str, body: bytes) -> dict[str, Any]:
        request = requests.Request(method, self.base_url + path, data=body or None)
        prepared = self.session.prepare_request(request)
        # prepared.path_url is the raw target as it goes on the request line.
        prepared.headers.update(sign_request_rfc9421(self._key, self._key_id, method,
                                                     prepared.path_url, body))
        prepared.headers["Authorization"] = f"Bearer {self._token}"
        if body:
            prepared.headers["Content-Type"] = "application/json"
        try:
            # stream=True, then one read of the whole body: requests' default reads it in
            # 10 kB chunks, each re-taking the GIL, which stalls this call behind a busy
            # thread (the runner maps the next batch while this one is in flight).
            response = self.session.send(prepared, timeout=self.timeout, stream=True)
            try:
                content = b"".join(response.iter_content(chunk_size=None))
            finally:
                response.close()
        except requests.RequestException as exc:
            raise HubUnavailable(
                "Hub injoignable (réseau ou délai dépassé) : réessayez plus tard.",
                "Hub unreachable (network error or timeout): try again later.",
            ) from exc
        return _read_answer(response.status_code, content, response.headers.get("Retry-After"))


MAX_WITHDRAWALS = 500  # the hub's bound on one batch withdrawal (docs/protocol.md)
_GONE = {"not_found", "already_erased"}


def _withdrawn(answer: dict[str, Any], fiche_ids: Sequence[str]) -> dict[str, bool]:
    """The batch withdrawal's answer, per id: True erased now, False already gone; an id
    refused for another reason, or not answered, is a protocol error (nothing is taken
    as withdrawn that the hub did not say it is)."""
    lines = answer.get("resultats")
    found: dict[str, bool] = {}
    for line in lines if isinstance(lines, list) else []:
        if not isinstance(line, dict) or not isinstance(line.get("fiche_id"), str):
            continue
        error = line.get("error")
        code = error.get("code") if isinstance(error, dict) else None
        if line.get("statut") == "effacee":
            found[line["fiche_id"]] = True
        elif line.get("statut") == "refusee" and code in _GONE:
            found[line["fiche_id"]] = False
    if not set(fiche_ids) <= found.keys():
        raise HubProtocolError("Réponse du hub illisible (résultat par fiche attendu).",
                               "Unreadable hub answer (a result per fiche expected).")
    return {i: found[i] for i in fiche_ids}


def _read_answer(status: int, content: bytes, retry_after: str | None) -> dict[str, Any]:
    payload = _json_or_none(content)
    if status < 300:
        if not isinstance(payload, dict):
            raise HubProtocolError(
                "Réponse du hub illisible (JSON attendu).",
                "Unreadable hub answer (JSON expected).",
                status=status,
            )
        return payload
    raise _error_for(status, payload, retry_after)


def _json_or_none(content: bytes) -> Any:
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return None


def _error_for(status: int, payload: Any, retry_after: str | None) -> HubCallError:
    error = payload.get("error", {}) if isinstance(payload, dict) else {}
    error = error if isinstance(error, dict) else {}
    code = str(error.get("code", "")) or None
    fr = str(error.get("message_fr") or f"Le hub a répondu {status}.")
    en = str(error.get("message_en") or f"The hub answered {status}.")
    if status in (401, 403):
        fr = f"Identifiants refusés par le hub ({code or status}) : {fr}"
        en = f"Credentials refused by the hub ({code or status}): {en}"
        return HubAuthError(fr, en, status=status, hub_code=code)
    if status == 429:
        limited = HubRateLimited(fr, en, status=status, hub_code=code)
        limited.retry_after = retry_after_seconds(retry_after)
        return limited
    if status >= 500:
        return HubUnavailable(fr, en, status=status, hub_code=code)
    if status == 404:
        return HubNotFound(fr, en, status=status, hub_code=code)
    if 400 <= status < 500:
        return HubRequestRejected(fr, en, status=status, hub_code=code)
    return HubProtocolError(fr, en, status=status, hub_code=code)
