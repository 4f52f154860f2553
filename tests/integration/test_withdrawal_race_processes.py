"""A withdrawal racing deliveries in flight, with a real Celery worker (and its beat) on
Redis and PostgreSQL, and real HTTP recipients: a delivery that had left is followed
by the withdrawal notice; one that had not left is never sent."""

from __future__ import annotations

import json

import pytest

from capactif_demo.processes import running, start_worker
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts.auth import Caller
from hub.services.accounts.members import load_network
from hub.services.ingest import accept as ingest
from hub.services.privacy import consents
from tests.factories import make_fiche, record_consents
from tests.integration.scale import scale_store, wait_until
from tests.receiver import Recipient

pytestmark = [pytest.mark.integration, pytest.mark.slow]

OWNER = Caller("commune-ambert", "Mairie", "commune", "accueil")


@pytest.fixture
def world(tmp_path, postgres_url):
    with scale_store(postgres_url) as store, Recipient() as slow, Recipient() as down:
        env = {**store, "HUB_DATA_DIR": str(tmp_path / "data"), "HUB_DISPATCH_INTERVAL_S": "0.5",
               "HUB_WEBHOOK_RETRY_BASE_S": "0.5", "HUB_WEBHOOK_RETRY_MAX_S": "1"}
        members = [_member(OWNER.member_id, "commune", "accueil"),
                   _member("cci-thiers", "cci", "accompagnement", slow.url),
                   _member("pfil-livradois", "pfil", "financement", down.url)]
        (tmp_path / "network.json").write_text(json.dumps({"reseau": "t", "membres": members}))
        hub = Hub.from_settings(Settings.from_env(env))  # publishes to the real broker
        load_network(hub, tmp_path / "network.json", tmp_path / "creds")
        yield env, hub, slow, down, tmp_path / "logs"
        hub.close()


def _member(member_id, kind, role, webhook=None):
    member = {"id": member_id, "nom": member_id, "nature": kind, "role": role,
              "contact": {"courriel": f"{member_id}@exemple.fr"},
              "abonnements": [{"communes": ["63003"]}]}
    return {**member, "webhook": webhook} if webhook else member


def events(recipient):
    return [d["evenement"] for d in recipient.documents()]


def test_a_withdrawal_racing_deliveries_in_flight_with_a_real_worker(world):
    env, hub, slow, down, logs = world
    slow.delay_s = 3.0  # the cci's delivery will be on the wire when the porteur withdraws
    down.status = 503  # the pfil's will still be waiting for a retry
    fiche = make_fiche(member=OWNER.member_id, fiche_id="F-RACE")
    consent = record_consents(hub, [fiche])[0]
    with running([start_worker(env, logs)]):
        assert ingest.push_batch(hub, OWNER, [fiche])["accepted"] == 1
        assert slow.arrived.wait(60), "the worker never sent the delivery"
        withdrawn = consents.withdraw_consent(hub, OWNER, consent.id)
        assert set(withdrawn["avis_envoyes"]) == {"cci-thiers", "pfil-livradois"}
        slow.delay_s = 0.0
        down.status = 200
        wait_until(lambda: "withdrawn" in events(slow) and "withdrawn" in events(down), 60,
                   "withdrawal notices at both recipients")
    assert events(slow) == ["created", "withdrawn"]  # it had left: the notice follows it
    assert events(down) == ["withdrawn"]  # it had not left: never sent
