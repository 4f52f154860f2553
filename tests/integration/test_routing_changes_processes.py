"""A worker process keeps the network it routes by (members, roles, subscriptions) between
its transactions, and reads in each only the routing token every change of them draws
anew (migration 0038). A change committed while the worker runs is the one the next fiche
it processes is routed by: subscriptions replaced, a role changed, a member gone. Real
worker processes, on the embedded store (SQLite, file-system broker) and at scale
(PostgreSQL, Redis)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from capactif_demo.processes import running, start_worker
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts.auth import Caller
from hub.services.accounts.members import load_network
from hub.services.ingest import accept as ingest
from hub.services.ingest.processing import pipeline_status
from hub.services.ops.admin import initialise
from hub.store.delivery_tables import deliveries
from hub.store.tables import fiches
from tests.factories import make_fiche, other_porteur, record_consents
from tests.integration.scale import scale_store, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]

OWNER = Caller("cci-puy-de-dome", "CCI", "cci", "accompagnement")
PFIL, BGE = "pfil-livradois", "bge-auvergne"
AMBERT, THIERS = "63003", "63430"  # the fiches' commune, and another one


def _network(folder: Path, subscribed: dict[str, str], roles: dict[str, str],
             members: tuple[str, ...] = (PFIL, BGE)) -> Path:
    """A network file: the owner, and `members` each subscribed to its commune."""
    kinds = {PFIL: "pfil", BGE: "bge"}
    listed = [{"id": OWNER.member_id, "nom": "CCI", "nature": "cci", "role": OWNER.role,
               "contact": {"courriel": "cci@exemple.fr"}}]
    listed += [{"id": m, "nom": m, "nature": kinds[m], "role": roles[m],
                "contact": {"courriel": f"{m}@exemple.fr"},
                "abonnements": [{"communes": [subscribed[m]]}]} for m in members]
    path = folder / f"network-{len(list(folder.glob('network-*')))}.json"
    path.write_text(json.dumps({"reseau": "t", "membres": listed}), encoding="utf-8")
    return path


@pytest.fixture(params=["embedded", "scale"])
def world(request, tmp_path) -> Iterator[tuple[dict[str, str], Hub, Path]]:
    """Settings of hub processes on the store, and a hub publishing to its real broker."""
    env = {"HUB_DATA_DIR": str(tmp_path / "data"), "HUB_LOG_LEVEL": "WARNING"}
    if request.param == "embedded":
        initialise(Settings.from_env(env))
        yield from _hub(env, tmp_path)
        return
    with scale_store(request.getfixturevalue("postgres_url")) as store:
        yield from _hub({**store, **env}, tmp_path)


def _hub(env: dict[str, str], folder: Path) -> Iterator[tuple[dict[str, str], Hub, Path]]:
    hub = Hub.from_settings(Settings.from_env(env))
    try:
        yield env, hub, folder
    finally:
        hub.close()


def _push(hub: Hub, n: int) -> None:
    fiche = make_fiche(fiche_id=f"F-{n}", porteur=other_porteur(n))
    record_consents(hub, [fiche])
    assert ingest.push_batch(hub, OWNER, [fiche])["accepted"] == 1


def _processed(hub: Hub, count: int) -> None:
    wait_until(lambda: pipeline_status(hub)["processed"] == count, 90,
               f"{count} processed fiche(s)")


def _deliveries_of(hub: Hub, fiche_id: str) -> list[tuple[str, str]]:
    """(recipient, purpose) of the deliveries planned for the fiche."""
    with hub.uow() as uow:
        return sorted(tuple(row) for row in uow.connection.execute(
            sa.select(deliveries.c.recipient_id, deliveries.c.purpose)
            .join(fiches, fiches.c.id == deliveries.c.fiche_pk)
            .where(fiches.c.fiche_id == fiche_id)))


def test_a_running_worker_routes_the_next_fiche_by_the_subscriptions_changed_meanwhile(world):
    env, hub, folder = world
    roles = {PFIL: "financement", BGE: "accompagnement"}
    load_network(hub, _network(folder, {PFIL: AMBERT, BGE: THIERS}, roles), folder / "creds")
    with running([start_worker(env, folder / "logs")]):
        _push(hub, 0)
        _processed(hub, 1)
        assert _deliveries_of(hub, "F-0") == [(PFIL, "financement")]
        load_network(hub, _network(folder, {PFIL: THIERS, BGE: AMBERT}, roles), folder / "creds")
        _push(hub, 1)
        _processed(hub, 2)
        assert _deliveries_of(hub, "F-1") == [(BGE, "accompagnement")]


def test_a_running_worker_routes_by_a_role_changed_and_to_no_member_gone_meanwhile(world):
    env, hub, folder = world
    both = {PFIL: AMBERT, BGE: AMBERT}
    load_network(hub, _network(folder, both, {PFIL: "financement", BGE: "accompagnement"}),
                 folder / "creds")
    with running([start_worker(env, folder / "logs")]):
        _push(hub, 0)
        _processed(hub, 1)
        assert _deliveries_of(hub, "F-0") == [(BGE, "accompagnement"), (PFIL, "financement")]
        load_network(hub, _network(folder, both, {PFIL: "accompagnement"}, members=(PFIL,)),
                     folder / "creds", leave=[BGE])
        _push(hub, 1)
        _processed(hub, 2)
        assert _deliveries_of(hub, "F-1") == [(PFIL, "accompagnement")]
