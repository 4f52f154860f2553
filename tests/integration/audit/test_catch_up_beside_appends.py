"""An append by this process while it catches up with the store (a request logging its
read while another checks the log for /healthz or a proof) reads no entry twice: the
tree keeps one leaf a seq, the log still matches its head and the hub keeps signing.
Before, the catch-up's lower bound was read before the append moved it, the appended
rows went into the tree a second time, and the process took its intact log for a
rewritten one until restarted (503 audit_integrity_error on /healthz and proofs)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.audit.events import AccessEvent
from hub.audit.heads import HeadSigner
from hub.audit.log import AuditLog

pytestmark = pytest.mark.integration

START = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
SIGNER = HeadSigner(Ed25519PrivateKey.generate())


def an_event(number: int) -> AccessEvent:
    return AccessEvent(at=START + timedelta(seconds=number), actor_member="membre-1",
                       action="api_read", outcome="allowed")


class AppendingLock:
    """The log's tree lock, which once armed lets another thread append `count` events
    through the log (and waits for it) just before the next acquire from this thread:
    the moment a concurrent request's append lands while a catch-up is under way."""

    def __init__(self, log: AuditLog, count: int) -> None:
        self._lock = log._tree_lock
        self._log = log
        self._count = count
        self._owner: int | None = None
        self.appended: list[int | None] = []

    def arm(self) -> None:
        self._owner = threading.get_ident()

    def __enter__(self) -> AppendingLock:
        if self._owner == threading.get_ident():
            self._owner = None
            worker = threading.Thread(target=self._append)
            worker.start()
            worker.join()
        self._lock.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self._lock.release()

    def _append(self) -> None:
        events = [an_event(100 + i) for i in range(self._count)]
        self.appended.extend(event.seq for event in self._log.append_many(events))


def test_rows_appended_while_catching_up_are_read_once(db_engine: sa.Engine) -> None:
    log = AuditLog(db_engine)
    log.append_many([an_event(i) for i in range(5)])
    log.publish_head(SIGNER)
    lock = AppendingLock(log, 3)
    log._tree_lock = lock  # type: ignore[assignment]
    lock.arm()
    assert log.matches_signed_head()
    assert lock.appended == [5, 6, 7]
    assert log.size == 8
    assert log.matches_signed_head()
    head = log.publish_head(SIGNER)
    assert head.size == 8
    fresh = AuditLog(db_engine)
    fresh.refresh()
    assert fresh.size == 8
    assert fresh.matches_signed_head()


def test_many_threads_appending_beside_catch_ups_leave_the_log_matching(
        db_engine: sa.Engine) -> None:
    log = AuditLog(db_engine)
    log.append_many([an_event(0)])
    log.publish_head(SIGNER)
    errors: list[BaseException] = []

    def appender(offset: int) -> None:
        try:
            for i in range(60):
                log.append_many([an_event(offset + i)])
        except BaseException as error:
            errors.append(error)

    def catcher() -> None:
        try:
            for _ in range(60):
                log.refresh()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=appender, args=(100 * n,)) for n in range(3)]
    threads += [threading.Thread(target=catcher) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    log.refresh()
    assert log.size == 181
    assert log.matches_signed_head()
    assert log.publish_head(SIGNER).size == 181
