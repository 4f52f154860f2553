"""SIGTERM to a worker's whole process group (a shell's or supervisor's group stop,
systemd's KillMode=control-group) while it sends webhooks, with real processes on both
stores. Celery's pool processes died of that SIGTERM at once: the warm stop then waited
for the job a dead pool process had been handed and hung (3 of 4 stops over 20 s, one
over 25 s), the senders of that process never flushed their outcomes nor gave their
leases back. A pool process now leaves a SIGTERM not sent by its main process to the
main process, which stops it in order."""

from __future__ import annotations

import json
import os
import signal
from contextlib import ExitStack

import pytest
import sqlalchemy as sa

from capactif_demo.processes import running, start_worker
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts.auth import Caller
from hub.services.accounts.members import load_network
from hub.services.ingest import accept as ingest
from hub.services.ops.admin import initialise
from hub.store.delivery_repository import SENT
from hub.store.delivery_tables import deliveries
from tests.factories import make_fiche, other_porteur, record_consents
from tests.integration.scale import scale_store, wait_until
from tests.receiver import Recipient

pytestmark = [pytest.mark.integration, pytest.mark.slow]

OWNER = Caller("commune-ambert", "Mairie", "commune", "accueil")
RECIPIENTS = ["cci-thiers", "bge-auvergne", "adie-63"]
ANSWER_S = [0.15, 0.05, 0.0]


@pytest.fixture(params=["embedded", "scale"])
def world(request, tmp_path, postgres_url):
    """Three recipients of every fiche, one slow; a lease that only a release can end."""
    with ExitStack() as stack:
        store = {} if request.param == "embedded" else stack.enter_context(
            scale_store(postgres_url))
        recipients = [stack.enter_context(Recipient()) for _ in RECIPIENTS]
        env = {**store, "HUB_DATA_DIR": str(tmp_path / "data"), "HUB_LOG_LEVEL": "WARNING",
               "HUB_DISPATCH_INTERVAL_S": "0.7", "HUB_SWEEP_INTERVAL_S": "1",
               "HUB_OUTBOX_REPUBLISH_AFTER_S": "2", "HUB_WEBHOOK_LEASE_S": "60"}
        members = [{"id": OWNER.member_id, "nom": "Mairie", "nature": "commune",
                    "role": "accueil", "contact": {"courriel": "mairie@exemple.fr"}}]
        for member_id, recipient, answer_s in zip(RECIPIENTS, recipients, ANSWER_S, strict=True):
            recipient.delay_s = answer_s
            members.append({"id": member_id, "nom": member_id, "nature": member_id.split("-")[0],
                            "role": "accompagnement", "contact": {"courriel": "x@exemple.fr"},
                            "webhook": recipient.url, "abonnements": [{"communes": ["63003"]}]})
        (tmp_path / "network.json").write_text(json.dumps({"reseau": "t", "membres": members}))
        settings = Settings.from_env(env)
        if not store:
            initialise(settings)
        hub = Hub.from_settings(settings)
        load_network(hub, tmp_path / "network.json", tmp_path / "creds")
        yield env, hub, recipients, tmp_path / "logs"
        hub.close()


def push(hub: Hub, count: int) -> None:
    fiches = [make_fiche(member=OWNER.member_id, fiche_id=f"G-{i}", porteur=other_porteur(7000 + i))
              for i in range(count)]
    record_consents(hub, fiches)
    assert ingest.push_batch(hub, OWNER, fiches)["accepted"] == count


def sent(hub: Hub, member_id: str) -> int:
    with hub.uow() as uow:
        return uow.connection.scalar(sa.select(sa.func.count()).select_from(deliveries).where(
            deliveries.c.recipient_id == member_id, deliveries.c.status == SENT))


def disclosures(hub: Hub, member_id: str) -> int:
    return len(hub.audit.search(action="webhook_delivery", member=member_id, limit=100_000))


def test_a_group_stop_while_sending_is_a_warm_stop_of_every_process(world):
    env, hub, recipients, logs = world
    push(hub, 90)
    worker = start_worker(env, logs, "worker-1")
    with running([worker]):
        wait_until(lambda: len(recipients[0].arrivals) >= 20, 120, "sending to be under way")
        worker.stop()  # SIGTERM to the group; SIGKILL after 20 s
    log = worker.log_path.read_text(errors="replace")
    assert "exited with 'signal 15 (SIGTERM)'" not in log, "a pool process died of the SIGTERM"
    assert worker.popen.returncode == 0, worker.tail()
    with hub.uow() as uow:
        holders = [uow.deliveries.lease_of(m).dispatch_lease_owner for m in RECIPIENTS]
    assert holders == [None, None, None]  # given back, not left to end in 60 s
    assert len(recipients[0].arrivals) < 90, "the slow recipient got all before the stop"
    for member_id, recipient in zip(RECIPIENTS, recipients, strict=True):
        received = len({d["delivery_id"] for d in recipient.documents()})
        assert disclosures(hub, member_id) == sent(hub, member_id) == received, member_id


def test_a_cold_stop_still_ends_the_pool_processes_at_once(world):
    """SIGQUIT to the main process alone: billiard ends its pool processes with a SIGTERM
    of its own, which they still die of (a stop that is not kept waiting)."""
    env, hub, recipients, logs = world
    push(hub, 90)
    worker = start_worker(env, logs, "worker-1")
    with running([worker]):
        wait_until(lambda: len(recipients[0].arrivals) >= 20, 120, "sending to be under way")
        pool = _children(worker.popen.pid)
        os.kill(worker.popen.pid, signal.SIGQUIT)
        worker.popen.wait(timeout=60)  # it ends: no pool process outlives the main one
    assert pool and not [pid for pid in pool if _running(pid)], "a pool process outlived it"
    assert "Exception in thread" not in worker.log_path.read_text(errors="replace")
    assert worker.popen.returncode == 0, worker.tail()
    assert len(recipients[0].arrivals) < 90, "the slow recipient got all before the stop"
    for member_id in RECIPIENTS:
        assert disclosures(hub, member_id) == sent(hub, member_id), member_id


def _children(pid: int) -> list[int]:
    path = f"/proc/{pid}/task/{pid}/children"
    with open(path) as children:
        return [int(child) for child in children.read().split()]


def _running(pid: int) -> bool:
    """Alive and not a zombie waiting to be reaped."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
