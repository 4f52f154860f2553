"""Render the console's pages: one Jinja2 environment (autoescaped), French date
filters, the common context (who is signed in, the anti-forgery token, navigation)
and the headers every page carries (no caching, a strict content security policy)."""

from __future__ import annotations

import datetime as dt
import functools
import unicodedata
import zoneinfo
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup, escape

from hub.domain.ids import whole_number
from hub.domain.matching.model import percent_fr, points_fr, weight_fr
from hub.services.console.network_time import PARIS
from hub.web import labels
from hub.web.security import PREFIX

_TEMPLATES = Path(__file__).resolve().parent / "templates"
HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    session = getattr(request.state, "session", None)
    page = environment().get_template(template).render(
        prefix=PREFIX, session=session, csrf=session.csrf_token if session else "",
        path=request.url.path, labels=labels, **context)
    return HTMLResponse(page, status_code=status, headers=HEADERS)


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(_TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True)
    env.filters.update(paris_day=lambda value: value.astimezone(PARIS).date().isoformat(),
                       date=french_date, datetime=french_datetime, month=french_month,
                       label=lambda code, table: table.get(code, code) if code else "—",
                       points=french_points, poids=french_points_or_nothing,
                       percent=french_percent, isole=isolated, champ=labels.field_label,
                       from_ms=lambda ms: dt.datetime.fromtimestamp(ms / 1000, PARIS))
    return env


def isolated(value: Any) -> Markup:
    """A text from a fiche in its own bidirectional run (`<bdi>`: it cannot reorder what
    surrounds it), each Unicode format character (Cf: bidirectional controls, zero-width
    characters) shown as its code point instead of acting on the text."""
    text = str(value)
    if text.isprintable():  # no format character: the common case
        return Markup("<bdi>%s</bdi>") % text
    shown = "".join(
        f'<span class="point-de-code">U+{ord(c):04X}</span>' if unicodedata.category(c) == "Cf"
        else str(escape(c)) for c in text)
    return Markup(f"<bdi>{shown}</bdi>")


def french_date(value: dt.date | dt.datetime | str | None) -> str:
    """JJ/MM/AAAA; an instant is dated in Paris (23:30 UTC on 31/12 is 01/01 there), a
    naive one being the store's UTC (SQLite gives its times back without their zone)."""
    if not value:
        return "—"
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        value = _in_zone(value if value.tzinfo else value.replace(tzinfo=dt.UTC), PARIS)
    return value.strftime("%d/%m/%Y")


def french_datetime(value: dt.datetime | str | None, zone: str | None = None) -> str:
    """JJ/MM/AAAA HH:MM in Paris time (summer and winter), the time the network lives in
    (or in the time zone named `zone`)."""
    if not value:
        return "—"
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:  # the store's times are UTC
        value = value.replace(tzinfo=dt.UTC)
    return _in_zone(value, zoneinfo.ZoneInfo(zone) if zone else PARIS).strftime("%d/%m/%Y %H:%M")


def _in_zone(value: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """The instant in `zone`; at the calendar's end (an expiry of 9999-12-31 23:30 UTC
    stored before date-times were bounded) it has no date there: shown in UTC."""
    try:
        return value.astimezone(zone)
    except OverflowError:
        return value


# The matching domain's wording, shared with the API's explanation lines.
french_points = points_fr
french_points_or_nothing = weight_fr


def french_percent(value: float | None, decimals: int = 1, certain: bool = False) -> str:
    """A probability in per cent, French style; a pair open or set aside for review is not
    certain, so it never reads « 100,0 % » (`hub.domain.matching.model.percent_fr`)."""
    if value is None:  # not told: a side or fields the coordination may not see
        return "non communiquée"
    return percent_fr(value, decimals, certain=certain)


def french_month(value: dt.date | str) -> str:
    if isinstance(value, str):
        year, month = whole_number(value[:4]), whole_number(value[5:7])
        if len(value) < 7 or year is None or month is None or not 1 <= month <= 12 or year < 1:
            return value
        value = dt.date(year, month, 1)
    return f"{labels.MONTHS[value.month - 1]} {value.year}"
