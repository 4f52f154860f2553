"""What the coordinator asked the porteurs list for (filters, sort, page), read from its
form or address, and kept as an address query so that the way back from a porteur's
parcours, and from a decision taken there, leads to the same list. The search text is
personal data (a name, a phone number): it is POSTed, and never kept in an address."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qsl, urlencode

from hub.domain.ids import whole_number
from hub.errors import HubError
from hub.services.console.porteur_search import PorteurQuery
from hub.web.dates import typed_day


def porteur_query(params: Mapping[str, str]) -> PorteurQuery:
    """The list's form (or address) as a query; a malformed date is a 400 naming it."""
    return PorteurQuery(
        text=(params.get("q") or "").strip()[:200], member=params.get("membre", ""),
        territory=params.get("territoire", ""), stage=params.get("etape", ""),
        projects=params.get("projets") or "en_cours",
        since=typed_day(params.get("du", ""), "Premier contact depuis le"),
        until=typed_day(params.get("au", ""), "jusqu'au"),
        without_referent=params.get("sans_referent") == "1",
        without_parrain=params.get("sans_parrain") == "1",
        sort=params.get("tri") or "attention", descending=params.get("ordre") == "desc",
        page=whole_number(params.get("page", "1"), 6) or 1)


def list_state(query: PorteurQuery) -> str:
    """The list as asked, without its search text, as an address query (`membre=…&page=2`;
    empty for the list's own first page)."""
    asked = {
        "membre": query.member, "territoire": query.territory, "etape": query.stage,
        "projets": "" if query.projects == "en_cours" else query.projects,
        "du": query.since.isoformat() if query.since else "",
        "au": query.until.isoformat() if query.until else "",
        "sans_referent": "1" if query.without_referent else "",
        "sans_parrain": "1" if query.without_parrain else "",
        "tri": "" if query.sort == "attention" else query.sort,
        "ordre": "desc" if query.descending else "",
        "page": str(query.page) if query.page > 1 else ""}
    return urlencode({key: value for key, value in asked.items() if value})


def kept_state(text: str) -> str:
    """A list state carried by a parcours' address or form, read again as the list would
    read it: the search text dropped, and a state no list offers (typed, cut short)
    forgotten rather than refused, as the list's own first page is then the way back."""
    params = {k: v for k, v in parse_qsl(text[:1000]) if k != "q"}
    try:
        query = porteur_query(params)
        query.check()
    except HubError:
        return ""
    return list_state(query)
