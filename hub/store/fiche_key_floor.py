"""Fiche keys (and the meeting's numbers, `meeting_actions`) never handed out twice
across a restore.

A restored copy hands out fiche keys from where the copy stood: SQLite gives a new row
the largest key in the table plus one, PostgreSQL's sequence comes back at the copy's
value. A fiche pushed after the restore then took the key of one made since the copy,
and the recovery journal, which names fiches by key, described the new fiche. A restore
moves the next key past the highest the journal names (`resume_after`): PostgreSQL by
its sequence; SQLite by a store marker that the next fiches inserted are numbered after
(`numbered`), dropped then (the largest key in the table is past it from there on).
The meeting's numbers name referent proposals to members (`prp_…`, their notices): one
made after a restore never takes the number of one lost with the copy, which the member
may hold answered.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from hub.store.erasure_tables import store_markers
from hub.store.tables import fiches

MARKER = "fiche_keys_after"


def _marker(table: sa.Table) -> str:
    return MARKER if table is fiches else f"{table.name}_keys_after"


def resume_after(conn: sa.Connection, highest: int, table: sa.Table = fiches) -> None:
    """The next row's key is past `highest` (and past every key handed out already)."""
    marker = _marker(table)
    if conn.dialect.name == "postgresql":
        sequence = conn.scalar(sa.text("SELECT pg_get_serial_sequence(:table, 'id')"),
                               {"table": table.name})
        last, called = conn.execute(sa.text(f"SELECT last_value, is_called FROM {sequence}")).one()
        following = int(last) + 1 if called else int(last)  # a sequence never used: its start
        if highest >= following:
            conn.execute(sa.text("SELECT setval(:sequence, :highest)"),
                         {"sequence": sequence, "highest": highest})
        return
    largest = conn.scalar(sa.select(sa.func.max(table.c.id))) or 0
    conn.execute(sa.delete(store_markers).where(store_markers.c.name == marker))
    if highest > largest:
        conn.execute(sa.insert(store_markers).values(name=marker, value=str(highest)))


def numbered(conn: sa.Connection, rows: Sequence[dict[str, Any]], table: sa.Table = fiches
             ) -> Sequence[dict[str, Any]]:
    """SQLite: the rows to insert numbered past a restore's marker, when one is left (the
    marker goes); otherwise as they are (their keys given by the store)."""
    if conn.dialect.name == "postgresql":
        return rows
    marker = _marker(table)
    after = conn.scalar(sa.select(store_markers.c.value).where(store_markers.c.name == marker))
    if after is None:
        return rows
    conn.execute(sa.delete(store_markers).where(store_markers.c.name == marker))
    start = max(int(after), conn.scalar(sa.select(sa.func.max(table.c.id))) or 0)
    return [{**row, "id": start + n} for n, row in enumerate(rows, 1)]
