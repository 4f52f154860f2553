"""A member's CRM or management tool with a paginated JSON API.

Pagination by page number (`page`, `per_page`; stops on an empty page, a page shorter
than the first, or one repeating the page before: an API may serve fewer per page than
asked, so a short first page is followed by one more request) or
by cursor (`cursor`; stops when the answer's next cursor is empty) or by the `Link`
header's `rel="next"` URL (`lien`, RFC 8288; same origin only). Changes are
asked with `updated_since=<ISO 8601>` (inclusive: the runner skips unchanged
content). A bearer token authenticates. A 429 answer is waited out for its
`Retry-After` seconds (bounded); network errors and 5xx are retried with backoff;
401/403 raise `SourceAuthError` at once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import requests

from connectors.backoff import backoff_delay, retry_after_seconds
from connectors.base import Connector, SourceRecord
from connectors.errors import SourceAuthError, SourceError
from connectors.mapping import ABSENT, Mapping, dig, path_parts


@dataclasses.dataclass(frozen=True)
class RestSettings:
    """Where and how to read the API (the `source` block of a rest connector config)."""

    url: str
    token: str | None = None
    pagination: str = "page"  # "page" | "curseur" | "lien"
    page_size: int = 100
    since_param: str = "updated_since"
    items_path: str = "$.data"
    cursor_path: str = "$.next_cursor"
    timeout_s: float = 30.0
    max_retry_after_s: float = 120.0
    max_attempts: int = 6
    max_pages: int = 100_000


class RestSource(Connector):
    """Records from a paginated JSON API, mapped with JSON paths."""

    kind = "rest"

    def __init__(self, mapping: Mapping, settings: RestSettings, *,
                 session: requests.Session | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__(mapping)
        self.settings = settings
        self.session = session or requests.Session()
        if settings.token:
            self.session.headers["Authorization"] = f"Bearer {settings.token}"
        self._sleep = sleep
        self.waited_s = 0.0

    def changes(self, since: dt.datetime | None) -> Iterator[SourceRecord]:
        position = 0
        for page in self._pages(since):
            for item in page:
                position += 1
                if isinstance(item, dict):
                    yield self.record(item, line=position)

    def _pages(self, since: dt.datetime | None) -> Iterator[list[Any]]:
        s = self.settings
        params: dict[str, Any] = {"per_page" if s.pagination == "page" else "limit": s.page_size}
        if since is not None:
            params[s.since_param] = since.isoformat()
        if s.pagination == "lien":
            return self._linked(params)
        return self._numbered(params) if s.pagination == "page" else self._by_cursor(params)

    def _numbered(self, params: dict[str, Any]) -> Iterator[list[Any]]:
        """Pages 1, 2, …: a first page shorter than asked may be the API's own cap on page
        size, not the end, so the pages after it are expected as long and a shorter one
        ends the listing; so do an empty page and a page repeating the one before."""
        full, previous = self.settings.page_size, None
        for page in range(1, self.settings.max_pages + 1):
            items = self._items({**params, "page": page})
            if items == previous and len(items) >= self.settings.page_size:
                raise SourceError(
                    "L'API répond la même page pleine quel que soit le numéro de page : elle "
                    "ne pagine pas par numéro. Indiquez \"pagination\": \"curseur\" ou "
                    "\"lien\" dans la configuration.",
                    "The API answers the same full page whatever the page number: it does not "
                    "page by number. Set \"pagination\": \"curseur\" or \"lien\".")
            if not items or items == previous:
                return
            yield items
            full = len(items) if page == 1 else full
            if len(items) < full:
                return
            previous = items

    def _by_cursor(self, params: dict[str, Any]) -> Iterator[list[Any]]:
        cursor = None
        for _ in range(self.settings.max_pages):
            answer = self._get(params if cursor is None else {**params, "cursor": cursor})
            items = self._items_of(answer)
            yield items
            cursor = dig(answer, path_parts(self.settings.cursor_path))
            if cursor is ABSENT or cursor in (None, "") or not items:
                return

    def _linked(self, params: dict[str, Any]) -> Iterator[list[Any]]:
        """RFC 8288: each answer names the next page in `Link: <URL>; rel="next"`, a URL
        that carries its own query; followed only on the configured API's origin (the
        connector's token goes with each request)."""
        url: str | None = self.settings.url
        query: dict[str, Any] | None = params
        for _ in range(self.settings.max_pages):
            if url is None:
                return
            answer, url = self._fetch(url, query)
            query = None
            if url is not None and urlsplit(url)[:2] != urlsplit(self.settings.url)[:2]:
                raise SourceError(
                    "Le lien vers la page suivante mène hors de l'API configurée : il n'est pas "
                    "suivi (le jeton du connecteur irait ailleurs).",
                    "The next page link leads outside the configured API: not followed (the "
                    "connector's token would go elsewhere).")
            yield self._items_of(answer)

    def _items(self, params: dict[str, Any]) -> list[Any]:
        return self._items_of(self._get(params))

    def _items_of(self, answer: Any) -> list[Any]:
        items = dig(answer, path_parts(self.settings.items_path))
        if not isinstance(items, list):
            raise _bad_answer()
        return items

    def _get(self, params: dict[str, Any]) -> Any:
        return self._fetch(self.settings.url, params)[0]

    def _fetch(self, url: str, params: dict[str, Any] | None) -> tuple[Any, str | None]:
        """The JSON answer and the URL its `Link` header names as the next page."""
        for attempt in range(self.settings.max_attempts):
            try:
                response = self.session.get(url, params=params, timeout=self.settings.timeout_s)
            except requests.RequestException:
                self._sleep(backoff_delay(attempt))
                continue
            if response.status_code == 429:
                self._wait(response.headers.get("Retry-After"), attempt)
                continue
            if response.status_code in (401, 403):
                raise SourceAuthError(
                    "Le système source refuse le jeton du connecteur : vérifiez-le.",
                    "The source system refuses the connector's token: check it.",
                )
            if response.status_code >= 500:
                self._sleep(backoff_delay(attempt))
                continue
            if response.status_code >= 400:
                raise SourceError(f"Le système source a répondu {response.status_code}.",
                                  f"The source system answered {response.status_code}.")
            try:
                return response.json(), response.links.get("next", {}).get("url")
            except ValueError as exc:
                raise _bad_answer() from exc
        raise SourceError(
            "Système source indisponible après plusieurs essais : réessayez plus tard.",
            "Source system unavailable after several attempts: try again later.",
        )

    def _wait(self, retry_after: str | None, attempt: int) -> None:
        delay = retry_after_seconds(retry_after)
        delay = backoff_delay(attempt) if delay is None else delay
        delay = min(delay, self.settings.max_retry_after_s)
        self.waited_s += delay
        self._sleep(delay)

    def close(self) -> None:
        self.session.close()


def _bad_answer() -> SourceError:
    return SourceError("Réponse du système source illisible (liste JSON attendue).",
                       "Unreadable source answer (JSON list expected).")
