"""The days people type in the console's filters: the French way (JJ/MM/AAAA, as every
page writes a date) or ISO (AAAA-MM-JJ, as a date picker sends it). A day refused says
what was wrong (not a date's shape, no such day, a year out of range) and which field."""

from __future__ import annotations

import datetime as dt
import re

from hub.errors import BadRequest
from schemas.formats import EARLIEST, LATEST

_FRENCH = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")
_ISO = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
YEARS = range(EARLIEST.year, LATEST.year)  # the bounds of every date-time the hub reads


def typed_day(text: str, field: str) -> dt.date | None:
    """The day `text` gives (None when empty); `field` is the label the form shows."""
    text = text.strip()
    if not text:
        return None
    day, month, year = _parts(text, field)
    if year not in YEARS:
        raise BadRequest(f"Date « {field} » : l'année doit être comprise entre {YEARS.start} "
                         f"et {YEARS.stop - 1}.", f"Date {field}: year out of range.")
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise BadRequest(f"Date « {field} » : ce jour n'existe pas (jour ou mois hors du "
                         "calendrier). Écrivez JJ/MM/AAAA, par exemple 15/03/2026.",
                         f"Date {field}: no such day.") from None


def _parts(text: str, field: str) -> tuple[int, int, int]:
    if found := _FRENCH.fullmatch(text):
        return int(found[1]), int(found[2]), int(found[3])
    if found := _ISO.fullmatch(text):
        return int(found[3]), int(found[2]), int(found[1])
    raise BadRequest(f"Date « {field} » : date attendue au format JJ/MM/AAAA (par exemple "
                     "15/03/2026) ou AAAA-MM-JJ.", f"Date {field}: use DD/MM/YYYY.")
