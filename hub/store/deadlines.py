"""How long a database call may take before it fails: a frozen, stopped or locked database
must give an error the API answers with 503 and the worker retries, never a hang.

On PostgreSQL: `connect_timeout` for a new connection, `statement_timeout` and
`lock_timeout` on the server, when set `idle_in_transaction_session_timeout` for a client
that stops between two statements of a transaction (paused, hung: the server ends its
session and its locks go with it; off by default, see `hub.config`), and, for a server
that stops answering altogether (hung, stopped with SIGSTOP, a network that drops
packets: the server's own timeouts never come back), a client-side deadline on every
exchange a little longer than the statement timeout, after which the connection is
closed and thrown away. On SQLite, the busy timeout. On both, how long a request waits
for a free pooled connection.

The client cannot tell a statement that runs long from a server that stopped: TCP
keepalives do not either (the kernel of a stopped server still acknowledges them;
measured: no change). So after `probe_s` without an answer the client asks the server,
on a new connection, whether it answers at all (a probe every `probe_s`): no answer
within the connect timeout, and the statement fails at once as a silent database; any
answer, even a refusal (too many connections), and it goes on waiting. A server stopped
mid-statement then gives its 503 after about `probe_s` + the connect timeout (10 s by
default) instead of the statement timeout + 5 s (35 s); a single stopped backend, whose
server answers, still at the statement timeout + 5 s.

One probe per engine (so per process) at a time, and its answer serves every statement
already waiting when it was asked: many slow statements waiting together open one probe
connection every `probe_s`, not one each (a connection each could take the server's
last free slots).
"""

from __future__ import annotations

import dataclasses
import math
import os
import threading
import time
import weakref
from collections.abc import Callable
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
    probe_s: float = 5.0  # silence before the server is probed; 0: never probed
    idle_in_transaction_s: float = 0.0  # a session idle in a transaction ends; 0: never

    @property
    def answer_s(self) -> float | None:
        """How long the client waits for any answer of the server (None: for ever)."""
        return self.statement_s + ANSWER_MARGIN_S if self.statement_s > 0 else None

    def postgresql_connect_args(self, database_url: str) -> dict[str, Any]:
        """libpq's connection arguments; the server options join those the URL or
        PGOPTIONS give (an `options` argument replaces both: a search_path set there
        would be lost)."""
        args: dict[str, Any] = {}
        if self.connect_s > 0:  # libpq counts whole seconds, and at least 2
            args["connect_timeout"] = max(2, math.ceil(self.connect_s))
        options = [f"-c {name}={round(seconds * 1000)}" for name, seconds in
                   (("statement_timeout", self.statement_s), ("lock_timeout", self.lock_s),
                    ("idle_in_transaction_session_timeout", self.idle_in_transaction_s))
                   if seconds > 0]
        if options:
            args["options"] = " ".join([*filter(None, [_given_options(database_url)]), *options])
        return args

    @property
    def pool_wait_s(self) -> float | None:
        return self.pool_s if self.pool_s > 0 else None

    @property
    def sqlite_busy_ms(self) -> int:
        return round(self.lock_s * 1000) if self.lock_s > 0 else 2**31 - 1


def _given_options(database_url: str) -> str:
    given = sa.engine.make_url(database_url).query.get("options")
    if isinstance(given, tuple):
        given = " ".join(given)
    return given or os.environ.get("PGOPTIONS", "")


