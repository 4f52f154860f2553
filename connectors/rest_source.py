"""A member's CRM or management tool with a paginated JSON API.

Pagination by page number (`page`, `per_page`; stops on an empty page, a page shorter
than the first, one repeating the page before, or a 404/400 after a page shorter than
asked: an API may serve fewer per page than asked, so a short first page is followed by
one more request; page 2 repeating page 1 is an API ignoring `page`, unless page 2 of one
item differs) or by cursor (`cursor`; stops when the answer's next cursor is empty, on an
empty page, or when a cursor given again answers the page it answered before: a scroll
API keeping one cursor while its pages advance is read to its end) or by the `Link`
header's `rel="next"` URL (`lien`, RFC 8288, relative or absolute; same scheme, host and
port only; stops without a next link, when a URL read before answers the same page again,
or on an empty page naming a page already read or none, or the fifth empty page in a
row: an empty page naming a page not read yet is followed; the next page's URL may be
named in the body instead, at `next_link_path`: `$.next` in Django REST framework, `$.links.next`
in JSON:API, and a body naming one there while `next_link_path` is unset is a configuration
error, never a listing cut after its first page) or by offset (`decalage`: `offset=0`, then
the offset plus the items each page held, an API capping its pages serving fewer than asked,
less one: each page opens on the last item read; stops on an empty page; a page answering
the first one's items again is an API ignoring the offset: an error). A page boundary
that moved during the listing (a contact deleted outright: the next one slides onto a
page already read) holds the cursor at the pages read before it (`ListingWatch.slid`):
seen by the offset overlap, and in `page` by asking the item before each page alone.
`max_pages` bounds every listing. Changes are
asked with `updated_since=<ISO 8601>` (inclusive: the runner skips unchanged
content). A bearer token authenticates. A 429 answer is waited out for its
`Retry-After` seconds (bounded); network errors and 5xx are retried with backoff;
401/403 raise `SourceAuthError` at once. An item of a page that is not a JSON object
(`null`, a bare id) is a reject at its position, never skipped.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urljoin

import requests

from connectors.backoff import backoff_delay, retry_after_seconds
from connectors.base import Connector, SourceRecord
from connectors.errors import SourceAuthError, SourceError
from connectors.listing_watch import ListingWatch, answered_at
from connectors.mapping import ABSENT, Mapping, dig, path_parts
from connectors.rest_pages import (
    NOT_AN_OBJECT,
    PagesRead,
    bad_answer,
    body_next_path,
    cursor_missing,
    link_in_body,
    not_numbered,
    not_offset,
    one_item_a_request,
    origin,
)


@dataclasses.dataclass(frozen=True)
class RestSettings:
    """Where and how to read the API (the `source` block of a rest connector config)."""

    url: str
    token: str | None = None
    pagination: str = "page"  # "page" | "curseur" | "lien" | "decalage"
    page_size: int = 100
    since_param: str = "updated_since"
    items_path: str = "$.data"
    cursor_path: str = "$.next_cursor"
    next_link_path: str | None = None  # `lien`: the next page's URL in the body, not `Link`
    offset_param: str = "offset"
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
        self._watch = ListingWatch()
        self._answered_at = answered_at(None)
        self._whole_pages = False  # the API answers whole pages whatever `per_page`

    def changes(self, since: dt.datetime | None) -> Iterator[SourceRecord]:
        position = 0
        self._watch = ListingWatch()
        for page in self._pages(since):
            records = []
            for item in page:
                position += 1
                if isinstance(item, dict):
                    records.append(self.record(item, line=position))
                else:  # a reject at its position, never a contact silently skipped
                    records.append(self.record({}, line=position, problems=[NOT_AN_OBJECT]))
            self._watch.page(self._answered_at, [r.modified_at for r in records],
                             [r.key for r in records])
            yield from records

    def settled_until(self) -> dt.datetime | None:
        """A contact edited during the listing may have let another slip between two pages
        (`ListingWatch`): the cursor stays before it."""
        return self._watch.settled_until()

    def _pages(self, since: dt.datetime | None) -> Iterator[list[Any]]:
        s = self.settings
        params: dict[str, Any] = {"per_page" if s.pagination == "page" else "limit": s.page_size}
        if since is not None:
            params[s.since_param] = since.isoformat()
        if s.pagination == "lien":
            return self._linked(params)
        if s.pagination == "decalage":
            return self._by_offset(params)
        return self._numbered(params) if s.pagination == "page" else self._by_cursor(params)

    def _numbered(self, params: dict[str, Any]) -> Iterator[list[Any]]:
        """Pages 1, 2, …: a first page shorter than asked may be the API's own cap on page
        size, not the end, so the pages after it are expected as long and a shorter one
        ends the listing; so do an empty page, a page repeating the one before, and a 404
        or 400 right after a page shorter than asked (an API refusing a page past its end).
        After each page but the first, the item before it is asked alone (`_moved`)."""
        full, previous = self.settings.page_size, None
        self._whole_pages = False
        for page in range(1, self.settings.max_pages + 1):
            short = previous is not None and len(previous) < self.settings.page_size
            items = self._items({**params, "page": page}, past_the_end=short)
            if page == 2 and items == previous and self._ignores_page(params, items):
                raise not_numbered()
            if not items or items == previous:
                return
            if previous is not None and self._moved(params, page - 1, (page - 1) * full,
                                                    previous[-1]):
                self._watch.slid()
            yield items
            full = len(items) if page == 1 else full
            if len(items) < full:
                return
            previous = items

    def _moved(self, params: dict[str, Any], page: int, position: int, last: Any) -> bool:
        """Whether the item at `position` (from 1), the last of page `page`, is no longer
        `last`, the last one read: a contact before it was deleted outright (or edited)
        since, and the one after it slid onto a page already read. That item is asked
        alone; an answer other than it alone (an API ignoring `per_page` answers a whole
        page, or none past its end) is checked against page `page` asked again as the
        listing asks it, and an API seen ignoring `per_page` is asked that way only."""
        if not self._whole_pages:
            probe = self._items({**params, "page": position, "per_page": 1}, past_the_end=True)
            if probe == [last]:
                return False
            self._whole_pages = len(probe) > 1
        again = self._items({**params, "page": page}, past_the_end=True)
        return again[-1:] != [last]

    def _ignores_page(self, params: dict[str, Any], first: list[Any]) -> bool:
        """Page 2 repeated page 1: an API clamping a page past its end to its last page, or
        one ignoring `page`. Page 2 of one item tells them apart."""
        if len(first) < 2:
            return False
        probe = self._items({**params, "page": 2, "per_page": 1}, past_the_end=True)
        return bool(probe) and probe[0] == first[0]

    def _by_cursor(self, params: dict[str, Any]) -> Iterator[list[Any]]:
        """Pages until the cursor is absent or empty, or an empty page. A cursor given
        again is followed (a scroll API keeps one cursor while its pages advance) unless
        it answers the page it answered before (an API giving its last cursor back). A
        full first page whose answer has nothing at `cursor_path` is a configuration error
        (a wrong path would read the first page only)."""
        cursor: Any = None
        pages = PagesRead()
        for _ in range(self.settings.max_pages):
            first = cursor is None
            answer = self._get(params if cursor is None else {**params, "cursor": cursor})
            items = self._items_of(answer)
            if pages.again(str(cursor), items):  # the cursor as the query sends it
                return
            cursor = dig(answer, path_parts(self.settings.cursor_path))
            if cursor is ABSENT and first and len(items) >= self.settings.page_size:
                raise cursor_missing(self.settings.cursor_path)
            yield items
            if cursor is ABSENT or cursor in (None, "") or not items:
                return

    def _by_offset(self, params: dict[str, Any]) -> Iterator[list[Any]]:
        """Offsets 0, then past the items each page held (an API capping its page size
        serves fewer than asked), each request from the last item read, one item more
        asked: a page not opening on it means the listing moved (a contact deleted outright
        before it: the one after it would slide onto a page already read), and only the
        pages before are proven whole (`ListingWatch.slid`). Ends on an empty page, a page
        holding only the last item read (fewer than asked), or a 404 or 400 right after a
        page shorter than asked. A page answering the first page's items again is an API
        ignoring the offset, and an API answering one item a request whatever the limit
        leaves no room for the overlap: errors, not a loop nor one contact read."""
        offset, first, last, short, most = 0, None, None, False, 0
        for _ in range(self.settings.max_pages):
            overlap = int(last is not None)
            asked = self.settings.page_size + overlap
            query = {**params, "limit": asked, self.settings.offset_param: offset - overlap}
            answered = self._items(query, past_the_end=short)
            most, items = max(most, len(answered)), answered
            if last is not None and answered[:1] == [last]:
                items = answered[1:]
            elif last is not None and answered:
                if first is not None and answered[:len(first)] == first:
                    raise not_offset(self.settings.offset_param)
                self._watch.slid()
            if not items:
                if answered and most == 1 and self._items(
                        {**query, self.settings.offset_param: offset}, past_the_end=True):
                    raise one_item_a_request()
                return
            yield items
            first = items if first is None else first
            short = len(answered) < asked
            offset, last = offset + len(items), items[-1]

    def _linked(self, params: dict[str, Any]) -> Iterator[list[Any]]:
        """RFC 8288: each answer names the next page in `Link: <URL>; rel="next"`, a URL
        that carries its own query; followed only on the configured API's origin (the
        connector's token goes with each request). A URL read before ends the listing when
        it answers the same page again (a last page naming itself); an empty page ends it
        when its link names a page already read or none, or after `_EMPTY_PAGES_MAX`
        empty pages in a row (an API naming a next page past its end); an empty page
        naming a page not read yet is followed (an API filtering after paging)."""
        url: str | None = self.settings.url
        query: dict[str, Any] | None = params
        pages, empty = PagesRead(), 0
        for _ in range(self.settings.max_pages):
            if url is None:
                return
            answer, following = self._fetch(url, query)
            following = self._next_url(answer, url, following, first=query is not None)
            query = None
            if following is not None and origin(following) != origin(self.settings.url):
                raise SourceError(
                    "Le lien vers la page suivante mène hors de l'API configurée : il n'est pas "
                    "suivi (le jeton du connecteur irait ailleurs).",
                    "The next page link leads outside the configured API: not followed (the "
                    "connector's token would go elsewhere).")
            items = self._items_of(answer)
            if pages.again(url, items):
                return
            empty = 0 if items else empty + 1
            if not items and (following is None or pages.read(following)
                              or empty >= _EMPTY_PAGES_MAX):
                return
            yield items
            url = following

    def _next_url(self, answer: Any, url: str, linked: str | None, *, first: bool) -> str | None:
        """The next page's URL: at `next_link_path` in the body when configured, else the
        `Link` header's. A first page naming a next page in its body where APIs commonly
        do, without a `Link` header nor `next_link_path`, stops the run: following no link
        would read the first page only."""
        path = self.settings.next_link_path
        if path is None:
            if first and linked is None and (named := body_next_path(answer)) is not None:
                raise link_in_body(named)
            return linked
        value = dig(answer, path_parts(path))
        if value is ABSENT or value in (None, ""):
            return None
        if not isinstance(value, str):
            raise bad_answer()
        return urljoin(url, value)

    def _items(self, params: dict[str, Any], *, past_the_end: bool = False) -> list[Any]:
        """The page's items; none when `past_the_end` and the API refuses the page."""
        answer, _ = self._fetch(self.settings.url, params, ends=_PAST_THE_END if past_the_end
                                else ())
        return [] if answer is _ENDED else self._items_of(answer)

    def _items_of(self, answer: Any) -> list[Any]:
        items = dig(answer, path_parts(self.settings.items_path))
        if not isinstance(items, list):
            raise bad_answer()
        return items

    def _get(self, params: dict[str, Any]) -> Any:
        return self._fetch(self.settings.url, params)[0]

    def _fetch(self, url: str, params: dict[str, Any] | None,
               ends: tuple[int, ...] = ()) -> tuple[Any, str | None]:
        """The JSON answer and the URL its `Link` header names as the next page (resolved
        against the answer's URL); `_ENDED` for a status in `ends`."""
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
            if response.status_code in ends:
                return _ENDED, None
            if response.status_code >= 400:
                raise SourceError(f"Le système source a répondu {response.status_code}.",
                                  f"The source system answered {response.status_code}.")
            self._answered_at = answered_at(response.headers.get("Date"))
            try:
                link = response.links.get("next", {}).get("url")
                return response.json(), link and urljoin(response.url, link)
            except ValueError as exc:
                raise bad_answer() from exc
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


_PAST_THE_END = (400, 404)
_EMPTY_PAGES_MAX = 5
_ENDED = object()
