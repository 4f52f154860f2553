"""An erasure takes the porteur out of the console's index at once, in its own
transaction: the keyed digests of their name, e-mail and birth date (the coordination's
search and the DPO's lookup of a person) do not wait for the next console request or
`capactif reindex` to go, so no copy of the store taken after the erasure answers "was
this person here?" (docs/privacy.md)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import sqlalchemy as sa

from hub.services.accounts.auth import Caller
from hub.services.console import porteur_index
from hub.services.privacy import erasure
from hub.store.porteur_index_tables import (
    porteur_figure_members,
    porteur_figures,
    porteur_index_members,
    porteur_search_keys,
)
from hub.store.porteur_index_tables import (
    porteur_index as index_rows,
)

pytestmark = pytest.mark.integration

OWNER = Caller("commune-ambert", "", "commune", "accueil")
TABLES = (index_rows, porteur_index_members, porteur_search_keys, porteur_figures,
          porteur_figure_members)


def _held(hub, porteur_id: str) -> dict[str, int]:
    with hub.engine.connect() as conn:
        return {table.name: conn.scalar(sa.select(sa.func.count()).select_from(table).where(
            table.c.porteur_id == porteur_id)) for table in TABLES}


def test_an_erased_porteur_leaves_the_console_index_in_the_erasure_itself(coordination) -> None:
    hub = coordination["hub"]
    porteur_index.refresh(hub)
    with hub.uow() as uow:
        porteur_id = uow.fiches.porteur_of("commune-ambert", "F-ORPHELIN").porteur_id
    assert _held(hub, porteur_id)["porteur_search_keys"] > 0  # indexed before

    erasure.request_erasure(hub, OWNER, {"fiche_id": "F-ORPHELIN"})

    assert _held(hub, porteur_id) == dict.fromkeys((t.name for t in TABLES), 0)
    porteur_index.refresh(hub)  # the next refresh does not bring anything back
    assert _held(hub, porteur_id) == dict.fromkeys((t.name for t in TABLES), 0)


def test_a_refresh_that_read_the_porteur_before_the_erasure_does_not_write_them_back(
        coordination, monkeypatch) -> None:
    hub = coordination["hub"]
    with hub.uow() as uow:
        porteur_id = uow.fiches.porteur_of("commune-ambert", "F-ORPHELIN").porteur_id
    read = porteur_index._read

    def read_then_erase(*args):  # the erasure commits between the refresh's read and write
        found = read(*args)
        if porteur_id in args[2]:
            erasure.request_erasure(hub, OWNER, {"fiche_id": "F-ORPHELIN"})
        return found
    monkeypatch.setattr(porteur_index, "_read", read_then_erase)
    porteur_index.refresh(hub)
    assert _held(hub, porteur_id) == dict.fromkeys((t.name for t in TABLES), 0)
    monkeypatch.setattr(porteur_index, "_read", read)
    porteur_index.refresh(hub)
    assert _held(hub, porteur_id) == dict.fromkeys((t.name for t in TABLES), 0)


def test_a_slow_erasure_committing_while_a_refresh_reads_is_not_written_back(
        coordination, monkeypatch) -> None:
    """The erasure read its clock long before it committed (the keyring's lock, a busy
    store, a long refresh holding the marks row, a lagging clock): the refresh tells it
    by the erasures it saw before reading, not by the erasure's time."""
    hub, clock = coordination["hub"], coordination["clock"]
    with hub.uow() as uow:
        porteur_id = uow.fiches.porteur_of("commune-ambert", "F-ORPHELIN").porteur_id
    read = porteur_index._read

    def read_then_erase(*args):  # type: ignore[no-untyped-def]
        found = read(*args)
        if porteur_id in args[2]:
            refresh_now = clock.now
            clock.now = refresh_now - dt.timedelta(minutes=10)  # began ten minutes earlier
            erasure.request_erasure(hub, OWNER, {"fiche_id": "F-ORPHELIN"})
            clock.now = refresh_now
        return found

    monkeypatch.setattr(porteur_index, "_read", read_then_erase)
    porteur_index.refresh(hub)
    assert _held(hub, porteur_id) == dict.fromkeys((t.name for t in TABLES), 0)


