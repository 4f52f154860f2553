"""An erasure takes the porteur out of the console's index at once, in its own
transaction: the keyed digests of their name, e-mail and birth date (the coordination's
search and the DPO's lookup of a person) do not wait for the next console request or
`capactif reindex` to go, so no copy of the store taken after the erasure answers "was
this person here?" (docs/privacy.md)."""

from __future__ import annotations

import datetime as dt

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
