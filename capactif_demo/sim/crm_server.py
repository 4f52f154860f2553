"""A fake CRM of a chamber of commerce: a paginated JSON API, for tests and the demo.

    GET /api/contacts?updated_since=ISO&page=N&per_page=M   page pagination
    GET /api/contacts/curseur?updated_since=ISO&cursor=C&limit=M   cursor pagination
    GET /api/contacts/lien?updated_since=ISO&limit=M   a bare list, next page in `Link`
    GET /api/contacts/decalage?updated_since=ISO&offset=N&limit=M   offset pagination
    GET /api/contacts/suivante?updated_since=ISO&page=N&page_size=M   next page URL in `next`

Both need `Authorization: Bearer <token>`, answer contacts ordered by
(updated_at, id) with `updated_at >= updated_since`, and can answer 429 with a
`Retry-After` every `rate_limit_every` requests. Deleted contacts stay listed with
`"deleted": true` (tombstones). Data is French and seeded (Faker fr_FR). `on_request` is
called with each request's number before it is answered (a contact edited while a
listing is read); `stamps` serves `updated_at` as Unix time (`secondes`, `millisecondes`)
or as UTC written without its offset (`naif_utc`, as many APIs do).

    python -m capactif_demo.sim.crm_server --port 8100 --count 300 --token secret
"""

from __future__ import annotations

import argparse
import datetime as dt
import threading
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import orjson

from capactif_demo.sim.french_data import PeopleFactory, Person
from capactif_demo.sim.local_server import LocalServer

STAGES = ("Prospect", "Diagnostic", "Plan d'affaires", "Recherche financement",
          "Immatriculé", "Suivi post-création", "Perdu")
NEEDS = ("Funding", "Premises", "Housing", "Land", "Training", "Network")


def contact_of(person: Person) -> dict[str, Any]:
    insee, postal, city = person.commune
    return {
        "id": 10_000 + person.number, "first_name": person.prenom, "last_name": person.nom,
        "email": person.courriel, "phone": person.telephone,
        "birth_date": person.naissance.isoformat(),
        "address": {"street": person.rue, "zip": postal, "city": city, "insee": insee},
        "company": {"name": person.projet[0], "naf": person.projet[1], "siret": person.siret},
        "pipeline_stage": STAGES[person.stade], "needs": [NEEDS[i] for i in person.besoins],
        "funding_need": person.besoin, "advisor": "Conseiller création CCI",
        "updated_at": person.modifie.isoformat(timespec="seconds"), "deleted": False,
    }


