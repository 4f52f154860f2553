"""Unit of work: one database transaction with the repositories bound to it.

`with uow_factory() as uow: ...; uow.commit()` — leaving the block without a
commit rolls back. Database errors are translated at this boundary into the
hub's exception tree. Work given to `at_commit` (the access log's appends, which take
its single lock) runs just before each commit, so its locks are held the shortest time.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from types import TracebackType

import sqlalchemy as sa

from hub.keyring import StoreKeys
from hub.store import repositories as repos
from hub.store.auditor_repository import Auditors
from hub.store.consent_overview_repository import ConsentOverview
from hub.store.console_repository import FicheReads, IntegrityChecks, Revisits, Sessions, Users
from hub.store.decision_repository import Decisions
from hub.store.delivery_repository import Deliveries
from hub.store.engine import OUTAGES, outage, store_outage
from hub.store.erasure_repository import ErasureAnswers, ErasureRequests, Erasures, Markers
from hub.store.identity_memo import IdentityMemo
from hub.store.key_replay import KeyReplays
from hub.store.matching_repository import Matching
from hub.store.meeting_repository import MeetingActions
from hub.store.ops_repository import OpsQueries
from hub.store.porteur_index_repository import PorteurIndex
from hub.store.review_queue_repository import ReviewQueue
from hub.store.sealing import FicheKeys

# The work each open unit of work runs just before its commit, by its own connection
# (never the pooled one's `info`: it outlives the unit of work, and an invalidated
# connection refuses to be read).
_at_commit: weakref.WeakKeyDictionary[sa.Connection, list[Callable[[], object]]] = \
    weakref.WeakKeyDictionary()


def at_commit(conn: sa.Connection, work: Callable[[], object]) -> bool:
    """Run `work` just before the commit of the unit of work `conn` belongs to; False
    when it belongs to none (the caller runs `work` itself)."""
    pending = _at_commit.get(conn)
    if pending is None:
        return False
    pending.append(work)
    return True


class UnitOfWork:
    def __init__(self, engine: sa.Engine, keys: StoreKeys,
                 identities: IdentityMemo | None = None) -> None:
        self._engine = engine
        self._store_keys = keys
        self._identities = identities
        self._connection: sa.Connection | None = None

    def __enter__(self) -> UnitOfWork:
        try:
            self._connection = self._begin()
        except (*OUTAGES, sa.exc.DatabaseError) as exc:
            error = outage(exc)
            if error is None:
                raise
            raise error from exc
        conn = self._connection
        self._pending: list[Callable[[], object]] = []
        _at_commit[conn] = self._pending
        self.members = repos.Members(conn)
        self.keys = FicheKeys(conn, self._store_keys)
        self.fiches = repos.Fiches(conn, self.keys)
        self.porteurs = repos.Porteurs(conn)
        self.outbox = repos.Outbox(conn)
        self.nonces = repos.Nonces(conn)
        self.deliveries = Deliveries(conn, self.keys)
        self.erasures = Erasures(conn)
        self.erasure_requests = ErasureRequests(conn, self.keys)
        self.erasure_answers = ErasureAnswers(conn)
        self.markers = Markers(conn)
        self.matching = Matching(conn, self.keys, self._store_keys.digest_key, self._identities)
        self.fiche_reads = FicheReads(conn, self.keys)
        self.porteur_index = PorteurIndex(conn)
        self.meeting = MeetingActions(conn, self.keys)
        self.users = Users(conn)
        self.sessions = Sessions(conn)
        self.integrity_checks = IntegrityChecks(conn)
        self.revisits = Revisits(conn)
        self.review_queue = ReviewQueue(conn)
        self.consent_overview = ConsentOverview(conn)
        self.auditors = Auditors(conn)
        self.key_replays = KeyReplays(conn)
        self.ops = OpsQueries(conn)
        self.decisions = Decisions(conn, self._store_keys.journal)
        self.dialect = conn.dialect.name
        return self

    def _begin(self) -> sa.Connection:
        """A connection in its transaction; given back to the pool at once when BEGIN
        fails: the error's traceback holds this unit of work, and the connection would
        wait for the garbage collector, rare in the API and the worker (hub.collector), so
        that after a few BEGINs refused (SQLite's write lock held by another process) the
        next requests waited for a free connection (HUB_DATABASE_POOL_TIMEOUT_S) instead
        of the lock deadline."""
        connection = self._engine.connect()
        try:
            connection.begin()
        except BaseException:
            connection.close()
            raise
        return connection

    @property
    def connection(self) -> sa.Connection:
        assert self._connection is not None, "use the unit of work in a with block"
        return self._connection

    def commit(self) -> None:
        """Commit the work so far. The next statement, if any, begins the next
        transaction: on SQLite a writer's turn is taken only when there is more to do, so
        a commit never waits for the other writers' transactions."""
        while self._pending:
            self._pending.pop(0)()
        self.connection.commit()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self.connection.in_transaction():
                self.connection.rollback()
        except OUTAGES as lost:  # the connection went with the error (e.g. during a COPY)
            if exc is None:
                raise store_outage(lost) from lost
        finally:
            _at_commit.pop(self.connection, None)
            self._pending.clear()
            self.connection.close()
            self._connection = None
        error = outage(exc) if exc is not None else None
        if error is not None:
            raise error from exc