def test_an_erasure_waits_for_one_batch_of_a_refresh_at_most(postgres_url, tmp_path,
                                                              monkeypatch) -> None:
    """A refresh wrote every batch under the marks row's lock in one transaction, so an
    erasure waited for the whole refresh (a full rebuild of a large index: past the 10 s
    lock_timeout, a 503): now each batch commits on its own, and an erasure queued behind
    one batch goes before the next."""
    from tests.conftest import _drop_pg_database, _fresh_pg_database
    from tests.console_world import coordination_world
    from tests.waiting import wait_until

    database = _fresh_pg_database(postgres_url)
    hub = coordination_world(database, tmp_path)["hub"]
    try:
        with hub.uow() as uow:
            porteur_id = uow.fiches.porteur_of("commune-ambert", "F-ORPHELIN").porteur_id
        porteur_index.refresh(hub)  # the marks row exists: a refresh and an erasure lock it
        monkeypatch.setattr(porteur_index, "TERMS_VERSION", porteur_index.TERMS_VERSION + 1)
        monkeypatch.setattr(porteur_index, "_BATCH", 1)  # the next refresh: a whole rebuild
        rewrite, batches, erasing = porteur_index._rewrite, [], []

        def erased() -> bool:
            with hub.uow() as uow:
                return bool(uow.porteur_index.erasures_of([porteur_id]))

        def waiting_on_a_lock() -> bool:
            with hub.engine.connect() as conn:
                return bool(conn.scalar(sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock'")))

        def rewrite_and_erase(*args):
            batches.append(erased())  # has the erasure committed before this batch?
            if len(batches) == 2:  # the erasure comes while the second batch is written
                erasing.append(threading.Thread(target=erasure.request_erasure, args=(
                    hub, OWNER, {"fiche_id": "F-ORPHELIN"})))
                erasing[0].start()
                wait_until(waiting_on_a_lock, 30, "the erasure waiting for the marks row")
            return rewrite(*args)

        monkeypatch.setattr(porteur_index, "_rewrite", rewrite_and_erase)
        porteur_index.refresh(hub)
        erasing[0].join(60)
        assert len(batches) >= 3
        assert batches[:3] == [False, False, True]  # before: erased after every batch
        assert _held(hub, porteur_id) == dict.fromkeys((t.name for t in TABLES), 0)
    finally:
        hub.close()
        _drop_pg_database(database)


def test_a_refresh_cut_off_after_a_stale_batch_leaves_that_porteur_to_the_next(
        coordination, monkeypatch) -> None:
    """Refresh A reads a porteur; its consent is withdrawn; refresh B reads it again and
    saves newer marks; A writes what it had read and is cut off before its own marks. The
    porteur stayed in the console index for good: every later refresh started from B's
    marks and never read it again."""
    from hub.services.privacy import consents
    from hub.store.porteur_index_repository import PorteurIndex

    hub, clock = coordination["hub"], coordination["clock"]
    with hub.uow() as uow:
        orphan = uow.fiches.porteur_of("commune-ambert", "F-ORPHELIN").porteur_id
        [consent] = uow.connection.execute(sa.text(
            "SELECT id FROM consents WHERE member_id = 'commune-ambert'"
            " AND fiche_id = 'F-ORPHELIN'")).scalars()
    porteur_index.refresh(hub)
    assert _held(hub, orphan)["porteur_index"] == 1
    monkeypatch.setattr(porteur_index, "TERMS_VERSION", porteur_index.TERMS_VERSION + 1)
    monkeypatch.setattr(porteur_index, "_BATCH", 1)  # A: a whole rebuild, a porteur a batch
    read, steps = porteur_index._read, []
    every = PorteurIndex.every_porteur  # A reads the porteur first: batches follow it
    monkeypatch.setattr(PorteurIndex, "every_porteur", lambda self: sorted(
        every(self), key=lambda porteur: porteur != orphan))

    def stale_then_cut(hub_, member, porteur_ids):  # type: ignore[no-untyped-def]
        if "B" in steps and "B done" not in steps:
            return read(hub_, member, porteur_ids)  # refresh B itself, undisturbed
        found = read(hub_, member, porteur_ids)
        if orphan in porteur_ids and not steps:
            steps.append("B")
            consents.withdraw_consent(hub, OWNER, consent)
            clock.advance(minutes=5)
            porteur_index.refresh(hub)
            steps.append("B done")
        elif "B done" in steps:
            steps.append("cut")
            raise RuntimeError("refresh A cut off")
        return found

    monkeypatch.setattr(porteur_index, "_read", stale_then_cut)
    with pytest.raises(RuntimeError):
        porteur_index.refresh(hub)
    assert steps == ["B", "B done", "cut"]
    monkeypatch.setattr(porteur_index, "_read", read)
    clock.advance(minutes=5)
    porteur_index.refresh(hub)
    assert _held(hub, orphan)["porteur_index"] == 0
