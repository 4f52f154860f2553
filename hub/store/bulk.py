"""Multi-row statements: one statement for many rows or many ids, whatever the store.

On PostgreSQL, a list of ids travels as one array parameter (`= ANY(:ids)`) rather than
one parameter per id (a long `IN (...)` costs the driver more to build than the server
to run, and each length is a new statement), and many rows travel as one JSON document
expanded by `json_to_recordset` into a single INSERT or UPDATE rather than one statement
per row. SQLite gets the plain SQLAlchemy forms, which cost it little (no round trips).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


def _is_postgresql(conn: sa.Connection) -> bool:
    return conn.dialect.name == "postgresql"


def text_array(values: Iterable[Any]) -> str | list[Any]:
    """A PostgreSQL array parameter of integers or strings in its text form, built by one
    join (the driver's list adapter walks the items in Python, a third of a large
    statement's client time); a list, left to the driver, when an item needs escaping.
    The statement casts it (`CAST(:keys AS varchar[])`)."""
    items = list(values)
    kinds = set(map(type, items))  # one pass in C: some 4,000 items a worker transaction
    if kinds <= {int}:
        return "{" + ",".join(map(str, items)) + "}"
    if kinds <= {str}:
        joined = '","'.join(items)  # no item may hold a quote or a backslash of its own
        if joined.count('"') == 2 * (len(items) - 1) and "\\" not in joined:
            return '{"' + joined + '"}'
    return items


def among(conn: sa.Connection, column: sa.ColumnElement[Any],
          values: Iterable[Any]) -> sa.ColumnElement[bool]:
    """`column IN values`, as `column = ANY(:array)` on PostgreSQL."""
    wanted = list(values)
    if _is_postgresql(conn):
        array = postgresql.ARRAY(column.type)
        encoded = text_array(wanted)
        if isinstance(encoded, str):
            return column == sa.any_(sa.cast(sa.literal(encoded, type_=sa.types.NullType()), array))
        return column == sa.any_(sa.literal(wanted, type_=array))
    return column.in_(wanted)


def _pg_type(column: sa.Column[Any], conn: sa.Connection) -> str:
    return str(column.type.compile(dialect=conn.dialect))


def _json_ready(value: Any) -> Any:
    if isinstance(value, bytes):
        return "\\x" + value.hex()  # bytea's text form
    return value


def _document(table: sa.Table, rows: Sequence[Mapping[str, Any]], names: Sequence[str]) -> str:
    """The rows as one JSON array. Dicts of the same keys go to orjson as they are (500
    fiches rebuilt key by key cost a push more than their statement), only their binary
    columns copied in bytea's text form."""
    binary = [n for n in names if isinstance(table.c[n].type, sa.LargeBinary)]
    keys = rows[0].keys()
    if all(type(row) is dict and row.keys() == keys for row in rows):
        ready: Sequence[Mapping[str, Any]] = rows if not binary else [
            {**row, **{n: _json_ready(row[n]) for n in binary}} for row in rows]
    else:
        ready = [{n: _json_ready(row[n]) for n in names} for row in rows]
    return orjson.dumps(ready, default=_iso, option=orjson.OPT_PASSTHROUGH_DATETIME).decode()


def _iso(value: Any) -> str:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    raise TypeError(f"not serialisable in a bulk statement: {type(value).__name__}")


def _recordset(table: sa.Table, names: Sequence[str], conn: sa.Connection) -> str:
    """`json_to_recordset(:rows) AS r(col type, ...)` with the table's own column types;
    JSON columns travel as text and are cast back (json_to_recordset reads them as json)."""
    columns = ", ".join(f'"{n}" {_pg_type(table.c[n], conn)}' for n in names)
    return f"json_to_recordset(CAST(:rows AS json)) AS r({columns})"


def insert_rows(conn: sa.Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert rows (dicts with the same keys) in one statement."""
    if not rows:
        return
    if not _is_postgresql(conn):
        conn.execute(sa.insert(table), list(rows))
        return
    names = list(rows[0])
    quoted = ", ".join(f'"{n}"' for n in names)
    conn.execute(sa.text(f"INSERT INTO {table.name} ({quoted}) SELECT {quoted} FROM "
                         f"{_recordset(table, names, conn)}"),
                 {"rows": _document(table, rows, names)})


def copy_rows(conn: sa.Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert rows (dicts with the same keys) by one COPY on PostgreSQL, `insert_rows`
    elsewhere. The server reads COPY's text at about twice the speed of a JSON document,
    parses no statement and writes a page of new rows at a time (one WAL record a page
    rather than one a row)."""
    if not rows:
        return
    if not _is_postgresql(conn):
        insert_rows(conn, table, rows)
        return
    names = list(rows[0])
    as_json = {n for n in names if isinstance(table.c[n].type, sa.JSON)}
    _copy(conn, table, names, ([_json_text(row[n]) if n in as_json else row[n] for n in names]
                               for row in rows))


def copy_tuples(conn: sa.Connection, table: sa.Table, names: Sequence[str],
                rows: Sequence[Sequence[Any]]) -> None:
    """`copy_rows` for rows given as tuples of the `names` columns (no JSON column): many
    narrow rows (a fiche's blocking keys) with no dict built for each."""
    if not rows:
        return
    if not _is_postgresql(conn):
        insert_rows(conn, table, [dict(zip(names, row, strict=True)) for row in rows])
        return
    _copy(conn, table, names, rows)


def _copy(conn: sa.Connection, table: sa.Table, names: Sequence[str],
          rows: Iterable[Sequence[Any]]) -> None:
    quoted = ", ".join(f'"{n}"' for n in names)
    statement = f"COPY {table.name} ({quoted}) FROM STDIN"
    driver_error = conn.dialect.loaded_dbapi.Error
    cursor = None  # a closed connection refuses the cursor itself: a driver error too
    try:
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    except driver_error as exc:
        raise _as_sqlalchemy_error(conn, statement, exc, cursor) from exc


def driver_rows(conn: sa.Connection, statement: str,
                params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """The rows of a read statement in the driver's own SQL and parameter style, sent
    on the bare driver cursor inside the connection's transaction (begun first, as
    SQLAlchemy would begin it). For reads on the hot path of matching: SQLAlchemy's
    execution and rows cost as much as SQLite's reading some sixty rows. Errors are
    raised as SQLAlchemy raises them (`sa.exc.OperationalError`...), a lost connection
    thrown away by the pool; no statement event is sent."""
    if not conn.in_transaction():
        conn.begin()
    driver_error = conn.dialect.loaded_dbapi.Error
    cursor = None  # a closed connection refuses the cursor itself: a driver error too
    try:
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        cursor.execute(statement, params)
        return cursor.fetchall()
    except driver_error as exc:
        raise _as_sqlalchemy_error(conn, statement, exc, cursor) from exc
    finally:
        if cursor is not None:
            cursor.close()


def _as_sqlalchemy_error(conn: sa.Connection, statement: str, exc: Any,
                         cursor: Any) -> sa.exc.StatementError:
    """A driver error as SQLAlchemy's own statements raise it (IntegrityError...); a lost
    connection is invalidated, so the pool throws it away as after a statement
    SQLAlchemy sent."""
    lost = conn.dialect.is_disconnect(exc, conn.connection.dbapi_connection, cursor)
    if lost:
        conn.invalidate(exc)
    return sa.exc.DBAPIError.instance(statement, None, exc, conn.dialect.loaded_dbapi.Error,
                                      connection_invalidated=lost)


def _json_text(value: Any) -> str | None:
    if value is None:
        return None
    return orjson.dumps(value, default=_iso, option=orjson.OPT_PASSTHROUGH_DATETIME).decode()


def next_ids(conn: sa.Connection, table: sa.Table, count: int) -> list[int]:
    """`count` fresh ids of `table`'s serial primary key, ascending (PostgreSQL), for rows
    inserted by `copy_rows` with their ids."""
    if count <= 0:
        return []
    return sorted(conn.execute(sa.text(
        "SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :count)"),
        {"table": table.name, "count": count}).scalars())


def insert_returning(conn: sa.Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]],
                     returning: Sequence[str]) -> list[sa.Row[Any]]:
    """Insert rows (dicts with the same keys) in one statement and answer the `returning`
    columns of each inserted row, in no set order (the caller maps them by a key). On
    PostgreSQL the rows travel as one JSON document: a multi-row VALUES of the same rows
    is a statement of thousands of placeholders that the driver parses anew each time
    (a third of a 500-fiche push's CPU)."""
    if not rows:
        return []
    columns = [table.c[n] for n in returning]
    if not _is_postgresql(conn):
        return list(conn.execute(sa.insert(table).returning(*columns), list(rows)))
    names = list(rows[0])
    quoted = ", ".join(f'"{n}"' for n in names)
    answered = ", ".join(f'"{n}"' for n in returning)
    return list(conn.execute(
        sa.text(f"INSERT INTO {table.name} ({quoted}) SELECT {quoted} FROM "
                f"{_recordset(table, names, conn)} RETURNING {answered}")
        .columns(*columns), {"rows": _document(table, rows, names)}))


def update_rows(conn: sa.Connection, table: sa.Table, key: str,
                rows: Sequence[Mapping[str, Any]], *, raising: str | None = None) -> None:
    """Update rows by `key` (dicts with the same keys, `key` among them, each key once) in
    one statement; with `raising`, only the rows whose `raising` column is below the new
    value. Rows are matched in `key` order, so two transactions lock common rows in one
    order."""
    if not rows:
        return
    ordered = sorted(rows, key=lambda row: row[key])
    if not _is_postgresql(conn):
        names = [n for n in ordered[0] if n != key]
        query = sa.update(table).where(table.c[key] == sa.bindparam("_key"))
        if raising is not None:
            query = query.where(table.c[raising] < sa.bindparam(f"_{raising}"))
        conn.execute(query.values({n: sa.bindparam(f"_{n}") for n in names}),
                     [{**{f"_{n}": row[n] for n in names}, "_key": row[key]} for row in ordered])
        return
    names = list(ordered[0])
    assignments = ", ".join(f'"{n}" = r."{n}"' for n in names if n != key)
    guard = f' AND {table.name}."{raising}" < r."{raising}"' if raising is not None else ""
    conn.execute(sa.text(
        f"UPDATE {table.name} SET {assignments} FROM {_recordset(table, names, conn)} "
        f'WHERE {table.name}."{key}" = r."{key}"{guard}'), {"rows": _document(table, ordered, names)})
