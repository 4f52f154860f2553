"""Two real worker processes on one queue (PostgreSQL, Redis), on fiches whose blocking
keys meet often (one territory, names sharing their first letters): every fiche is
processed once, and every second fiche of a person ends with the first one or in the
review queue, never as a second silent porteur. Their transactions leave out fiches
whose keys the other holds and try them again before committing (`process_outbox`)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from capactif_demo.population import Population
from capactif_demo.processes import running, start_worker
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts.auth import Caller
from hub.services.accounts.members import load_network
from hub.services.ingest import accept as ingest
from hub.services.ingest.processing import pipeline_status
from hub.store.matching_tables import review_items
from hub.store.tables import fiche_links, fiches
from tests.factories import record_consents
from tests.integration.scale import scale_store, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]

NETWORK = Path(__file__).resolve().parents[2] / "examples" / "network.json"
MEMBER = Caller("cci-puy-de-dome", "CCI", "cci", "accompagnement")


def _fiches(count: int) -> tuple[list[dict], list[tuple[str, str]]]:
    """`count` fiches, one in five a second fiche of a person pushed three fiches before;
    and the pairs of fiche ids of one person."""
    population = Population(seed=7)
    people: list[dict] = []
    pairs = []
    for n in range(count):
        if n % 5 == 4:
            people.append(people[n - 3])
            pairs.append((f"T-{n - 3:04d}", f"T-{n:04d}"))
        else:
            people.append(population.porteur())
    return [population.fiche(MEMBER.member_id, f"T-{n:04d}", people[n])
            for n in range(count)], pairs


def test_two_worker_processes_process_every_fiche_once_and_miss_no_second_fiche(
        tmp_path, postgres_url):
    count = 400
    documents, pairs = _fiches(count)
    with scale_store(postgres_url) as store:
        env = {**store, "HUB_DATA_DIR": str(tmp_path / "data"),
               "HUB_WORKER_TRANSACTION_SIZE": "20"}
        hub = Hub.from_settings(Settings.from_env(env))  # publishes to the real broker
        try:
            load_network(hub, NETWORK, tmp_path / "creds")
            record_consents(hub, documents)
            logs = tmp_path / "logs"
            workers = [start_worker(env, logs, f"worker-{n}", beat=n == 0) for n in range(2)]
            with running(workers):
                for start in range(0, count, 100):
                    assert ingest.push_batch(hub, MEMBER, documents[start:start + 100])[
                        "accepted"] == 100
                wait_until(lambda: pipeline_status(hub)["processed"] >= count, 300,
                           "every fiche processed")
            with hub.uow() as uow:
                porteur = dict(uow.connection.execute(
                    sa.select(fiches.c.fiche_id, fiches.c.porteur_id)).all())
                links = uow.connection.execute(
                    sa.select(fiche_links.c.fiche_pk, sa.func.count())
                    .group_by(fiche_links.c.fiche_pk)).all()
                reviewed = set(uow.connection.execute(
                    sa.select(fiches.c.fiche_id, review_items.c.candidate_porteur_id)
                    .join(fiches, fiches.c.id == review_items.c.fiche_pk)).all())
        finally:
            hub.close()
    assert len(links) == count and {n for _pk, n in links} == {1}  # each linked once
    missed = [(a, b) for a, b in pairs if porteur[a] != porteur[b]
              and (a, porteur[b]) not in reviewed and (b, porteur[a]) not in reviewed]
    assert missed == []
