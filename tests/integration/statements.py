"""The statements the store is sent, as the tests that count, read or explain them watch
them: one listener instead of a copy of it in each such test."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

import sqlalchemy as sa

from tests.conftest import DROP_THREADS

EVERY_ENGINE = sa.engine.Engine


@contextlib.contextmanager
def statements_sent(target: Any = EVERY_ENGINE, where: Callable[[str], object] | None = None,
                    ) -> Iterator[list[tuple[str, Any]]]:
    """Every statement, with its parameters, that `target` (an engine, a connection, or
    every engine by default) sends while inside, in order, those whose text `where`
    accepts when given. A database an earlier test drops meanwhile, in its own thread
    (tests/conftest.py), is not watched."""
    sent: list[tuple[str, Any]] = []

    def _seen(_conn, _cursor, statement, parameters, _context, _many) -> None:  # type: ignore[no-untyped-def]
        if threading.current_thread().name.startswith(DROP_THREADS):
            return
        if where is None or where(statement):
            sent.append((statement, parameters))

    sa.event.listen(target, "before_cursor_execute", _seen)
    try:
        yield sent
    finally:
        sa.event.remove(target, "before_cursor_execute", _seen)


def one_line(statement: str) -> str:
    """A statement's text with its runs of white space made one space."""
    return " ".join(statement.split())


def texts(sent: list[tuple[str, Any]]) -> list[str]:
    return [statement for statement, _parameters in sent]


def query_plan(target: sa.Engine | sa.Connection, statement: str, parameters: Any) -> list[str]:
    """The store's plan of one statement sent, a line per step: SQLite's EXPLAIN QUERY
    PLAN details (`SCAN t`, `SEARCH t USING INDEX ...`), PostgreSQL's EXPLAIN lines."""
    with contextlib.ExitStack() as stack:
        conn = target if isinstance(target, sa.Connection) else stack.enter_context(
            target.connect())
        if conn.dialect.name == "sqlite":
            return [str(row[3]) for row in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + statement, parameters)]
        return [str(line) for line in conn.exec_driver_sql(
            "EXPLAIN " + statement, parameters).scalars()]
