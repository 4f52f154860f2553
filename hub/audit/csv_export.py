"""Access events as CSV (`;`-separated, as French spreadsheets expect), written lazily.

The columns hold pseudonyms, field names and codes only: an event never holds a value.
Cells that a spreadsheet would read as a formula are prefixed with a quote.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from hub.audit.events import AccessEvent, format_time

COLUMNS = (
    "seq", "horodatage", "membre", "utilisateur", "action", "resultat", "porteur_ref",
    "fiches", "champs", "finalite", "politique", "requete",
)
_ROWS_PER_CHUNK = 500
_FORMULA_START = ("=", "+", "-", "@")


def csv_chunks(events: Iterable[AccessEvent]) -> Iterator[str]:
    """The header, then the events, a few hundred rows per chunk."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for number, event in enumerate(events, start=1):
        writer.writerow(_cells(event))
        if number % _ROWS_PER_CHUNK == 0:
            yield _drain(buffer)
    yield _drain(buffer)


def _cells(event: AccessEvent) -> list[str]:
    values = (
        str(event.seq), format_time(event.at), event.actor_member, event.actor_user,
        event.action, event.outcome, event.porteur_ref, " ".join(event.fiche_refs),
        " ".join(event.fields), event.purpose, event.policy_version, event.request_id,
    )
    return [_safe(value or "") for value in values]


def _safe(cell: str) -> str:
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
