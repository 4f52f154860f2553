"""Access events as CSV (`;`-separated, as French spreadsheets expect), written lazily.

The columns hold pseudonyms, field names and codes only: an event never holds a value.
Cells that a spreadsheet would read as a formula are prefixed with a quote.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Iterable, Iterator, Mapping
from datetime import tzinfo

from hub.audit.events import AccessEvent, format_time
from hub.domain.spreadsheet import inert_cell

COLUMNS = (
    "seq", "horodatage", "membre", "utilisateur", "action", "resultat", "porteur_ref",
    "fiches", "champs", "finalite", "politique", "requete",
)
FRENCH_COLUMNS = (
    "N°", "Date et heure", "Membre", "Compte", "Action", "Résultat",
    "Porteur (pseudonyme)", "Fiches (pseudonymes)", "Champs", "Finalité",
    "Version de la politique", "Requête",
)
BOM = "\ufeff"
END_CELL, FRENCH_END_CELL = "fin", "Fin de l'export"


@dataclasses.dataclass(frozen=True)
class CsvLabels:
    """A CSV for people: French headers, a BOM (so that a spreadsheet reads UTF-8),
    times in `timezone` with their offset, and these names in place of codes (members,
    console accounts, actions, outcomes; a code without a name stays as it is)."""

    timezone: tzinfo
    members: Mapping[str, str] = dataclasses.field(default_factory=dict)
    accounts: Mapping[str, str] = dataclasses.field(default_factory=dict)
    actions: Mapping[str, str] = dataclasses.field(default_factory=dict)
    outcomes: Mapping[str, str] = dataclasses.field(default_factory=dict)
_ROWS_PER_CHUNK = 500


def csv_chunks(events: Iterable[AccessEvent], labels: CsvLabels | None = None) -> Iterator[str]:
    """The header, the events a few hundred rows per chunk, then the end row that counts
    them (`fin;N`, `Fin de l'export;N` for people): a file without it was cut."""
    buffer = io.StringIO()
    if labels is not None:
        buffer.write(BOM)
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS if labels is None else FRENCH_COLUMNS)
    count = 0
    for count, event in enumerate(events, start=1):
        writer.writerow(_cells(event) if labels is None else _named_cells(event, labels))
        if count % _ROWS_PER_CHUNK == 0:
            yield _drain(buffer)
    writer.writerow([END_CELL if labels is None else FRENCH_END_CELL, str(count)])
    yield _drain(buffer)


def _cells(event: AccessEvent) -> list[str]:
    values = (
        str(event.seq), format_time(event.at), event.actor_member, event.actor_user,
        event.action, event.outcome, event.porteur_ref, " ".join(event.fiche_refs),
        " ".join(event.fields), event.purpose, event.policy_version, event.request_id,
    )
    return [inert_cell(value or "") for value in values]


def _named_cells(event: AccessEvent, labels: CsvLabels) -> list[str]:
    def named(names: Mapping[str, str], code: str | None) -> str | None:
        return names.get(code, code) if code else code

    values = (
        str(event.seq), event.at.astimezone(labels.timezone).isoformat(timespec="seconds"),
        named(labels.members, event.actor_member), named(labels.accounts, event.actor_user),
        named(labels.actions, event.action), named(labels.outcomes, event.outcome),
        event.porteur_ref, " ".join(event.fiche_refs), " ".join(event.fields),
        event.purpose, event.policy_version, event.request_id,
    )
    return [inert_cell(value or "") for value in values]


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