def answer_within(engine: sa.Engine, deadlines: Deadlines) -> None:
    """Give every psycopg connection of `engine` the client-side deadline, and the ping
    of a pooled connection before use the connect timeout (a ping unanswered that long:
    the server is not answering, and the request gets its 503 in seconds)."""
    answer_s = deadlines.answer_s
    if answer_s is None or engine.dialect.driver != "psycopg":
        return
    ping_s = min(answer_s, deadlines.connect_s) if deadlines.connect_s > 0 else answer_s

    probe_s = deadlines.probe_s if 0 < deadlines.probe_s < answer_s else None
    server = _ServerProbe() if probe_s is not None else None

    @event.listens_for(engine, "do_connect")
    def _connect(_dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        connection = DeadlineConnection.connect(*cargs, **cparams)
        connection.answer_s = answer_s
        if server is not None and probe_s is not None:
            connection.probe = _Probe(probe_s, cargs, cparams, server)
        return connection

    ping: Any = engine.dialect.do_ping

    def _ping(connection: Any) -> bool:
        if not isinstance(connection, DeadlineConnection):
            return bool(ping(connection))
        connection.answer_s, usual = ping_s, connection.answer_s
        try:
            return bool(ping(connection))
        finally:
            connection.answer_s = usual

    engine.dialect.do_ping = _ping  # type: ignore[method-assign,assignment]


class DatabaseSilent(psycopg.OperationalError):
    """The database sent no answer within the client-side deadline."""


def unanswered(exc: BaseException) -> bool:
    """Whether `exc`, or an error it was raised from, says the server answered nothing:
    neither a statement nor the probe (DatabaseSilent), nor a new connection within the
    connect timeout. A call made now would wait as long again, for nothing."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, DatabaseSilent | psycopg.errors.ConnectionTimeout):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class _Probe:
    """Whether the server answers at all, asked on a new connection once a wait has had
    no answer for `every_s` (and again every `every_s`)."""

    def __init__(self, every_s: float, cargs: Any, cparams: Any, server: _ServerProbe) -> None:
        self.every_s = every_s
        self._cargs, self._cparams = cargs, cparams
        self._server = server

    def watch(self, gen: Any) -> Any:
        """`gen` (a psycopg exchange) as it is, but ended by DatabaseSilent when the server
        stops answering. psycopg's wait sends to the generator every interval (0.1 s),
        ready or not: each send is a chance to look at the clock."""
        quiet_since = time.monotonic()
        ready = None  # the first step is next(gen): an exchange may end there
        while True:
            try:
                state = gen.send(ready)
            except StopIteration as done:
                return done.value
            ready = yield state
            now = time.monotonic()
            if ready:
                quiet_since = now
            elif now - quiet_since >= self.every_s:
                answered, asked_at = self._server.answers(quiet_since, self._server_answers)
                if not answered:
                    raise DatabaseSilent(f"the database answered neither a statement for "
                                         f"{now - quiet_since:.0f} s nor a new connection")
                # Silent since that probe: a server stopping just after it is caught
                # `every_s` later, even by a statement that only read its answer.
                quiet_since = asked_at

    def _server_answers(self) -> bool:
        """A new connection made (or refused) is an answer: the server lives. Nothing is
        asked on it, for behind a pooler (PgBouncer) a statement may queue for a server
        connection exactly when the pool is busy, and a healthy statement would be failed.
        Its wait is bounded even when the connect timeout is 0 ("no limit": libpq would
        then wait its own 130 s)."""
        bounded = {**self._cparams,
                   "connect_timeout": self._cparams.get("connect_timeout")
                   or max(2, math.ceil(self.every_s))}
        try:
            psycopg.Connection.connect(*self._cargs, **bounded).close()
        except psycopg.OperationalError as exc:  # no answer, or an answer (a refusal)
            return "timeout expired" not in str(exc)
        return True


class _ServerProbe:
    """The last answer of the server to a probe, shared by the connections of one engine:
    one probe at a time, and its answer serves every waiter that was already waiting when
    it was asked. A waiter asks after `probe_s` of silence, so a new probe follows the
    last one by `probe_s` at least, however many wait."""

    def __init__(self) -> None:
        self._forget()
        _PROBES.add(self)

    def _forget(self) -> None:
        self._asking = threading.Lock()
        self._asked_at = -math.inf  # monotonic
        self._answered = True

    def answers(self, waiting_since: float, ask: Callable[[], bool]) -> tuple[bool, float]:
        """Whether the server answered a probe asked after `waiting_since` (monotonic),
        and when that probe was asked: the last probe's, or `ask()`'s (one caller asks,
        the others wait for its answer: a probe's wait is bounded)."""
        with self._asking:
            if self._asked_at <= waiting_since:
                asked_at = time.monotonic()
                self._answered = ask()
                self._asked_at = asked_at
            return self._answered, self._asked_at


# Every probe of the process, forgotten in a forked child (a Celery worker's pool), where
# a lock a parent's thread held stays held, and the parent's answer is not the child's.
# Before any thread of the child runs, unlike a check of the pid, which two threads of
# the child could both pass, and which a pid reused after its process ended deceived.
_PROBES: weakref.WeakSet[_ServerProbe] = weakref.WeakSet()


def _forget_probes() -> None:
    for probe in list(_PROBES):
        probe._forget()


os.register_at_fork(after_in_child=_forget_probes)


class DeadlineConnection(psycopg.Connection[Any]):
    """A psycopg connection that waits at most `answer_s` for any answer of the server,
    and with a `probe`, less when the server answers no new connection either."""

    answer_s: float | None = None
    probe: _Probe | None = None

    def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
        if timeout is not None or self.answer_s is None:  # psycopg's own bounded waits
            return super().wait(gen, interval, timeout)
        try:
            # a wait no longer than the probe's delay (a pooled connection's ping) is
            # not probed: its own deadline comes first
            probe = self.probe if self.probe and self.answer_s > self.probe.every_s else None
            return super().wait(probe.watch(gen) if probe else gen, interval, self.answer_s)
        except DatabaseSilent:
            self.close()
            raise
        except psycopg.OperationalError as exc:
            if type(exc).__name__ != "_WaitTimeout":
                raise
            # Mid-exchange: the connection cannot be used again. Closed, it is thrown
            # away by the pool (SQLAlchemy sees a disconnect).
            self.close()
            raise DatabaseSilent(
                f"the database sent no answer within {self.answer_s:g} s") from exc