class CrmServer(LocalServer):
    """The fake CRM on 127.0.0.1, in a thread."""

    def __init__(self, count: int = 100, *, token: str = "crm-token", seed: int = 43,
                 rate_limit_every: int = 0, retry_after: int = 1, port: int = 0,
                 stamps: str = "iso") -> None:
        self.token = token
        self.on_request: Callable[[int], None] | None = None
        self.stamps = stamps
        self.contacts = {c["id"]: c for c in map(contact_of, PeopleFactory(seed).people(count))}
        self.rate_limit_every = rate_limit_every
        self.retry_after = retry_after
        self.requests = 0
        self.rate_limited = 0
        self._port = port
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        return _handler_for(self)

    def _touch(self, contact: dict[str, Any]) -> None:
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        contact["updated_at"] = now.isoformat(timespec="seconds")

    def update(self, contact_id: int, **changes: Any) -> None:
        with self._lock:
            self.contacts[contact_id].update(changes)
            self._touch(self.contacts[contact_id])

    def delete(self, contact_id: int) -> None:
        self.update(contact_id, deleted=True)

    def _ordered(self, since: str | None) -> list[dict[str, Any]]:
        floor = dt.datetime.fromisoformat(since) if since else None
        chosen = [c for c in self.contacts.values()
                  if floor is None or dt.datetime.fromisoformat(c["updated_at"]) >= floor]
        return sorted(chosen, key=lambda c: (dt.datetime.fromisoformat(c["updated_at"]), c["id"]))

    def _stamped(self, contact: dict[str, Any]) -> dict[str, Any]:
        """The contact as served: `updated_at` as Unix time when `stamps` says so."""
        if self.stamps == "iso":
            return contact
        if self.stamps == "naif_utc":
            moment = dt.datetime.fromisoformat(contact["updated_at"]).astimezone(dt.UTC)
            return {**contact, "updated_at": moment.replace(tzinfo=None).isoformat()}
        seconds = int(dt.datetime.fromisoformat(contact["updated_at"]).timestamp())
        return {**contact, "updated_at": seconds * (1000 if self.stamps == "millisecondes" else 1)}

    def next_link(self, path: str, query: dict[str, list[str]]) -> str | None:
        """`/api/contacts/lien`: the URL of the page after this one (RFC 8288 `rel="next"`),
        its position in an opaque `page_info`, as Shopify's API gives it."""
        first = {k: v[0] for k, v in query.items()}
        if path != "/api/contacts/lien":
            return None
        start, size = int(first.get("page_info") or 0), min(int(first.get("limit", 50)), 200)
        with self._lock:
            total = len(self._ordered(first.get("updated_since")))
        if start + size >= total:
            return None
        kept = {"updated_since": first["updated_since"]} if "updated_since" in first else {}
        return f"{self.url}{path}?" + urlencode({"limit": size, "page_info": start + size, **kept})

    def answer(self, path: str, query: dict[str, list[str]], auth: str) -> tuple[int, Any]:
        with self._lock:
            self.requests += 1
            limited = self.rate_limit_every and self.requests % self.rate_limit_every == 0
            number = self.requests
        if self.on_request is not None:
            self.on_request(number)
        if auth != f"Bearer {self.token}":
            return 401, {"error": "unauthorized"}
        if limited:
            self.rate_limited += 1
            return 429, {"error": "too many requests"}
        first = {k: v[0] for k, v in query.items()}
        try:
            with self._lock:
                rows = self._ordered(first.get("updated_since"))
        except ValueError:
            return 400, {"error": "bad updated_since"}
        rows = [self._stamped(row) for row in rows]
        if path == "/api/contacts":
            page, size = int(first.get("page", 1)), min(int(first.get("per_page", 50)), 200)
            chunk = rows[(page - 1) * size: page * size]
            return 200, {"data": chunk, "page": page, "per_page": size, "total": len(rows)}
        if path == "/api/contacts/lien":  # a bare list; the next page in the Link header
            start, size = int(first.get("page_info") or 0), min(int(first.get("limit", 50)), 200)
            return 200, rows[start: start + size]
        if path == "/api/contacts/decalage":  # offset and limit, as most SQL-backed APIs
            start, size = int(first.get("offset") or 0), min(int(first.get("limit", 50)), 200)
            return 200, {"data": rows[start: start + size], "total": len(rows)}
        if path == "/api/contacts/suivante":  # the next page's URL in the body (Django REST)
            page, size = int(first.get("page", 1)), min(int(first.get("page_size", 20)), 200)
            kept = {"updated_since": first["updated_since"]} if "updated_since" in first else {}
            following = f"{self.url}{path}?" + urlencode({"page": page + 1, "page_size": size,
                                                          **kept})
            return 200, {"count": len(rows), "results": rows[(page - 1) * size: page * size],
                         "next": following if page * size < len(rows) else None}
        if path == "/api/contacts/curseur":
            start, size = int(first.get("cursor") or 0), min(int(first.get("limit", 50)), 200)
            chunk = rows[start: start + size]
            more = start + size < len(rows)
            return 200, {"data": chunk, "next_cursor": str(start + size) if more else None}
        return 404, {"error": "not found"}


def _handler_for(crm: CrmServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Silent."""

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            status, payload = crm.answer(parts.path, parse_qs(parts.query),
                                         self.headers.get("Authorization", ""))
            data = orjson.dumps(payload)
            self.send_response(status)
            if status == 429:
                self.send_header("Retry-After", str(crm.retry_after))
            link = crm.next_link(parts.path, parse_qs(parts.query)) if status == 200 else None
            if link:
                self.send_header("Link", f'<{link}>; rel="next"')
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Faux CRM de CCI (API JSON paginée).")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--token", default="crm-token")
    parser.add_argument("--rate-limit-every", type=int, default=0)
    args = parser.parse_args(argv)
    crm = CrmServer(args.count, token=args.token, rate_limit_every=args.rate_limit_every,
                    port=args.port)
    crm.start()
    print(f"CRM simulé sur {crm.url}/api/contacts", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        crm.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
