"""How long a database call may take before it fails: a frozen, stopped or locked database
must give an error the API answers with 503 and the worker retries, never a hang.

On PostgreSQL: `connect_timeout` for a new connection, `statement_timeout` and
`lock_timeout` on the server, and, for a server that stops answering altogether (hung,
stopped with SIGSTOP, a network that drops packets: the server's own timeouts never
come back), a client-side deadline on every exchange a little longer than the statement
timeout, after which the connection is closed and thrown away. On SQLite, the busy
timeout. On both, how long a request waits for a free pooled connection.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy import event

# A statement the server cancels at its statement timeout answers within this margin;
# past it the server is not answering at all.
ANSWER_MARGIN_S = 5.0


@dataclasses.dataclass(frozen=True)
class Deadlines:
    connect_s: float = 5.0
    statement_s: float = 30.0  # 0: no limit (and no client-side deadline)
    lock_s: float = 10.0  # PostgreSQL's lock_timeout, SQLite's busy timeout; 0: no limit
    pool_s: float = 10.0

    @property
    def answer_s(self) -> float | None:
        """How long the client waits for any answer of the server (None: for ever)."""
        return self.statement_s + ANSWER_MARGIN_S if self.statement_s > 0 else None

    def postgresql_connect_args(self) -> dict[str, Any]:
        args: dict[str, Any] = {}
        if self.connect_s > 0:  # libpq counts whole seconds, and at least 2
            args["connect_timeout"] = max(2, math.ceil(self.connect_s))
        options = [f"-c {name}={round(seconds * 1000)}" for name, seconds in
                   (("statement_timeout", self.statement_s), ("lock_timeout", self.lock_s))
                   if seconds > 0]
        if options:
            args["options"] = " ".join(options)
        return args

    @property
    def pool_wait_s(self) -> float | None:
        return self.pool_s if self.pool_s > 0 else None

    @property
    def sqlite_busy_ms(self) -> int:
        return round(self.lock_s * 1000) if self.lock_s > 0 else 2**31 - 1


def answer_within(engine: sa.Engine, deadlines: Deadlines) -> None:
    """Give every psycopg connection of `engine` the client-side deadline."""
    if deadlines.answer_s is None or engine.dialect.driver != "psycopg":
        return
    connection_class = _deadline_connection(deadlines.answer_s)

    @event.listens_for(engine, "do_connect")
    def _connect(_dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        return connection_class.connect(*cargs, **cparams)


class DatabaseSilent(psycopg.OperationalError):
    """The database sent no answer within the client-side deadline."""


def _deadline_connection(answer_s: float) -> type[psycopg.Connection[Any]]:
    class DeadlineConnection(psycopg.Connection[Any]):
        def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
            if timeout is not None:  # psycopg's own bounded waits keep their handling
                return super().wait(gen, interval, timeout)
            try:
                return super().wait(gen, interval, answer_s)
            except psycopg.OperationalError as exc:
                if type(exc).__name__ != "_WaitTimeout":
                    raise
                # Mid-exchange: the connection cannot be used again. Closed, it is
                # thrown away by the pool (SQLAlchemy sees a disconnect).
                self.close()
                raise DatabaseSilent(
                    f"the database sent no answer within {answer_s:g} s") from exc

    return DeadlineConnection
